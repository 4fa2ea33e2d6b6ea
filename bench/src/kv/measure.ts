/**
 * The timed phases of the `kv-stores` scenario. Each phase builds its keys and values outside
 * the timed region (the same work for every candidate), then times only the store's calls, and
 * prints a progress line on stderr every few seconds.
 */
import assert from "node:assert/strict";
import { LatencySamples, cpuMicros } from "../latency.js";
import { progress } from "../progress.js";
import type { Candidate } from "./candidate.js";
import { KEY_GROUPS, Random, keyGroupRange, keyOf, updatedValue, valueOf } from "./workload.js";

/** Entries per bulk-load commit. */
export const LOAD_BATCH = 10_000;
/** Updates per commit (one runtime batch's worth of invocations). */
export const UPDATE_BATCH = 1_000;
/** Reads in flight for asynchronous point reads. */
export const ASYNC_READS_IN_FLIGHT = 64;
/** Keys per `getMany` call. */
export const GET_MANY_KEYS = 100;
const READ_BATCH = 10_000;
const PROGRESS_EVERY_MS = 3_000;

/** Prints `message()` at most every few seconds. */
export class Ticker {
  private last = performance.now();
  /** The scenario name progress lines start with. */
  readonly scenario: string;

  constructor(scenario: string) {
    this.scenario = scenario;
  }

  /** Prints `message()` if the last line is a few seconds old. */
  tick(message: () => string): void {
    const now = performance.now();
    if (now - this.last < PROGRESS_EVERY_MS) return;
    this.last = now;
    progress(this.scenario, message());
  }
}

/** A measured rate: operations per second of store time, and process CPU per operation. */
export interface Rate {
  readonly perSecond: number;
  /** CPU time of the whole process (all its threads) per operation, in µs. */
  readonly cpuMicrosPerOp: number;
}

/** Sums wall time and process CPU time spent inside store calls. */
class Meter {
  private wallMs = 0;
  private cpu = 0;
  private operations = 0;

  /** Wall time measured so far, in ms. */
  get elapsedMs(): number {
    return this.wallMs;
  }

  /** Times one store call covering `operations` operations. */
  async time(operations: number, call: () => void | Promise<void>): Promise<void> {
    const cpuStart = cpuMicros();
    const start = performance.now();
    await call();
    this.wallMs += performance.now() - start;
    this.cpu += cpuMicros() - cpuStart;
    this.operations += operations;
  }

  /** The rate so far, over `operations` (default: the counts given to `time`). */
  rate(operations = this.operations): Rate {
    return {
      perSecond: operations / (this.wallMs / 1000),
      cpuMicrosPerOp: this.cpu / operations,
    };
  }
}

/** Loads ids `0..keys-1` in commits of `LOAD_BATCH`. */
export async function bulkLoad(store: Candidate, keys: number, ticker: Ticker): Promise<Rate> {
  const random = new Random(1);
  const meter = new Meter();
  for (let first = 0; first < keys; first += LOAD_BATCH) {
    const count = Math.min(LOAD_BATCH, keys - first);
    const batchKeys = Array.from({ length: count }, (_, i) => keyOf(first + i));
    const batchValues = Array.from({ length: count }, () => valueOf(random));
    await meter.time(count, () => store.writeBatch(batchKeys, batchValues));
    ticker.tick(() => `load: ${first + count} of ${keys} keys`);
  }
  return meter.rate();
}

function randomKeys(random: Random, keys: number, count: number): Buffer[] {
  return Array.from({ length: count }, () => keyOf(random.below(keys)));
}

/** Runs `round` on fresh random key batches for `durationMs` of store time. */
async function timed(
  label: string,
  durationMs: number,
  keys: number,
  ticker: Ticker,
  round: (batch: Buffer[]) => void | Promise<void>,
  batchSize = READ_BATCH,
): Promise<Rate> {
  const random = new Random(7);
  const meter = new Meter();
  let operations = 0;
  while (meter.elapsedMs < durationMs) {
    const batch = randomKeys(random, keys, batchSize);
    await meter.time(batch.length, () => round(batch));
    operations += batch.length;
    ticker.tick(() => `${label}: ${operations} operations`);
  }
  return meter.rate();
}

