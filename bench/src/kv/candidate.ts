/**
 * What a key-value store under test offers the `kv-stores` driver: each candidate implements the
 * operations the disk state backend needs, the way its own documentation says is fast. Methods
 * return a value or a promise, as the store does; the driver awaits either.
 */

/** One key and value, as a store returns them. */
export type Entry = readonly [key: Uint8Array, value: Uint8Array];

/** Adapts a synchronous iterable (lmdb, SQLite) to the async iterator the driver pulls from. */
export function fromSync<T>(iterable: Iterable<T>): AsyncIterableIterator<T> {
  const iterator = iterable[Symbol.iterator]();
  const adapted: AsyncIterableIterator<T> = {
    next: () => Promise.resolve(iterator.next()),
    return: (value?: unknown) => Promise.resolve(iterator.return?.(value) ?? { done: true, value }),
    [Symbol.asyncIterator]: () => adapted,
  };
  return adapted;
}

/** A consistent, point-in-time view of the store: reads through it never see later writes. */
export interface StoreView {
  get(key: Buffer): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** The entries of `[start, end)` in key order. */
  entries(start: Buffer, end: Buffer): AsyncIterable<Entry>;
  /** Releases the view (read transaction, snapshot, reader connection). */
  close(): void | Promise<void>;
}

/** A store under test, opened on a directory of its own. */
export interface Candidate {
  /** Package name and installed version, e.g. `lmdb 3.5.6`. */
  readonly package: string;
  /** Settings that matter for the figures (sync mode, caches, compression, commit style). */
  readonly settings: readonly string[];

  open(): Promise<void>;
  close(): Promise<void>;

  /** Inserts a batch of new entries and commits it (bulk load). */
  writeBatch(keys: readonly Buffer[], values: readonly Buffer[]): void | Promise<void>;

  /** A synchronous point read, where the store offers one. */
  readonly getSync: ((key: Buffer) => Uint8Array | undefined) | undefined;
  /** An asynchronous point read, where the store offers one (measured with many in flight). */
  readonly getAsync: ((key: Buffer) => Promise<Uint8Array | undefined>) | undefined;
  /** A multi-key read in one call, where the store offers one. */
  readonly getMany: ((keys: readonly Buffer[]) => Promise<readonly unknown[]>) | undefined;

  /**
   * The invocation pattern: for each key, read its value, compute the new one with `update`,
   * write it; then commit the whole batch at once (what one runtime batch would do).
   */
  updateBatch(
    keys: readonly Buffer[],
    update: (old: Uint8Array | undefined) => Buffer,
  ): void | Promise<void>;

  /** Visits `[start, end)` in key order with values; returns how many entries it saw. */
  scan(start: Buffer, end: Buffer): number | Promise<number>;

  /**
   * A lazy iterator over `[start, end)`, begun now: the consistency check pulls one entry,
   * writes, then drains it.
   */
  iterate(start: Buffer, end: Buffer): AsyncIterator<Entry>;

  /** Opens a consistent view of the store as it is now. */
  openView(): StoreView | Promise<StoreView>;

  /** Paths of the store's files, for the on-disk size. */
  readonly directory: string;
}
