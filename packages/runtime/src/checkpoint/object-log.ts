/**
 * The object log of the local checkpoint storage: small objects appended to segment files, so
 * that a group-commit checkpoint costs one synchronized write (`O_DSYNC`) to an open file instead
 * of creating, syncing, closing and renaming a file and syncing its directory. Objects written at
 * the same time share the write.
 *
 * Layout: segments `<root>/.log/<20-digit number>.sfl`, each a sequence of entries:
 *
 * ```text
 * entry = u32(length of kind, name length, name and body) u8(kind: 1 object, 2 tombstone)
 *         u16(name length) name(UTF-8) body u32(CRC32 of all the entry's bytes before it)
 * ```
 *
 * Integers are little-endian. Invariants (tests cite them by number):
 *  1. An object append resolves once its entry is written and (with `fsync`) on disk, as after
 *     `fdatasync`.
 *  2. Opening replays the segments in order: an object entry replaces an earlier one of the same
 *     name, a tombstone removes it. The first entry that is short or fails its CRC ends the
 *     replay of its segment (an append torn by a crash); nothing after it is read.
 *  3. A storage appends only to segments it created (the first on its first append); the
 *     creation of a segment is made durable before any entry in it is reported written. After a
 *     failed append the segment is abandoned and the next append starts a new one.
 *  4. Tombstones are not synced on their own: after a machine crash a deleted object may be back,
 *     as a deleted file may (they ride on the next object append's synchronized write).
 *  5. A segment holding no live object is deleted, after appending again (durably) those of its
 *     tombstones that delete an entry an older segment still holds. One whose live bytes are
 *     under a quarter of its size has its live objects copied, durably, into the segment being
 *     appended to, and is then deleted: the log holds about four times its live bytes at most,
 *     plus one segment.
 */
