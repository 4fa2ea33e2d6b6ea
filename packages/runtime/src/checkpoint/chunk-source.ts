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
  const iterator =
    Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
  let ended = false;
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown): never => {
    ended = true;
    failure = { error };
    throw error;
  };
  const stop = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    await Promise.resolve(iterator.return?.()).catch(() => {});
  };
  return {
    get failure() {
      return failure;
    },
    stop,
    async next() {
      if (ended) return undefined;
      let result: IteratorResult<Uint8Array>;
      try {
        result = await iterator.next();
      } catch (error) {
        return fail(error);
      }
      if (result.done === true) {
        ended = true;
        return undefined;
      }
      const chunk: unknown = result.value;
      if (chunk instanceof Uint8Array) return chunk;
      await stop();
      return fail(
        new StatefunError(
          "invalid-argument",
          `${what}: expected chunks of type Uint8Array, found ${typeof chunk}`,
          { details: { found: typeof chunk } },
        ),
      );
    },
  };
}
