/**
 * Recovery when files are damaged or storage fails: a corrupted latest checkpoint is reported and
 * the previous one restored; when nothing can be read the runtime refuses to start empty; a
 * failed checkpoint write loses nothing (its changes go into the next one); compaction writes a
 * full base and retention deletes files no checkpoint needs, without breaking recovery; a base is
 * weighed by its state, not its file.
 */
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  StatefunError,
  TypedValue,
  addressOf,
  intType,
  isStatefunError,
  stringType,
} from "@statefun-ts/protocol";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import type { CheckpointStorage, Runtime } from "../../src/index.js";
import { createLocalCheckpointStorage, createRuntime } from "../../src/index.js";
import { readState } from "../core/helpers.js";
import { capturingLogger } from "../remote/harness.js";
import { checkpointName } from "../../src/checkpoint/names.js";
import { waitFor } from "../io/wait-for.js";
import { checkpointDirectory, stallable, startRuntime } from "./recovery-harness.js";

function counters() {
  return createStatefulFunctions().bind({
    typename: "test/counter",
    state: { count: intType },
    fn(ctx, message) {
      ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
    },
  });
}

const a = addressOf("test/counter", "a");

async function add(
  runtime: Awaited<ReturnType<typeof startRuntime>>["runtime"],
  n: number,
): Promise<void> {
  await runtime.submit(a, TypedValue.of(intType, n));
  await runtime.whenIdle();
  await runtime.whenDurable();
}

async function files(directory: string): Promise<string[]> {
  return (await readdir(join(directory, "checkpoints"))).sort();
}

async function flipByte(path: string, at: (size: number) => number): Promise<void> {
  const bytes = await readFile(path);
  const index = at(bytes.length);
  bytes[index] = (bytes[index] as number) ^ 0xff;
  await writeFile(path, bytes);
}

test("a corrupted latest checkpoint is reported and the previous one is restored", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  await add(first.runtime, 1);
  await add(first.runtime, 10);
  await first.crash();
  const names = await files(directory);
  assert.equal(names.length, 2);
  await flipByte(join(directory, "checkpoints", names[1] as string), (size) =>
    Math.floor(size / 3),
  );
  const logger = capturingLogger();
  const second = await startRuntime(directory, counters(), { logger });
  assert.equal(readState(second.runtime, a, "count", intType, Date.now()), 1);
  const report = logger.lines.find((line) =>
    line.message.startsWith("cannot restore this checkpoint"),
  );
  assert.equal(report?.fields.file, `checkpoints/${names[1]}`);
  assert.equal(report?.fields.errorCode, "corrupt-data");
  await second.runtime.stop();
});

test("when no checkpoint can be read the runtime refuses to start instead of starting empty", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  await add(first.runtime, 1);
  await add(first.runtime, 2);
  await first.crash();
  // The first file is the full base both checkpoints build on.
  const [base] = await files(directory);
  await flipByte(join(directory, "checkpoints", base as string), (size) => Math.floor(size / 4));
  await assert.rejects(
    startRuntime(directory, counters()),
    (error: unknown) =>
      error instanceof StatefunError &&
      error.code === "corrupt-data" &&
      error.message.includes("none can be restored") &&
      error.message.includes(base as string),
  );
});

/** A storage whose next write fails once `failNext` is set, and every write while `failing` is. */
function failingWrites(
  storage: CheckpointStorage,
): CheckpointStorage & { failNext: boolean; failing: boolean } {
  const wrapper = {
    failNext: false,
    failing: false,
    location: storage.location,
    async write(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
      if (wrapper.failNext || wrapper.failing) {
        wrapper.failNext = false;
        throw new Error("disk full");
      }
      await storage.write(name, chunks);
    },
    read: storage.read.bind(storage),
    size: storage.size.bind(storage),
    list: storage.list.bind(storage),
    delete: storage.delete.bind(storage),
    close: storage.close.bind(storage),
  };
  return wrapper;
}

/** A started runtime of counters checkpointing into `storage` (only when asked: interval 60 s). */
async function counterRuntime(
  storage: CheckpointStorage,
  logger?: ReturnType<typeof capturingLogger>,
): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [counters()],
    ...(logger === undefined ? {} : { logger }),
    checkpointing: { storage, intervalMs: 60_000 },
  });
  await runtime.start();
  return runtime;
}

test("a failed checkpoint write loses nothing: its changes go into the next checkpoint", async () => {
  const directory = await checkpointDirectory();
  const storage = failingWrites(await createLocalCheckpointStorage({ directory }));
  const logger = capturingLogger();
  const runtime = await counterRuntime(storage, logger);
  await runtime.submit(a, TypedValue.of(intType, 7));
  await runtime.whenIdle();
  storage.failNext = true;
  await runtime.whenDurable();
  assert.equal(runtime.checkpointStats()?.failed, 1);
  assert.ok(
    logger.lines.some(
      (l) => l.message.startsWith("checkpoint failed") && l.fields.error === "disk full",
    ),
  );
  await runtime.stop();
  const restored = createRuntime({
    functions: [counters()],
    checkpointing: {
      storage: await createLocalCheckpointStorage({ directory }),
      intervalMs: 60_000,
    },
  });
  await restored.start();
  assert.equal(readState(restored, a, "count", intType, Date.now()), 7);
  await restored.stop();
});