import { constants } from "node:fs";
import { mkdir, open, readFile, readdir, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { errorCode, readAt, syncDirectory, writeAll } from "./local-files.js";
import { RecentObjects } from "./recent-objects.js";

/** The directory of the segments, under the storage's root (hidden from listings by its `.`). */
export const LOG_DIRECTORY = ".log";

const SEGMENT_SUFFIX = ".sfl";
const KIND_OBJECT = 1;
const KIND_TOMBSTONE = 2;
/** Length, kind and name length. */
const ENTRY_HEAD_BYTES = 4 + 1 + 2;
const ENTRY_CRC_BYTES = 4;

/** Options of {@link ObjectLog.open}. */
export interface ObjectLogOptions {
  /** Whether appends wait for their data to be on disk (and segment creation for the directory's fsync). */
  readonly fsync: boolean;
  /** A segment takes no more appends once it holds this many bytes. */
  readonly segmentBytes: number;
}

interface Segment {
  readonly id: number;
  readonly path: string;
  /** Bytes in the file (valid entries, and a torn tail for a segment of an earlier run). */
  size: number;
  /** Bytes of the live objects' bodies. */
  liveBytes: number;
  /** Names of the live objects whose entry is in this segment. */
  readonly names: Set<string>;
  /** Names of every object entry in this segment, live or not. */
  readonly written: Set<string>;
  /** Names of the tombstones in this segment. */
  readonly tombstones: Set<string>;
  /** Set once its tombstones are being carried forward, before it is deleted. */
  retiring: boolean;
  /** Open for reading (and, for the segment being appended to, writing); closed when deleted. */
  handle: FileHandle | undefined;
  /** The handle being opened for reading, so that concurrent reads open it once. */
  opening: Promise<FileHandle> | undefined;
  /**
   * For the segment being appended to with `fsync`: a handle opened with `O_DSYNC`, so that a
   * durable append is one call that writes and syncs (instead of a write and an `fdatasync`,
   * two trips through the thread pool and the event loop).
   */
  syncHandle: FileHandle | undefined;
  /** Reads in progress: a deleted segment is closed and unlinked once they are done. */
  readers: number;
  deleted: boolean;
}

interface Location {
  readonly segment: Segment;
  /** Offset of the body in the segment. */
  readonly offset: number;
  readonly length: number;
  /** Order of the entry among all appends, to tell which of two entries of a name is newer. */
  readonly seq: number;
}

interface Append {
  readonly kind: typeof KIND_OBJECT | typeof KIND_TOMBSTONE;
  readonly name: string;
  readonly body: readonly Uint8Array[];
  readonly bodyBytes: number;
  readonly seq: number;
  /** For a copy made by cleaning: the location copied, which must still be current. */
  readonly copyOf: Location | undefined;
  /** Whether the append waits for durability (objects; tombstones when asked). */
  readonly durable: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const textEncoder = new TextEncoder();

function segmentName(id: number): string {
  return `${String(id).padStart(20, "0")}${SEGMENT_SUFFIX}`;
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/** The bytes of one entry, and where its body starts within them. */
function encodeEntry(append: Append): { buffers: Uint8Array[]; bodyOffset: number; bytes: number } {
  const name = textEncoder.encode(append.name);
  const head = new Uint8Array(ENTRY_HEAD_BYTES + name.length);
  const view = new DataView(head.buffer);
  view.setUint32(0, 1 + 2 + name.length + append.bodyBytes, true);
  view.setUint8(4, append.kind);
  view.setUint16(5, name.length, true);
  head.set(name, ENTRY_HEAD_BYTES);
  let crc = crc32(head);
  for (const chunk of append.body) crc = crc32(chunk, crc);
  const buffers = [head, ...append.body, u32(crc)];
  return {
    buffers,
    bodyOffset: head.length,
    bytes: head.length + append.bodyBytes + ENTRY_CRC_BYTES,
  };
}

/** Small objects appended to segment files; see the module comment. */
export class ObjectLog {
  private readonly directory: string;
  private readonly options: ObjectLogOptions;
  private readonly index = new Map<string, Location>();
  private readonly segments = new Map<number, Segment>();
  /** Tombstones queued but not yet written: name → seq of the newest. */
  private readonly pendingTombstones = new Map<string, number>();
  private active: Segment | undefined;
  private nextSegmentId: number;
  private nextSeq = 1;
  private queue: Append[] = [];
  private flushing: Promise<void> | undefined;
  private cleaning: Promise<void> | undefined;
  private readonly disposals = new Set<Promise<void>>();
  private directoryDurable = false;
  private closed = false;
  /** Copies of the objects written last, read instead of their segment. */
  private readonly recent = new RecentObjects();

  private constructor(directory: string, options: ObjectLogOptions, nextSegmentId: number) {
    this.directory = directory;
    this.options = options;
    this.nextSegmentId = nextSegmentId;
  }

  /**
   * Opens the log under `root` (reading the segments there, if any) and deletes or cleans
   * segments that invariant 5 calls for. Creates nothing until the first append.
   */
  static async open(root: string, options: ObjectLogOptions): Promise<ObjectLog> {
    const directory = join(root, LOG_DIRECTORY);
    let files: string[] | undefined;
    try {
      files = await readdir(directory);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    const ids = (files ?? [])
      .filter((file) => /^\d{20}\.sfl$/.test(file))
      .map((file) => Number(file.slice(0, 20)))
      .sort((a, b) => a - b);
    const log = new ObjectLog(directory, options, (ids.at(-1) ?? 0) + 1);
    log.directoryDurable = files !== undefined;
    for (const id of ids) await log.replay(id);
    log.collect();
    return log;
  }

  /** Whether an object of that name is in the log. */
  has(name: string): boolean {
    return this.index.has(name);
  }

  /** The size of an object in the log, or undefined when it is not in the log. */
  size(name: string): number | undefined {
    return this.index.get(name)?.length;
  }

  /** Names of the objects in the log that start with `prefix` (unsorted). */
  names(prefix: string): string[] {
    const names: string[] = [];
    for (const name of this.index.keys()) if (name.startsWith(prefix)) names.push(name);
    return names;
  }

  /**
   * Reads an object, or `length` bytes of it from `offset` (the range is checked by the
   * caller), or returns undefined when the log does not hold it.
   */
  async read(
    name: string,
    range?: { offset: number; length: number },
  ): Promise<Uint8Array | undefined> {
    const location = this.index.get(name);
    if (location === undefined) return undefined;
    const length = range?.length ?? location.length;
    const kept = this.recent.read(name, location.seq, range?.offset ?? 0, length);
    if (kept !== undefined) {
      // Still one turn of the event loop, as a file read takes: a caller reading in a loop
      // until some I/O happens must not starve it.
      await new Promise((resolve) => setImmediate(resolve));
      return kept;
    }
    const segment = location.segment;
    const offset = location.offset + (range?.offset ?? 0);
    segment.readers++;
    try {
      return await readAt(await this.handleOf(segment), offset, length);
    } finally {
      segment.readers--;
      if (segment.deleted && segment.readers === 0) this.dispose(segment);
    }
  }

  /** Appends an object; resolves once it is durable (invariant 1). */
  append(name: string, body: readonly Uint8Array[], bodyBytes: number): Promise<void> {
    return this.enqueue(KIND_OBJECT, name, body, bodyBytes, true);
  }

  /**
   * Removes an object from the log: at once for readers, durably only with `durable` (else with
   * the next append's sync, invariant 4).
   */
  remove(name: string, durable: boolean): Promise<void> {
    const location = this.index.get(name);
    if (location === undefined && !this.pendingObjects(name)) return Promise.resolve();
    if (location !== undefined) this.forget(name, location);
    // Queued objects of that name written before the tombstone are dead on arrival.
    this.pendingTombstones.set(name, this.nextSeq);
    const done = this.enqueue(KIND_TOMBSTONE, name, [], 0, durable);
    this.collect();
    return done;
  }

  /** Waits for the appends and cleaning in progress, then closes the segments. */
  async close(): Promise<void> {
    this.closed = true;
    await this.cleaning;
    while (this.flushing !== undefined) await this.flushing;
    await Promise.all(this.disposals);
    for (const segment of this.segments.values()) {
      await segment.opening?.catch(() => {});
      await closeHandles(segment);
    }
  }

  private pendingObjects(name: string): boolean {
    return this.queue.some((append) => append.name === name && append.kind === KIND_OBJECT);
  }

  private enqueue(
    kind: Append["kind"],
    name: string,
    body: readonly Uint8Array[],
    bodyBytes: number,
    durable: boolean,
    copyOf?: Location,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        kind,
        name,
        body,
        bodyBytes,
        seq: this.nextSeq++,
        copyOf,
        durable,
        resolve,
        reject,
      });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
        this.collect();
      });
    });
  }

  /** Writes queued appends, all that queued meanwhile in one write and one sync each round. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const segment = await this.segmentForAppend();
        const buffers: Uint8Array[] = [];
        const placed: { append: Append; offset: number }[] = [];
        let end = segment.size;
        for (const append of batch) {
          const entry = encodeEntry(append);
          placed.push({ append, offset: end + entry.bodyOffset });
          for (const buffer of entry.buffers) buffers.push(buffer);
          end += entry.bytes;
        }
        try {
          const durable = this.options.fsync && batch.some((append) => append.durable);
          const handle = durable ? segment.syncHandle : segment.handle;
          await writeAll(handle as FileHandle, buffers, segment.size);
        } catch (error) {
          // Invariant 3: what the failed write left in the segment is never followed by more.
          if (this.active === segment) this.active = undefined;
          throw error;
        }
        segment.size = end;
        for (const { append, offset } of placed) {
          this.apply(append, segment, offset);
          // Kept when it became current (not dead on arrival).
          if (append.kind === KIND_OBJECT && this.index.get(append.name)?.seq === append.seq) {
            this.recent.keep(append.name, append.seq, append.body, append.bodyBytes);
          }
        }
        for (const append of batch) append.resolve();
      } catch (error) {
        for (const append of batch) {
          if (
            append.kind === KIND_TOMBSTONE &&
            this.pendingTombstones.get(append.name) === append.seq
          ) {
            this.pendingTombstones.delete(append.name);
          }
          append.reject(error);
        }
      }
    }
  }

  /** The segment to append to: the active one, or a new one once it is full. */
  private async segmentForAppend(): Promise<Segment> {
    const current = this.active;
    if (current !== undefined && current.size < this.options.segmentBytes) return current;
    if (current?.syncHandle !== undefined) {
      // No longer appended to (appends are serial: none is in progress).
      const syncHandle = current.syncHandle;
      current.syncHandle = undefined;
      await syncHandle.close().catch(() => {});
    }
    if (!this.directoryDurable) {
      const first = await mkdir(this.directory, { recursive: true });
      if (this.options.fsync && first !== undefined)
        await syncDirectory(join(this.directory, ".."));
      this.directoryDurable = true;
    }
    const id = this.nextSegmentId++;
    const path = join(this.directory, segmentName(id));
    const handle = await open(path, "wx+");
    let syncHandle: FileHandle | undefined;
    try {
      if (this.options.fsync) {
        syncHandle = await open(path, constants.O_WRONLY | constants.O_DSYNC);
        await syncDirectory(this.directory);
      }
    } catch (error) {
      await handle.close().catch(() => {});
      await syncHandle?.close().catch(() => {});
      await unlink(path).catch(() => {});
      throw error;
    }
    const segment: Segment = {
      id,
      path,
      size: 0,
      liveBytes: 0,
      names: new Set(),
      written: new Set(),
      tombstones: new Set(),
      retiring: false,
      handle,
      opening: undefined,
      syncHandle,
      readers: 0,
      deleted: false,
    };
    this.segments.set(id, segment);
    this.active = segment;
    return segment;
  }

  /** Makes a written (or replayed) entry current. */
  private apply(
    append: Pick<Append, "kind" | "name" | "seq" | "bodyBytes" | "copyOf">,
    segment: Segment,
    offset: number,
  ): void {
    const { name, seq } = append;
    const current = this.index.get(name);
    if (append.kind === KIND_TOMBSTONE) {
      segment.tombstones.add(name);
      if (this.pendingTombstones.get(name) === seq) this.pendingTombstones.delete(name);
      if (current !== undefined && current.seq < seq) this.forget(name, current);
      return;
    }
    segment.written.add(name);
    // A copy whose original was replaced or removed meanwhile, or an object a later queued
    // tombstone removes, is dead on arrival.
    if (append.copyOf !== undefined && current !== append.copyOf) return;
    if ((this.pendingTombstones.get(name) ?? 0) > seq) return;
    if (current !== undefined) {
      if (current.seq > seq) return;
      this.forget(name, current);
    }
    this.index.set(name, { segment, offset, length: append.bodyBytes, seq });
    segment.names.add(name);
    segment.liveBytes += append.bodyBytes;
  }

  private forget(name: string, location: Location): void {
    this.recent.forget(name);
    this.index.delete(name);
    location.segment.names.delete(name);
    location.segment.liveBytes -= location.length;
  }

  /** Reads a segment of an earlier run into the index (invariant 2). */
  private async replay(id: number): Promise<void> {
    const path = join(this.directory, segmentName(id));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      // Deleted since the listing (by a storage closing as this one opened): nothing live in it.
      if (errorCode(error) === "ENOENT") return;
      throw error;
    }
    const segment: Segment = {
      id,
      path,
      size: bytes.length,
      liveBytes: 0,
      names: new Set(),
      written: new Set(),
      tombstones: new Set(),
      retiring: false,
      handle: undefined,
      opening: undefined,
      syncHandle: undefined,
      readers: 0,
      deleted: false,
    };
    this.segments.set(id, segment);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (let at = 0; at + ENTRY_HEAD_BYTES <= bytes.length;) {
      const length = view.getUint32(at, true);
      const end = at + 4 + length;
      if (length < 3 || end + ENTRY_CRC_BYTES > bytes.length) break;
      if (crc32(bytes.subarray(at, end)) !== view.getUint32(end, true)) break;
      const kind = view.getUint8(at + 4);
      const nameLength = view.getUint16(at + 5, true);
      const bodyOffset = at + ENTRY_HEAD_BYTES + nameLength;
      if ((kind !== KIND_OBJECT && kind !== KIND_TOMBSTONE) || bodyOffset > end) break;
      let name: string;
      try {
        name = decoder.decode(bytes.subarray(at + ENTRY_HEAD_BYTES, bodyOffset));
      } catch {
        break;
      }
      this.apply(
        {
          kind,
          name,
          seq: this.nextSeq++,
          bodyBytes: end - bodyOffset,
          copyOf: undefined,
        } as const,
        segment,
        bodyOffset,
      );
      at = end + ENTRY_CRC_BYTES;
    }
  }

  private handleOf(segment: Segment): Promise<FileHandle> {
    if (segment.handle !== undefined) return Promise.resolve(segment.handle);
    segment.opening ??= open(segment.path, "r").then(
      (handle) => {
        segment.handle = handle;
        segment.opening = undefined;
        return handle;
      },
      (error: unknown) => {
        segment.opening = undefined;
        throw error;
      },
    );
    return segment.opening;
  }

  /** Deletes empty segments and cleans sparse ones (invariant 5). */
  private collect(): void {
    if (this.closed) return;
    for (const segment of this.segments.values()) {
      if (segment === this.active || segment.deleted || segment.retiring) continue;
      if (segment.names.size === 0) {
        this.retire(segment);
      } else if (segment.liveBytes * 4 < segment.size && this.cleaning === undefined) {
        this.cleaning = this.clean(segment).finally(() => {
          this.cleaning = undefined;
          this.collect();
        });
      }
    }
  }

  /**
   * Deletes a segment without live objects. Its tombstones of names that an older segment still
   * holds an entry of are first appended again (durably): deleting them with the segment would
   * bring those entries back at the next replay.
   */
  private retire(segment: Segment): void {
    const carried: Promise<void>[] = [];
    for (const name of segment.tombstones) {
      // A live or queued object of that name is newer than the tombstone and supersedes the old
      // entries itself.
      if (this.index.has(name) || this.pendingObjects(name)) continue;
      const older = [...this.segments.values()].some(
        (other) => other.id < segment.id && !other.deleted && other.written.has(name),
      );
      if (older) carried.push(this.enqueue(KIND_TOMBSTONE, name, [], 0, true));
    }
    const remove = (): void => {
      segment.deleted = true;
      this.segments.delete(segment.id);
      if (segment.readers === 0) this.dispose(segment);
    };
    if (carried.length === 0) {
      remove();
      return;
    }
    segment.retiring = true;
    void Promise.all(carried).then(remove, () => {
      segment.retiring = false; // tried again after the next append
    });
  }

  /**
   * Copies a sparse segment's live objects to the active segment; the segment then empties. A copy
   * that fails leaves its object where it is, tried again after the next append.
   */
  private async clean(segment: Segment): Promise<void> {
    const copies: Promise<void>[] = [];
    for (const name of [...segment.names]) {
      const location = this.index.get(name);
      if (location === undefined || location.segment !== segment) continue;
      let body: Uint8Array | undefined;
      try {
        body = await this.read(name);
      } catch {
        break; // left as it is; tried again after the next append
      }
      if (body === undefined || this.index.get(name) !== location) continue;
      const copy = this.enqueue(KIND_OBJECT, name, [body], body.length, true, location);
      // Its failure is handled now: it may fail while the next object is being read, and a
      // rejection left unhandled until then would end the process.
      copies.push(copy.catch(() => undefined));
    }
    await Promise.all(copies);
  }

  /** Closes and unlinks a deleted segment; {@link close} waits for it. */
  private dispose(segment: Segment): void {
    const disposal = (async () => {
      await segment.opening?.catch(() => {});
      await closeHandles(segment);
      // A segment that cannot be unlinked now holds no live object: the next open deletes it.
      await unlink(segment.path).catch(() => {});
    })();
    this.disposals.add(disposal);
    void disposal.finally(() => this.disposals.delete(disposal));
  }
}

/** Closes a segment's handles (errors ignored: the segment is done with). */
async function closeHandles(segment: Segment): Promise<void> {
  const handles = [segment.handle, segment.syncHandle];
  segment.handle = undefined;
  segment.syncHandle = undefined;
  for (const handle of handles) await handle?.close().catch(() => {});
}
