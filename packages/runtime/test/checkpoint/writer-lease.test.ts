/**
 * The writer lease of a checkpoint storage, over a real local storage: taken when free, refused
 * while another live process holds it, taken over from a process that is gone or a lease that
 * expired, renewed while held, released on stop. A holder that loses it (taken over, or not
 * renewed within its time to live) is told, and its guarded storage writes and deletes nothing;
 * a runtime that lost it fails (its health says so) and acknowledges nothing more.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, addressOf, intType, isStatefunError } from "@statefun-ts/protocol";
import type { StatefunError } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { createLocalCheckpointStorage } from "../../src/index.js";
import type { CheckpointStorage } from "../../src/index.js";
import {
  LEASE_OBJECT,
  acquireWriterLease,
  guardedByLease,
} from "../../src/checkpoint/writer-lease.js";
import type { WriterLease, WriterLeaseOptions } from "../../src/checkpoint/writer-lease.js";
import { healthView } from "../../src/admin/routes.js";
import { captureLogger } from "../observability/fixture.js";
import type { LogLine } from "../observability/fixture.js";
import { waitFor } from "../io/wait-for.js";
import { checkpointDirectory, killable, stallable, startRuntime } from "./recovery-harness.js";

async function storage(): Promise<CheckpointStorage> {
  return createLocalCheckpointStorage({ directory: await checkpointDirectory() });
}

async function leaseOf(store: CheckpointStorage): Promise<Record<string, unknown> | undefined> {
  if (!(await store.list(LEASE_OBJECT)).includes(LEASE_OBJECT)) return undefined;
  return JSON.parse(Buffer.from(await store.read(LEASE_OBJECT)).toString("utf8")) as Record<
    string,
    unknown
  >;
}

/** Writes the lease of another process, renewed `agoMs` ago. */
async function heldBy(
  store: CheckpointStorage,
  holder: { host: string; pid: number; agoMs: number; ttlMs?: number },
): Promise<void> {
  const record = {
    owner: "someone-else",
    host: holder.host,
    pid: holder.pid,
    since: "2026-01-01T00:00:00.000Z",
    renewedAtMs: Date.now() - holder.agoMs,
    ttlMs: holder.ttlMs ?? 30_000,
  };
  await store.write(LEASE_OBJECT, [Buffer.from(JSON.stringify(record))]);
}

function options(
  overrides: Partial<WriterLeaseOptions> = {},
  lines: LogLine[] = [],
): WriterLeaseOptions {
  return {
    ttlMs: 30_000,
    logger: captureLogger(lines),
    onLost: () => undefined,
    settleMs: 10,
    host: "here",
    pid: 100,
    alive: () => true,
    ...overrides,
  };
}

test("a free storage is leased; the lease names its holder and is deleted on release", async () => {
  const store = await storage();
  const lease = await acquireWriterLease(store, options());
  const record = await leaseOf(store);
  assert.equal(record?.host, "here");
  assert.equal(record?.pid, 100);
  assert.equal(record?.ttlMs, 30_000);
  assert.equal(lease.lost, undefined);
  await lease.release();
  assert.equal(await leaseOf(store), undefined);
});

test("a live lease of another process is refused, and left as it is", async () => {
  const store = await storage();
  await heldBy(store, { host: "there", pid: 7, agoMs: 5_000 });
  const before = await leaseOf(store);
  await assert.rejects(acquireWriterLease(store, options()), (error: unknown) => {
    assert.ok(isStatefunError(error, "invalid-config"), String(error));
    const match =
      /^the checkpoint storage .* is in use by process 7 on host "there" \(holding it since 2026-01-01T00:00:00.000Z\), which renewed its lease (\d+) s ago; run one statefun per checkpoint storage \(a lease not renewed for 30 s is taken over\)$/u.exec(
        error.message,
      );
    assert.ok(match, error.message);
    // Renewed 5 s before the start, which a stalled machine may take a while to reach.
    assert.ok(Number(match[1]) >= 5 && Number(match[1]) < 30, error.message);
    return true;
  });
  assert.deepEqual(await leaseOf(store), before);
  // The same host, with that process alive: refused too.
  await heldBy(store, { host: "here", pid: 7, agoMs: 0 });
  await assert.rejects(acquireWriterLease(store, options()), /is in use by process 7/u);
});