/** Synchronous point reads of random existing keys (each must be found); reads per second. */
export function syncReads(
  get: (key: Buffer) => Uint8Array | undefined,
  keys: number,
  durationMs: number,
  ticker: Ticker,
): Promise<Rate> {
  return timed("sync reads", durationMs, keys, ticker, (batch) => {
    let found = 0;
    for (const key of batch) if (get(key) !== undefined) found++;
    assert.equal(found, batch.length, "every read key exists");
  });
}

/** Asynchronous point reads, `ASYNC_READS_IN_FLIGHT` at a time; reads per second. */
export function asyncReads(
  get: (key: Buffer) => Promise<Uint8Array | undefined>,
  keys: number,
  durationMs: number,
  ticker: Ticker,
): Promise<Rate> {
  return timed("async reads", durationMs, keys, ticker, async (batch) => {
    let next = 0;
    let found = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        if ((await get(batch[next++] as Buffer)) !== undefined) found++;
      }
    };
    await Promise.all(Array.from({ length: ASYNC_READS_IN_FLIGHT }, worker));
    assert.equal(found, batch.length, "every read key exists");
  });
}

/** Multi-key reads of `GET_MANY_KEYS` keys per call, one call at a time; reads per second. */
export function manyReads(
  getMany: (keys: readonly Buffer[]) => Promise<readonly unknown[]>,
  keys: number,
  durationMs: number,
  ticker: Ticker,
): Promise<Rate> {
  return timed("getMany reads", durationMs, keys, ticker, async (batch) => {
    let found = 0;
    for (let i = 0; i < batch.length; i += GET_MANY_KEYS) {
      const values = await getMany(batch.slice(i, i + GET_MANY_KEYS));
      for (const value of values) if (value !== undefined) found++;
    }
    assert.equal(found, batch.length, "every read key exists");
  });
}

/** Read-then-write updates of random keys, committed every `UPDATE_BATCH`. */
export async function updates(
  store: Candidate,
  keys: number,
  durationMs: number,
  ticker: Ticker,
): Promise<Rate & { commitP50Ms: number; commitP99Ms: number }> {
  const random = new Random(11);
  const commits = new LatencySamples();
  const rate = await timed(
    "updates",
    durationMs,
    keys,
    ticker,
    async (batch) => {
      const start = performance.now();
      await store.updateBatch(batch, (old) =>
        updatedValue(old === undefined ? undefined : Buffer.from(old), random),
      );
      commits.add(performance.now() - start);
    },
    UPDATE_BATCH,
  );
  const [commitP50Ms = NaN, commitP99Ms = NaN] = commits.percentiles(50, 99);
  return { ...rate, commitP50Ms, commitP99Ms };
}

/** Ordered scans: whole key groups in turn for `durationMs`, then everything once. */
export async function scans(
  store: Candidate,
  keys: number,
  durationMs: number,
  ticker: Ticker,
): Promise<{ keyGroup: Rate; keyGroupsScanned: number; full: Rate }> {
  const meter = new Meter();
  let seen = 0;
  let groups = 0;
  while (groups < KEY_GROUPS && (meter.elapsedMs < durationMs || groups === 0)) {
    const { start, end } = keyGroupRange((groups * 37) % KEY_GROUPS);
    let count = 0;
    await meter.time(0, async () => {
      count = await store.scan(start, end);
    });
    seen += count;
    groups++;
    ticker.tick(() => `key-group scans: ${groups} groups, ${seen} keys`);
  }
  const keyGroup = meter.rate(seen);
  progress(ticker.scenario, `full scan of ${keys} keys`);
  const fullMeter = new Meter();
  let all = 0;
  await fullMeter.time(0, async () => {
    all = await store.scan(keyGroupRange(0).start, keyGroupRange(KEY_GROUPS - 1).end);
  });
  assert.equal(all, keys, "a full scan sees every key once");
  return { keyGroup, keyGroupsScanned: groups, full: fullMeter.rate(all) };
}
