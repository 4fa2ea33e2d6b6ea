/**
 * The `classic-level` candidate (LevelDB 1.x underneath): a log-structured merge tree with a
 * write-ahead log and background compaction. Batches are one `db.batch([...])`; reads are
 * `getSync` (abstract-level 3), async `get` and `getMany`; scans pull `nextv(1000)`; snapshots
 * are `db.snapshot()` (implicit ones are taken when an iterator is created).
 */
import { ClassicLevel } from "classic-level";
import type { Candidate, Entry, StoreView } from "./candidate.js";
import { packageVersion } from "./files.js";

type Db = ClassicLevel<Buffer, Buffer>;
type Put = { type: "put"; key: Buffer; value: Buffer };

const SCAN_CHUNK = 1000;

/** An async iterator of a classic-level iterator's entries, pulled `SCAN_CHUNK` at a time. */
async function* chunkedEntries(iterator: ReturnType<Db["iterator"]>) {
  try {
    for (;;) {
      const chunk = await iterator.nextv(SCAN_CHUNK);
      if (chunk.length === 0) return;
      for (const entry of chunk) yield entry as Entry;
    }
  } finally {
    await iterator.close();
  }
}

/** LevelDB sizes; LevelDB's defaults where absent (8 MB block cache, 4 MB write buffer). */
export interface LevelTuning {
  readonly cacheBytes?: number;
  readonly writeBufferBytes?: number;
}

/** A classic-level candidate on `directory`. */
export function createLevelCandidate(directory: string, tuning: LevelTuning = {}): Candidate {
  const cacheMb = (tuning.cacheBytes ?? 8 * 2 ** 20) / 2 ** 20;
  const writeBufferMb = (tuning.writeBufferBytes ?? 4 * 2 ** 20) / 2 ** 20;
  const tuned = tuning.cacheBytes !== undefined || tuning.writeBufferBytes !== undefined;
  let db: Db | undefined;
  const opened = (): Db => {
    if (db === undefined) throw new Error("classic-level candidate: expected an open store");
    return db;
  };
  return {
    package: `classic-level ${packageVersion("classic-level")}`,
    settings: [
      "batch() without sync (WAL written, not fsynced: survives a process crash, not a power loss)",
      `buffer keys and values, snappy compression, bloom filter (10 bits), ` +
        `${cacheMb} MB block cache, ${writeBufferMb} MB write buffer (${tuned ? "tuned" : "LevelDB's defaults"})`,
      "updates: getSync per key, then one batch() per 1,000",
    ],
    directory,
    async open() {
      db = new ClassicLevel<Buffer, Buffer>(directory, {
        keyEncoding: "buffer",
        valueEncoding: "buffer",
        ...(tuning.cacheBytes === undefined ? {} : { cacheSize: tuning.cacheBytes }),
        ...(tuning.writeBufferBytes === undefined
          ? {}
          : { writeBufferSize: tuning.writeBufferBytes }),
      });
      await db.open();
    },
    async close() {
      await opened().close();
      db = undefined;
    },
    writeBatch(keys, values) {
      const operations: Put[] = new Array<Put>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        operations[i] = { type: "put", key: keys[i] as Buffer, value: values[i] as Buffer };
      }
      return opened().batch(operations);
    },
    getSync: (key) => opened().getSync(key),
    getAsync: (key) => opened().get(key),
    getMany: (keys) => opened().getMany(keys as Buffer[]),
    updateBatch(keys, update) {
      const store = opened();
      const operations: Put[] = new Array<Put>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as Buffer;
        operations[i] = { type: "put", key, value: update(store.getSync(key)) };
      }
      return store.batch(operations);
    },
    async scan(start, end) {
      const iterator = opened().iterator({ gte: start, lt: end });
      let count = 0;
      try {
        for (;;) {
          const chunk = await iterator.nextv(SCAN_CHUNK);
          if (chunk.length === 0) return count;
          for (const [, value] of chunk) if (value.length > 0) count++;
        }
      } finally {
        await iterator.close();
      }
    },
    iterate(start, end) {
      return chunkedEntries(opened().iterator({ gte: start, lt: end }));
    },
    openView(): StoreView {
      const store = opened();
      const snapshot = store.snapshot();
      return {
        get: (key) => store.get(key, { snapshot }),
        entries: (start, end) => chunkedEntries(store.iterator({ gte: start, lt: end, snapshot })),
        close: () => snapshot.close(),
      };
    },
  };
}