test("a lease is taken over once expired, or at once when its process is gone from this host", async () => {
  const store = await storage();
  const lines: LogLine[] = [];
  await heldBy(store, { host: "there", pid: 7, agoMs: 31_000 });
  const expired = await acquireWriterLease(store, options({}, lines));
  assert.equal((await leaseOf(store))?.host, "here");
  assert.ok(
    lines.some((line) => line.message.startsWith("taking over the checkpoint storage lease")),
  );
  await expired.release();

  await heldBy(store, { host: "here", pid: 7, agoMs: 0 });
  const gone = await acquireWriterLease(store, options({ alive: (pid) => pid !== 7 }));
  assert.equal((await leaseOf(store))?.pid, 100);
  await gone.release();

  // This very process (a runtime restarted in process after a crash that left its lease).
  await heldBy(store, { host: "here", pid: 100, agoMs: 0 });
  const restarted = await acquireWriterLease(store, options());
  await restarted.release();
});

test("a held lease is renewed every third of its time to live", async () => {
  const store = await storage();
  const lease = await acquireWriterLease(store, options({ ttlMs: 1500 }));
  const first = (await leaseOf(store))?.renewedAtMs as number;
  const renewedAtMs = async () => (await leaseOf(store))?.renewedAtMs as number;
  await waitFor(async () => (await renewedAtMs()) > first, "a renewal", 10_000);
  await waitFor(async () => (await renewedAtMs()) > first + 150, "renewals", 10_000);
  assert.equal(lease.lost, undefined);
  await lease.release();
});

/**
 * `store`, whose next `truncated` reads of the lease see the first half of it, as on an
 * S3-compatible server that answers a write before the object is fully written.
 */
function halfWritten(store: CheckpointStorage): CheckpointStorage & { truncated: number } {
  const wrapped = {
    ...store,
    truncated: 0,
    async read(
      name: string,
      range?: { readonly offset: number; readonly length: number },
    ): Promise<Uint8Array> {
      const bytes = await store.read(name, range);
      if (name !== LEASE_OBJECT || wrapped.truncated === 0) return bytes;
      wrapped.truncated -= 1;
      return bytes.subarray(0, bytes.length >> 1);
    },
  };
  return wrapped;
}

test("a lease read while a write is still landing is read again, not taken for gone", async () => {
  const inner = await storage();
  const store = halfWritten(inner);
  const lost: StatefunError[] = [];
  const lease = await acquireWriterLease(
    store,
    options({ ttlMs: 1500, onLost: (error) => lost.push(error) }),
  );
  // A renewal that first reads it half-written renews it all the same.
  const first = (await leaseOf(inner))?.renewedAtMs as number;
  store.truncated = 2;
  await waitFor(
    async () => ((await leaseOf(inner))?.renewedAtMs as number) > first,
    "a renewal",
    10_000,
  );
  assert.equal(store.truncated, 0);
  assert.deepEqual(lost, []);
  // So does the release: the lease is deleted.
  store.truncated = 2;
  await lease.release();
  assert.equal(store.truncated, 0);
  assert.equal(await leaseOf(inner), undefined);
  assert.deepEqual(lost, []);
});

