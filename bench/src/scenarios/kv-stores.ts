/**
 * Scenario: one embedded key-value store (`--store`) driven the way the disk state backend will
 * drive it (issue 5, "chosen by measurement"): bulk load of `--keys` state entries in commits of
 * 10,000; random point reads (synchronous where offered, else async with many in flight);
 * read-then-write updates committed per 1,000; ordered scans of one key group and of everything;
 * a point-in-time check (does a scan begun before a batch of writes see none of it?); heap and
 * resident memory after the load (forced GC); size on disk; and the time to reopen the store and
 * read from it. Each candidate runs in its own process on a fresh directory, removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMicros } from "../latency.js";
import { machineBusyMicros, otherProcessesCores } from "../machine.js";
import { progress } from "../progress.js";
import type { Figure } from "../result.js";
import { report } from "../result.js";
import type { Candidate } from "../kv/candidate.js";
import { checkIsolation } from "../kv/consistency.js";
import { diskBytes, residentBytes } from "../kv/files.js";
import { createLevelCandidate } from "../kv/level-candidate.js";
import { createLmdbCandidate } from "../kv/lmdb-candidate.js";
import * as measure from "../kv/measure.js";
import { createSqliteCandidate } from "../kv/sqlite-candidate.js";
import { Random, VALUE_BYTES, keyOf } from "../kv/workload.js";
import { choiceArg, numberArg } from "./args.js";

const storeName = choiceArg("store", [
  "lmdb",
  "lmdb-writemap",
  "classic-level",
  "classic-level-tuned",
  "better-sqlite3",
]);
const keys = numberArg("keys", 1_000_000);
const durationMs = numberArg("duration-ms", 3_000);
const scenario = `kv-stores-${storeName}`;
const MB = 1e6;

const gc = global.gc;
if (gc === undefined) throw new Error("run with --expose-gc");

async function createCandidate(directory: string): Promise<Candidate | string> {
  switch (storeName) {
    case "lmdb":
      return createLmdbCandidate(directory);
    case "lmdb-writemap":
      return createLmdbCandidate(directory, { writemap: true });
    case "classic-level":
      return createLevelCandidate(directory);
    case "classic-level-tuned":
      // What a LevelDB user would set for a working set of this size and bulk writes.
      return createLevelCandidate(directory, {
        cacheBytes: 64 * 2 ** 20,
        writeBufferBytes: 32 * 2 ** 20,
      });
    case "better-sqlite3":
      return createSqliteCandidate(directory);
  }
}

/** Reopens the closed store: time to open, and to open and read one key. */
async function reopen(store: Candidate): Promise<{ openMs: number; firstReadMs: number }> {
  const start = performance.now();
  await store.open();
  const openMs = performance.now() - start;
  const key = keyOf(new Random(99).below(keys));
  const value = store.getSync?.(key) ?? (await store.getAsync?.(key));
  const firstReadMs = performance.now() - start;
  if (value === undefined) throw new Error(`${scenario}: key ${key.toString()} lost on reopen`);
  return { openMs, firstReadMs };
}

