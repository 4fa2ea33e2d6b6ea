/**
 * The chunks given to `CheckpointStorage.write`, read one at a time. A storage must tell the
 * source's own errors (rethrown to the caller unchanged: they are the caller's) from its I/O
 * errors (reported as `storage-failed`), and stop the source when it gives up early.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** The chunks of one write. */
export interface ChunkSource {
  /**
   * The next chunk, or undefined once the source has ended. Rejects with the source's error when
   * it throws, or with an `invalid-argument` error for a chunk that is not a `Uint8Array`; the
   * error is then also in {@link failure}.
   */
  next(): Promise<Uint8Array | undefined>;
  /** What made {@link next} reject, if it did: the write must fail with this error. */
  readonly failure: { readonly error: unknown } | undefined;
  /** Ends the source early (its iterator's `return`) unless it has ended; never rejects. */
  stop(): Promise<void>;
}

/**
 * Wraps the chunks of a write.
 *
 * @param what Names the write in errors, e.g. `local checkpoint storage: write chk-1`.
 */
export function createChunkSource(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  what: string,
): ChunkSource {
  return new IteratedChunks(chunks, what);
}

/**
 * A class rather than an object literal: V8 gives an object literal with a getter its own
 * accessor pair, allocated in the old generation, each time the literal is made. Until the next
 * full collection that pair keeps the getter's closure, with the source's iterator and the whole
 * checkpoint being written, alive through every young collection, which copies and promotes it
 * all: several MB a second under group commit, and young collections several times longer.
 */
class IteratedChunks implements ChunkSource {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private readonly what: string;
  private ended = false;
  private failed: { readonly error: unknown } | undefined = undefined;

  constructor(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, what: string) {
    this.iterator =
      Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
    this.what = what;
  }

  get failure(): { readonly error: unknown } | undefined {
    return this.failed;
  }

  async stop(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.resolve(this.iterator.return?.()).catch(() => {});
  }

  async next(): Promise<Uint8Array | undefined> {
    if (this.ended) return undefined;
    let result: IteratorResult<Uint8Array>;
    try {
      result = await this.iterator.next();
    } catch (error) {
      return this.fail(error);
    }
    if (result.done === true) {
      this.ended = true;
      return undefined;
    }
    const chunk: unknown = result.value;
    if (chunk instanceof Uint8Array) return chunk;
    await this.stop();
    return this.fail(
      new StatefunError(
        "invalid-argument",
        `${this.what}: expected chunks of type Uint8Array, found ${typeof chunk}`,
        { details: { found: typeof chunk } },
      ),
    );
  }

  private fail(error: unknown): never {
    this.ended = true;
    this.failed = { error };
    throw error;
  }
}
