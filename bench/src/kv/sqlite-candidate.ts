/**
 * The `better-sqlite3` candidate (SQLite in WAL mode): one `WITHOUT ROWID` table keyed by the
 * binary key, so rows are stored in key order. Everything is synchronous; a batch is one
 * `db.transaction()`; snapshots are a second, read-only connection inside `BEGIN`.
 *
 * better-sqlite3 compiles SQLite from source when installed (its prebuilt binaries are
 * downloaded from outside npm, which fails here), so it is not a dependency of bench/: it is
 * loaded only when present (`npm install --no-save -w bench better-sqlite3@^12`).
 */
import type { Candidate, Entry, StoreView } from "./candidate.js";
import { fromSync } from "./candidate.js";
import { packageVersion } from "./files.js";

/** The part of better-sqlite3's API used here (it ships no types; @types is not installed). */
interface Statement {
  run(...parameters: unknown[]): unknown;
  get(...parameters: unknown[]): unknown;
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
  pluck(toggle?: boolean): Statement;
  raw(toggle?: boolean): Statement;
}
interface Connection {
  prepare(sql: string): Statement;
  pragma(source: string): unknown;
  exec(sql: string): Connection;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type ConnectionConstructor = new (path: string, options?: { readonly?: boolean }) => Connection;

const SPECIFIER: string = "better-sqlite3";
const RANGE = "SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k";

/** A read-only connection holding one read transaction open: a consistent view. */
function openReader(Sqlite: ConnectionConstructor, file: string): StoreView {
  const reader = new Sqlite(file, { readonly: true });
  reader.exec("BEGIN");
  // SQLite takes the snapshot at a transaction's first read, not at BEGIN.
  reader.prepare("SELECT count(*) FROM (SELECT 1 FROM kv LIMIT 1)").get();
  const select = reader.prepare("SELECT v FROM kv WHERE k = ?").pluck();
  const range = reader.prepare(RANGE).raw();
  return {
    get: (key) => select.get(key) as Buffer | undefined,
    entries: (start, end) => fromSync(range.iterate(start, end) as IterableIterator<Entry>),
    close() {
      reader.exec("COMMIT");
      reader.close();
    },
  };
}

/** A better-sqlite3 candidate on `directory`, or why there is none (not installed). */
export async function createSqliteCandidate(directory: string): Promise<Candidate | string> {
  let Sqlite: ConnectionConstructor;
  try {
    Sqlite = ((await import(SPECIFIER)) as { default: ConnectionConstructor }).default;
  } catch (error) {
    return `better-sqlite3 is not installed (${(error as Error).message.split("\n")[0]}); to include it: npm install --no-save -w bench better-sqlite3@^12`;
  }
  const file = `${directory}/state.sqlite`;
  let db: Connection | undefined;
  let insert: Statement, select: Statement, upsert: Statement, range: Statement;
  let load: (keys: readonly Buffer[], values: readonly Buffer[]) => void;
  let update: (keys: readonly Buffer[], next: (old: Uint8Array | undefined) => Buffer) => void;
  const opened = (): Connection => {
    if (db === undefined) throw new Error("better-sqlite3 candidate: expected an open store");
    return db;
  };
  return {
    package: `better-sqlite3 ${packageVersion("better-sqlite3")}`,
    settings: [
      "WAL, synchronous=OFF (no fsync: survives a process crash, not a power loss)",
      "one WITHOUT ROWID table (k BLOB PRIMARY KEY, v BLOB), default 2 MB page cache",
      "batches and updates: one db.transaction() each; views: a second read-only connection",
    ],
    directory,
    open() {
      const connection = new Sqlite(file);
      connection.pragma("journal_mode = WAL");
      connection.pragma("synchronous = OFF");
      connection.exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
      insert = connection.prepare("INSERT INTO kv (k, v) VALUES (?, ?)");
      upsert = connection.prepare("REPLACE INTO kv (k, v) VALUES (?, ?)");
      select = connection.prepare("SELECT v FROM kv WHERE k = ?").pluck();
      range = connection.prepare(RANGE).raw();
      load = connection.transaction((keys: readonly Buffer[], values: readonly Buffer[]) => {
        for (let i = 0; i < keys.length; i++) insert.run(keys[i], values[i]);
      });
      update = connection.transaction(
        (keys: readonly Buffer[], next: (old: Uint8Array | undefined) => Buffer) => {
          for (const key of keys) upsert.run(key, next(select.get(key) as Buffer | undefined));
        },
      );
      db = connection;
      return Promise.resolve();
    },
    close() {
      opened().close();
      db = undefined;
      return Promise.resolve();
    },
    writeBatch: (keys, values) => load(keys, values),
    getSync: (key) => select.get(key) as Buffer | undefined,
    getAsync: undefined,
    getMany: undefined,
    updateBatch: (keys, next) => update(keys, next),
    scan(start, end) {
      let count = 0;
      for (const row of range.iterate(start, end)) {
        if ((row as Entry)[1].length > 0) count++;
      }
      return count;
    },
    iterate(start, end) {
      const view = openReader(Sqlite, file);
      const entries = view.entries(start, end)[Symbol.asyncIterator]();
      return (async function* () {
        try {
          for (let next = await entries.next(); next.done !== true; next = await entries.next()) {
            yield next.value;
          }
        } finally {
          await view.close();
        }
      })();
    },
    openView: () => openReader(Sqlite, file),
  };
}
