/**
 * The checkpoint storage seam: where checkpoint and savepoint files go. An object becomes visible
 * under its name only once it is complete and durable, so a reader never sees a torn or partial
 * checkpoint. Implementations: a local directory (default) and S3-compatible object storage.
 */

/** A store of named immutable objects. */
export interface CheckpointStorage {
  /** Where the objects are, for logs: a directory path or an `s3://bucket/prefix` URL. */
  readonly location: string;
  /**
   * Writes an object. It is invisible to {@link list} and {@link read} until the returned promise
   * resolves, and then durable (survives a crash of this process or machine). Writing an existing
   * name replaces it atomically. A chunk is not changed once yielded: a storage may hold on to
   * chunks until the write ends.
   */
  write(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
  /**
   * Reads an object, or `length` bytes of it from `offset`.
   *
   * @throws StatefunError `storage-failed` when the object does not exist or cannot be read.
   */
  read(
    name: string,
    range?: { readonly offset: number; readonly length: number },
  ): Promise<Uint8Array>;
  /** The size of an object in bytes. */
  size(name: string): Promise<number>;
  /** Names of complete objects starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes an object; no error when it does not exist. */
  delete(name: string): Promise<void>;
  /** Releases resources (connections). */
  close(): Promise<void>;
}
