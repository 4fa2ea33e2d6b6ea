/**
 * The `lmdb` (lmdb-js, LMDB 0.9 underneath) candidate: a B+tree in a memory-mapped file. Reads
 * are synchronous and served from the OS page cache; each batch is one `transactionSync` with
 * `putSync`s (synchronous commit on the calling thread, no worker hand-off); snapshots are read
 * transactions (`useReadTransaction`).
 */
import { open } from "lmdb";
import type { RangeIterable, RootDatabase } from "lmdb";
import type { Candidate, Entry, StoreView } from "./candidate.js";
import { fromSync } from "./candidate.js";
import { packageVersion } from "./files.js";

type Db = RootDatabase<Buffer, Buffer>;

/** lmdb's synchronous range iterable as the async iterator of entries the driver pulls from. */
function asyncEntries(range: RangeIterable<{ key: Buffer; value: Buffer }>) {
  return fromSync(range.map(({ key, value }): Entry => [key, value]));
}

/** lmdb settings beyond the fixed ones. */
export interface LmdbTuning {
  /**
   * `useWritemap`: write pages in place in the shared map instead of copying dirty pages to
   * malloc'd memory and `pwrite`-ing them at commit. Faster random overwrites; a stray native
   * pointer could corrupt the file, and child transactions are unavailable. Default false.
   */
  readonly writemap?: boolean;
}

/** An lmdb candidate on `directory`. */
export function createLmdbCandidate(directory: string, tuning: LmdbTuning = {}): Candidate {
  const writemap = tuning.writemap ?? false;
  let db: Db | undefined;
  const opened = (): Db => {
    if (db === undefined) throw new Error("lmdb candidate: expected an open store, found closed");
    return db;
  };
  return {
    package: `lmdb ${packageVersion("lmdb")}`,
    settings: [
      "noSync (no fsync per commit: survives a process crash, not a power loss)",
      "binary keys and values, no compression, no lmdb-js object cache",
      writemap
        ? "useWritemap (pages written in place in the map)"
        : "no writemap (lmdb-js default)",
      "batches: transactionSync + putSync; updates: get + putSync inside transactionSync",
    ],
    directory,
    open() {
      db = open<Buffer, Buffer>({
        path: directory,
        keyEncoding: "binary",
        encoding: "binary",
        compression: false,
        cache: false,
        noSync: true,
        useWritemap: writemap,
      });
      return Promise.resolve();
    },
    async close() {
      await opened().close();
      db = undefined;
    },
    writeBatch(keys, values) {
      const store = opened();
      store.transactionSync(() => {
        for (let i = 0; i < keys.length; i++) {
          store.putSync(keys[i] as Buffer, values[i] as Buffer);
        }
      });
    },
    getSync: (key) => opened().get(key),
    getAsync: undefined,
    getMany: undefined,
    updateBatch(keys, update) {
      const store = opened();
      store.transactionSync(() => {
        for (const key of keys) store.putSync(key, update(store.get(key)));
      });
    },
    scan(start, end) {
      let count = 0;
      for (const { value } of opened().getRange({ start, end })) {
        if (value.length > 0) count++;
      }
      return count;
    },
    iterate(start, end) {
      return asyncEntries(opened().getRange({ start, end }));
    },
    openView(): StoreView {
      const store = opened();
      const transaction = store.useReadTransaction();
      return {
        get: (key) => store.get(key, { transaction }),
        entries: (start, end) => asyncEntries(store.getRange({ start, end, transaction })),
        close: () => transaction.done(),
      };
    },
  };
}