async function run(store: Candidate): Promise<{ figures: Figure[]; notes: string[] }> {
  const ticker = new measure.Ticker(scenario);
  const figures: Figure[] = [];
  const notes: string[] = [store.package, ...store.settings];
  const add = (name: string, value: number, unit: string): void => {
    figures.push({ name, value, unit });
  };
  // A rate and, beside it, the process CPU per operation (robust to other load on the machine).
  const addRate = (name: string, rate: measure.Rate, unit: string): void => {
    add(name, rate.perSecond, unit);
    add(`${name} CPU/op`, rate.cpuMicrosPerOp, "µs");
  };
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;

  progress(scenario, `${store.package}: loading ${keys} keys into ${store.directory}`);
  await store.open();
  addRate("load", await measure.bulkLoad(store, keys, ticker), "writes/s");
  gc?.();
  const memory = process.memoryUsage();
  const resident = residentBytes();
  add("heap used after load", memory.heapUsed / MB, "MB");
  add("heap growth", (memory.heapUsed - heapBefore) / MB, "MB");
  add("external after load", memory.external / MB, "MB");
  add("RSS after load", resident.rss / MB, "MB");
  add("RSS anon after load", resident.anon / MB, "MB");
  add("RSS file after load", resident.file / MB, "MB");

  progress(scenario, "random reads");
  if (store.getSync !== undefined) {
    const rate = await measure.syncReads(store.getSync, keys, durationMs, ticker);
    addRate("reads (sync)", rate, "reads/s");
  }
  if (store.getAsync !== undefined) {
    const rate = await measure.asyncReads(store.getAsync, keys, durationMs, ticker);
    addRate(`reads (async, ${measure.ASYNC_READS_IN_FLIGHT} in flight)`, rate, "reads/s");
  }
  if (store.getMany !== undefined) {
    const rate = await measure.manyReads(store.getMany, keys, durationMs, ticker);
    addRate(`reads (getMany of ${measure.GET_MANY_KEYS})`, rate, "reads/s");
  }

  progress(scenario, `read-then-write updates, ${measure.UPDATE_BATCH} per commit`);
  const updated = await measure.updates(store, keys, durationMs, ticker);
  addRate("updates", updated, "updates/s");
  add("update commit p50", updated.commitP50Ms, "ms");
  add("update commit p99", updated.commitP99Ms, "ms");

  progress(scenario, "ordered scans");
  const scanned = await measure.scans(store, keys, durationMs, ticker);
  addRate("key-group scan", scanned.keyGroup, "keys/s");
  addRate("full scan", scanned.full, "keys/s");
  notes.push(
    `key-group scans: ${scanned.keyGroupsScanned} groups of about ${Math.round(keys / 128)} keys`,
  );

  progress(scenario, "point-in-time check");
  const isolation = await checkIsolation(store, keys);
  add("snapshot: iterator", isolation.iterator ? 1 : 0, "1 = isolated");
  add("snapshot: view", isolation.view ? 1 : 0, "1 = isolated");
  notes.push(
    `point in time: a scan begun before the writes saw none of them: ${isolation.iterator ? "yes" : "NO"}; ` +
      `a view opened before them saw none of them: ${isolation.view ? "yes" : "NO"} ` +
      `(key group of ${isolation.groupKeys} keys, 1,000 overwrites + 100 inserts)`,
  );

  await store.close();
  add("disk size", diskBytes(store.directory) / MB, "MB");
  progress(scenario, "reopening");
  const reopened = await reopen(store);
  add("open", reopened.openMs, "ms");
  add("open + first read", reopened.firstReadMs, "ms");
  await store.close();
  add("max RSS", process.resourceUsage().maxRSS / 1024, "MB");
  return { figures, notes };
}

const directory = mkdtempSync(join(tmpdir(), `${scenario}-`));
try {
  const candidate = await createCandidate(directory);
  if (typeof candidate === "string") {
    progress(scenario, `skipped: ${candidate}`);
    report({ scenario, figures: [], notes: [`skipped: ${candidate}`] });
  } else {
    const busyBefore = machineBusyMicros() ?? NaN;
    const cpuBefore = cpuMicros();
    const start = performance.now();
    const { figures, notes } = await run(candidate);
    const seconds = (performance.now() - start) / 1000;
    const ownCpu = cpuMicros() - cpuBefore;
    figures.push({ name: "own CPU", value: ownCpu / 1e6 / seconds, unit: "cores" });
    figures.push({
      name: "other processes' CPU",
      value: otherProcessesCores((machineBusyMicros() ?? NaN) - busyBefore, ownCpu, seconds),
      unit: "cores",
    });
    notes.push(
      `${keys} keys of ${VALUE_BYTES}-byte values, loaded in commits of ${measure.LOAD_BATCH}; ` +
        `timed phases ${durationMs} ms each (store calls only); ${seconds.toFixed(0)} s in all`,
    );
    report({ scenario, figures, notes });
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