test("a lease taken over is lost: the holder is told and its guarded storage writes nothing", async () => {
  const store = await storage();
  const lost: StatefunError[] = [];
  const lease = await acquireWriterLease(
    store,
    options({ ttlMs: 1500, onLost: (error) => lost.push(error) }),
  );
  const guarded = guardedByLease(store, () => lease.refusal());
  await guarded.write("checkpoints/chk-1.sfc", [new Uint8Array([1])]);
  await heldBy(store, { host: "there", pid: 7, agoMs: 0 });
  await waitFor(() => lost.length === 1, "the loss", 10_000);
  assert.equal(lease.lost, lost[0]);
  assert.match(
    lost[0]?.message ?? "",
    /^lost the lease of the checkpoint storage .*: process 7 on host "there" \(.*\) took it over; no checkpoint is written from now on$/u,
  );
  for (const attempt of [
    () => guarded.write("checkpoints/chk-2.sfc", [new Uint8Array([2])]),
    () => guarded.delete("checkpoints/chk-1.sfc"),
  ]) {
    await assert.rejects(attempt(), (error: unknown) => {
      assert.ok(isStatefunError(error, "illegal-state"), String(error));
      assert.equal(error.cause, lost[0]);
      return true;
    });
  }
  assert.deepEqual(await store.list("checkpoints/"), ["checkpoints/chk-1.sfc"]);
  await lease.release();
  assert.equal((await leaseOf(store))?.host, "there", "the new holder's lease stays");
  assert.equal(lost.length, 1);
});

test("a holder whose last renewal is older than the time to live writes nothing until it renews", async () => {
  const store = await storage();
  let clock = Date.now();
  const lease = await acquireWriterLease(store, options({ ttlMs: 300, now: () => clock }));
  const guarded = guardedByLease(store, () => lease.refusal());
  // The process was paused for a second: another may have taken the lease meanwhile.
  clock += 1000;
  assert.match(
    lease.refusal()?.message ?? "",
    /was last renewed 1 s ago, beyond its time to live/u,
  );
  await assert.rejects(guarded.write("checkpoints/chk-1.sfc", [new Uint8Array([1])]), (error) => {
    assert.ok(isStatefunError(error, "storage-failed"), String(error));
    return true;
  });
  // A renewal finds the lease still its own: writing goes on.
  await waitFor(() => lease.refusal() === undefined, "a renewal", 10_000);
  await guarded.write("checkpoints/chk-1.sfc", [new Uint8Array([1])]);
  assert.equal(lease.lost, undefined);
  await lease.release();
});

/** A lease of 300 ms on `store`, once `fail` broke the storage and the lease was lost. */
async function lostLease(
  store: CheckpointStorage,
  fail: () => void,
): Promise<{ lease: WriterLease; lost: StatefunError }> {
  const lost: StatefunError[] = [];
  const lease = await acquireWriterLease(
    store,
    options({ ttlMs: 300, onLost: (error) => lost.push(error) }),
  );
  fail();
  await waitFor(() => lost.length === 1, "the loss", 10_000);
  return { lease, lost: lost[0] as StatefunError };
}

test("a lease that cannot be renewed within its time to live is lost", async () => {
  const store = killable(await storage());
  const { lease, lost } = await lostLease(store, () => store.kill());
  assert.match(lost.message, /it could not be renewed for 0 s/u);
  await lease.release();
});

test("a lease whose renewal never completes is lost once its time to live has passed", async () => {
  const store = stallable(await storage(), new Set(["write", "read", "size", "list"]));
  // The storage stops answering: the next renewal waits for ever.
  const { lease, lost } = await lostLease(store, () => store.stall());
  assert.match(lost.message, /its renewal has not completed for 0 s/u);
  assert.ok(isStatefunError(lease.refusal(), "illegal-state"));
  store.resume();
  await lease.release();
});

test("a release the storage does not answer gives up after the time to live", async () => {
  const store = stallable(await storage(), new Set(["write", "read", "size", "list"]));
  const lines: LogLine[] = [];
  const lease = await acquireWriterLease(store, options({ ttlMs: 300 }, lines));
  // The storage stops answering while a renewal is on its way.
  store.stall();
  await waitFor(() => store.waiting === 1, "a renewal waiting for the storage", 10_000);
  const started = performance.now();
  await lease.release();
  assert.ok(performance.now() - started >= 250, "it waited for the storage first");
  assert.ok(
    lines.some((line) => line.message.includes("did not answer the lease release in time")),
  );
  store.resume();
});