for (const chunksFirst of [false, true]) {
  const late = chunksFirst ? "its late file is deleted" : "its write takes no more of it";
  test(`a checkpoint not written within its timeout fails, its changes go into the next one, and ${late}`, async () => {
    const directory = await checkpointDirectory();
    const local = await createLocalCheckpointStorage({ directory });
    const storage = stallable(local, new Set(["write"]), { chunksFirst });
    const logger = capturingLogger();
    const runtime = createRuntime({
      functions: [counters()],
      logger,
      checkpointing: { storage, intervalMs: 60_000, timeoutMs: 200 },
    });
    await runtime.start();
    await runtime.submit(a, TypedValue.of(intType, 7));
    await runtime.whenIdle();
    // The storage stops answering.
    storage.stall();
    const durable = runtime.whenDurable();
    await waitFor(() => (runtime.checkpointStats()?.failed ?? 0) >= 1, "a timed-out checkpoint");
    const failure = logger.lines.find((l) => l.message.startsWith("checkpoint failed"));
    assert.equal(failure?.fields.timedOut, true);
    assert.match(String(failure?.fields.error), /not written within its timeout of 200 ms/u);
    assert.ok(storage.waiting >= 1);
    // Answering again: a checkpoint completes with the change.
    storage.resume();
    await durable;
    const timedOut = logger.lines
      .filter((l) => l.message.startsWith("checkpoint failed"))
      .map((l) => checkpointName(Number(l.fields.checkpoint)));
    const deleted = (): number =>
      logger.lines.filter((l) => l.message === "deleted the file of a checkpoint that timed out")
        .length;
    // A write that had read the whole checkpoint completes late, and its file is deleted; one
    // that had not fails when it reads on.
    if (chunksFirst) await waitFor(() => deleted() === timedOut.length, "the late files deleted");
    else assert.equal(deleted(), 0);
    const names = await local.list("checkpoints/");
    for (const name of timedOut) assert.ok(!names.includes(name), `no file ${name}`);
    await runtime.stop();
    const restored = await startRuntime(directory, counters());
    assert.equal(readState(restored.runtime, a, "count", intType, Date.now()), 7);
    await restored.runtime.stop();
  });
}

test("a checkpoint timeout longer than a Node timer holds is waited out, and a lease that long is refused", async () => {
  const directory = await checkpointDirectory();
  const storage = stallable(await createLocalCheckpointStorage({ directory }));
  const thirtyDaysMs = 30 * 24 * 3600 * 1000;
  const runtime = createRuntime({
    functions: [counters()],
    checkpointing: { storage, intervalMs: 60_000, timeoutMs: thirtyDaysMs },
  });
  await runtime.start();
  await runtime.submit(a, TypedValue.of(intType, 1));
  await runtime.whenIdle();
  storage.stall();
  const durable = runtime.whenDurable();
  // A Node timer of more than about 24.8 days fires after 1 ms instead.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(runtime.checkpointStats()?.failed, 0);
  storage.resume();
  await durable;
  await runtime.stop();
  assert.throws(
    () =>
      createRuntime({
        functions: [counters()],
        checkpointing: { storage, leaseTtlMs: 2 ** 31 },
      }),
    /checkpointing option leaseTtlMs: expected an integer from 0 to 2147483647/u,
  );
});

test("an ingress's message is acknowledged after a checkpoint failure that the next one repairs", async () => {
  const storage = failingWrites(
    await createLocalCheckpointStorage({ directory: await checkpointDirectory() }),
  );
  const runtime = await counterRuntime(storage);
  storage.failNext = true;
  await runtime.ingressContext("test/ingress").submit(a, TypedValue.of(intType, 1));
  assert.equal(runtime.checkpointStats()?.failed, 1);
  await runtime.stop();
});

test("while checkpoints keep failing an ingress's message is refused, and its retry is applied once", async () => {
  const storage = failingWrites(
    await createLocalCheckpointStorage({ directory: await checkpointDirectory() }),
  );
  const runtime = await counterRuntime(storage);
  const outcomes: string[] = [];
  runtime.onIngressSubmission((submission) => outcomes.push(submission.outcome));
  const ingress = runtime.ingressContext("test/ingress");
  storage.failing = true;
  await assert.rejects(
    ingress.submit(a, TypedValue.of(intType, 7), { idempotencyKey: "k" }),
    (error: unknown) =>
      error instanceof StatefunError &&
      error.code === "storage-failed" &&
      /not acknowledged: checkpoints failed 3 times in a row \(disk full\)/u.test(error.message),
  );
  assert.equal(runtime.checkpointStats()?.failed, 3);
  // The storage is back: the retry with the same key is acknowledged, the message applied once.
  storage.failing = false;
  await ingress.submit(a, TypedValue.of(intType, 7), { idempotencyKey: "k" });
  await runtime.whenIdle();
  assert.equal(readState(runtime, a, "count", intType, Date.now()), 7);
  assert.deepEqual(outcomes, ["not_durable", "duplicate"]);
  await runtime.stop();
});

