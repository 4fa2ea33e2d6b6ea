/**
 * Helpers of the checkpoint format tests: manifests, merges on the calling thread, an in-memory
 * {@link CheckpointStorage} that counts the bytes and reads it serves (to prove range reads),
 * chunk collection, byte flipping, and a way to rewrite a file's manifest with a valid CRC (to
 * reach the checks behind the CRC).
 */
import { crc32 } from "node:zlib";
import { StatefunError } from "@statefun-ts/protocol";
import {
  compactedChunks,
  incrementalMergeChunks,
  writeFile,
} from "../../src/checkpoint/compaction.js";
import type { CheckpointManifest, GlobalContent } from "../../src/checkpoint/model.js";
import type { CheckpointStorage } from "../../src/checkpoint/storage.js";

/**
 * Writes the incremental file `target` merging `names` on this thread, as the compaction
 * thread's worker prepares it; returns its size in bytes.
 */
export async function mergeIncremental(
  storage: CheckpointStorage,
  names: readonly string[],
  before: readonly string[],
  target: string,
): Promise<number> {
  return writeFile(storage, target, await incrementalMergeChunks(storage, names, before));
}

/** Writes the full base `target` of a chain on this thread; returns its size in bytes. */
export async function compactChain(
  storage: CheckpointStorage,
  names: readonly string[],
  target: string,
  maxKeyGroups: number,
): Promise<number> {
  return writeFile(storage, target, await compactedChunks(storage, names, maxKeyGroups));
}

/** No egress, sink or ingress content. */
export const NO_GLOBAL: GlobalContent = { egress: [], sinks: [], ingresses: [] };

/** The manifest of incremental checkpoint `id` after `chain`, over 16 key groups. */
export function manifestOf(id: number, chain: readonly string[]): CheckpointManifest {
  return {
    formatVersion: 1,
    id,
    kind: "checkpoint",
    createdAtMs: 1_700_000_000_000 + id,
    maxKeyGroups: 16,
    mode: "exactly-once",
    full: false,
    chain: [...chain],
    info: {},
  };
}

/** A {@link CheckpointStorage} in memory that records how much was read. */
export interface CountingStorage extends CheckpointStorage {
  /** Bytes returned by `read` since creation or {@link resetCounts}. */
  bytesRead: number;
  /** Calls of `read` since creation or {@link resetCounts}. */
  reads: number;
  /** Bytes returned by the largest `read` since creation or {@link resetCounts}. */
  largestRead: number;
  /** The stored objects. */
  readonly objects: Map<string, Uint8Array>;
  resetCounts(): void;
}

/** A fresh in-memory storage. */
export function createCountingStorage(): CountingStorage {
  const objects = new Map<string, Uint8Array>();
  const get = (name: string): Uint8Array => {
    const bytes = objects.get(name);
    if (bytes === undefined) throw new StatefunError("storage-failed", `no object ${name}`);
    return bytes;
  };
  const storage: CountingStorage = {
    location: "memory:",
    bytesRead: 0,
    reads: 0,
    largestRead: 0,
    objects,
    resetCounts() {
      storage.bytesRead = 0;
      storage.reads = 0;
      storage.largestRead = 0;
    },
    async write(name, chunks) {
      objects.set(name, await collect(chunks));
    },
    read(name, range) {
      const bytes = get(name);
      const slice =
        range === undefined ? bytes : bytes.slice(range.offset, range.offset + range.length);
      storage.bytesRead += slice.length;
      storage.reads += 1;
      storage.largestRead = Math.max(storage.largestRead, slice.length);
      return Promise.resolve(slice);
    },
    size: (name) => Promise.resolve(get(name).length),
    list: (prefix) =>
      Promise.resolve([...objects.keys()].filter((name) => name.startsWith(prefix)).sort()),
    delete(name) {
      objects.delete(name);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return storage;
}

/** Concatenates chunks. */
export async function collect(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

/** A copy of `bytes` with the byte at `offset` inverted. */
export function flipByte(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}

/** Where the manifest of a (well-formed) file is. */
export function manifestRange(bytes: Uint8Array): { start: number; length: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.length - 16, true);
  return { start: bytes.length - 16 - length, length };
}

/** The file with its manifest JSON replaced by `edit(json)`, with a matching length and CRC. */
export function withManifest(
  bytes: Uint8Array,
  edit: (json: Record<string, unknown>) => unknown,
  raw?: (text: string) => string,
): Uint8Array {
  const { start, length } = manifestRange(bytes);
  const original = new TextDecoder().decode(bytes.subarray(start, start + length));
  const text =
    raw?.(original) ?? JSON.stringify(edit(JSON.parse(original) as Record<string, unknown>));
  const manifest = new TextEncoder().encode(text);
  const tail = new Uint8Array(16);
  const view = new DataView(tail.buffer);
  view.setUint32(0, manifest.length, true);
  view.setUint32(4, crc32(manifest), true);
  tail.set(bytes.subarray(bytes.length - 8), 8);
  return new Uint8Array(Buffer.concat([bytes.subarray(0, start), manifest, tail]));
}

/** Runs `action` and returns the `StatefunError` it rejects with; fails when it does not. */
export async function rejection(action: () => Promise<unknown>): Promise<StatefunError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StatefunError) return error;
    throw new Error(`expected a StatefunError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a rejection, but the action succeeded");
}