test("of two processes taking a free lease together, the one whose lease was overwritten gives up", async () => {
  const store = await storage();
  let otherListed: () => void = () => undefined;
  const listedByOther = new Promise<void>((resolve) => {
    otherListed = resolve;
  });
  let mineWritten: () => void = () => undefined;
  const writtenByMine = new Promise<void>((resolve) => {
    mineWritten = resolve;
  });
  let theirsWritten: () => void = () => undefined;
  const writtenByTheirs = new Promise<void>((resolve) => {
    theirsWritten = resolve;
  });
  // Both find the storage free; this process writes its lease first, the other overwrites it,
  // and only then does this process read its lease back.
  let listings = 0;
  const mine: CheckpointStorage = {
    ...store,
    list: async (prefix) => {
      if (++listings > 1) await writtenByTheirs;
      return store.list(prefix);
    },
    write: async (name, chunks) => {
      await listedByOther;
      await store.write(name, chunks);
      mineWritten();
    },
  };
  const other: CheckpointStorage = {
    ...store,
    list: async (prefix) => {
      const names = await store.list(prefix);
      otherListed();
      return names;
    },
    write: async (name, chunks) => {
      await writtenByMine;
      await store.write(name, chunks);
      theirsWritten();
    },
  };
  const taking = acquireWriterLease(mine, options({ settleMs: 0 }));
  // Checked below; it may settle before.
  taking.catch(() => undefined);
  const theirs = await acquireWriterLease(other, options({ host: "there", pid: 7, settleMs: 10 }));
  await assert.rejects(taking, (error: unknown) => {
    assert.ok(isStatefunError(error, "invalid-config"), String(error));
    assert.match(
      error.message,
      /was taken by process 7 on host "there" .* while this one was starting/u,
    );
    return true;
  });
  assert.equal((await leaseOf(store))?.host, "there");
  await theirs.release();
});

test("a runtime whose lease is taken over fails, and writes no checkpoint from then on", async () => {
  const directory = await checkpointDirectory();
  const counter = createStatefulFunctions().bind({
    typename: "test/counter",
    state: { count: intType },
    fn(ctx, message) {
      ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
    },
  });
  const { runtime } = await startRuntime(directory, counter, {
    checkpointing: { leaseTtlMs: 300 },
  });
  const store = await createLocalCheckpointStorage({ directory });
  const a = addressOf("test/counter", "a");
  await runtime.submit(a, TypedValue.of(intType, 1));
  await runtime.whenDurable();
  await heldBy(store, { host: "there", pid: 7, agoMs: 0 });
  // The renewal timer does not keep a process alive; this test's interval does.
  const alive = setInterval(() => undefined, 50);
  const error = await runtime.whenFailed();
  clearInterval(alive);
  assert.ok(isStatefunError(error, "illegal-state"));
  assert.match(error.message, /process 7 on host "there" .* took it over/u);
  assert.equal(runtime.failure, error);
  assert.deepEqual(healthView(runtime), {
    status: 503,
    json: { status: "failed", state: "running", failingAddresses: 0, reason: error.message },
  });
  const files = await store.list("checkpoints/");
  await runtime.submit(a, TypedValue.of(intType, 1));
  const durable = runtime.whenDurable();
  // Asked for, the checkpoint fails (and is retried): the acknowledgement never comes.
  const outcome = await Promise.race([
    durable.then(() => "durable"),
    new Promise((resolve) => setTimeout(() => resolve("waiting"), 500)),
  ]);
  assert.equal(outcome, "waiting");
  assert.deepEqual(await store.list("checkpoints/"), files, "no file written or deleted");
  await runtime.stop();
  durable.catch(() => undefined);
  assert.equal((await leaseOf(store))?.host, "there");
});