test("a message no checkpoint could hold is refused: its batch fails, and checkpoints go on", async () => {
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/sender",
      fn(ctx, message) {
        // A lone surrogate has no UTF-8 form: neither the wire nor a checkpoint can hold it.
        const id = `${message.asString()}\uD800`;
        ctx.send(messageBuilder({ typename: "test/counter", id, value: 1 }));
      },
    })
    .bind({
      typename: "test/counter",
      state: { count: intType },
      fn(ctx, message) {
        ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
      },
    });
  const runtime = createRuntime({
    functions: [functions],
    checkpointing: {
      storage: await createLocalCheckpointStorage({ directory: await checkpointDirectory() }),
      intervalMs: 60_000,
    },
  });
  await runtime.start();
  const sender = addressOf("test/sender", "s");
  await runtime.submit(sender, TypedValue.of(stringType, "bad"));
  await runtime.whenIdle();
  const [failure] = runtime.failures();
  assert.deepEqual(failure?.address, sender);
  assert.ok(isStatefunError(failure?.error, "invalid-effect"));
  assert.match(
    String((failure?.error as Error).message),
    /target id "bad\\ud800" has a lone surrogate/u,
  );
  assert.throws(
    () => runtime.offer(addressOf("test/counter", "x\uDC00"), TypedValue.of(intType, 1)),
    (error: unknown) => isStatefunError(error, "invalid-argument"),
  );
  await assert.rejects(
    runtime.submit(addressOf("test/counter", "x\uDC00"), TypedValue.of(intType, 1)),
    (error: unknown) => isStatefunError(error, "invalid-argument"),
  );
  await runtime.submit(a, TypedValue.of(intType, 5));
  await runtime.whenIdle();
  await runtime.whenDurable();
  assert.equal(runtime.checkpointStats()?.failed, 0);
  await runtime.stop();
});

test("compaction writes a full base, retention deletes unneeded files, and recovery still works", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters(), {
    checkpointing: { retained: 2, compactionMinBytes: 0, compactionRatio: 0.5 },
  });
  for (let i = 1; i <= 12; i++) await add(first.runtime, i);
  // Compaction runs in the background: wait for a base of the whole chain.
  await waitFor(
    () => first.runtime.checkpointStats()?.chainLength === 1,
    "a full base of every checkpoint so far",
  );
  assert.ok((first.runtime.checkpointStats()?.compactions ?? 0) >= 1);
  // Two checkpoints built on the base: the two retained ones need none of the older files.
  await add(first.runtime, 50);
  await add(first.runtime, 100);
  await waitFor(async () => (await files(directory)).length < 13, "old files deleted");
  await first.crash();
  const names = await files(directory);
  assert.ok(
    names.some((name) => name.startsWith("base-")),
    `a base file exists: ${names.join(", ")}`,
  );
  assert.ok(names.length < 13, `old files were deleted: ${names.join(", ")}`);
  const second = await startRuntime(directory, counters());
  assert.equal(readState(second.runtime, a, "count", intType, Date.now()), 78 + 50 + 100);
  await second.runtime.stop();
});

test("a base is weighed by its state, so a small change after it is compacted again", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters(), {
    checkpointing: { compactionMinBytes: 0, compactionRatio: 0.25 },
  });
  try {
    // The state is one counter and the function's schema record (about 225 bytes of state in a
    // file of about 600); a change of the counter is about 80 bytes of state.
    await add(first.runtime, 1);
    await add(first.runtime, 2);
    await waitFor(() => first.runtime.checkpointStats()?.chainLength === 1, "a first base");
    const compactions = first.runtime.checkpointStats()?.compactions ?? 0;
    // Over a quarter of the base's state, under a quarter of its file: weighed by the file, the
    // chain would stay at [base, change] until more changes came.
    await add(first.runtime, 3);
    await waitFor(
      () => (first.runtime.checkpointStats()?.compactions ?? 0) > compactions,
      "a second base",
    );
    await waitFor(() => first.runtime.checkpointStats()?.chainLength === 1, "a chain of one base");
  } finally {
    await first.runtime.stop();
  }
});

test("an idle runtime writes no new checkpoint files; a change writes one", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  await add(first.runtime, 1);
  const before = await files(directory);
  const completed = first.runtime.checkpointStats()?.completed;
  for (let i = 0; i < 5; i++) await first.runtime.whenDurable();
  assert.deepEqual(await files(directory), before, "nothing changed, nothing written");
  assert.equal(first.runtime.checkpointStats()?.completed, completed);
  await add(first.runtime, 1);
  assert.equal((await files(directory)).length, before.length + 1);
  await first.runtime.stop();
});
