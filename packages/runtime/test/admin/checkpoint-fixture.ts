/**
 * Fixture of the checkpoint admin and metrics tests: a real runtime with one counting function,
 * checkpointing into a real local directory on a manual clock (so checkpoints happen only when
 * something waits for durability), and a way to count into it durably.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { ManualClock, createLocalCheckpointStorage, createRuntime } from "../../src/index.js";
import type { CheckpointStorage, Runtime, RuntimeOptions } from "../../src/index.js";
import { START_MS, captureLogger } from "../observability/fixture.js";
import type { LogLine } from "../observability/fixture.js";

/** The counting function: adds each int to its `count` state. */
export const COUNTER = "test/counter";

const created: string[] = [];

/** A fresh temporary directory, removed by {@link removeFixtureDirs}. */
export async function fixtureDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "statefun-admin-checkpoints-"));
  created.push(dir);
  return dir;
}

/** Removes every directory of {@link fixtureDir}; call from `after`. */
export async function removeFixtureDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

function counter() {
  return createStatefulFunctions().bind({
    typename: COUNTER,
    state: { count: intType },
    fn(context, message) {
      context.storage.count = (context.storage.count ?? 0) + message.asInt();
    },
  });
}

/** A runtime with the counter; with checkpointing into `directory` unless it is `undefined`. */
export async function counterRuntime(
  directory: string | undefined,
  lines: LogLine[] = [],
  extra: Pick<RuntimeOptions, "fromSavepoint" | "clock"> = {},
): Promise<{ runtime: Runtime; storage: CheckpointStorage | undefined }> {
  const storage =
    directory === undefined ? undefined : await createLocalCheckpointStorage({ directory });
  const runtime = createRuntime({
    functions: [counter()],
    clock: new ManualClock(START_MS),
    logger: captureLogger(lines),
    ...(storage === undefined
      ? {}
      : { checkpointing: { storage, intervalMs: 60_000, mode: "exactly-once" } }),
    ...extra,
  });
  return { runtime, storage };
}

/** Adds `n` to the counter with id `id` and waits until that is in a completed checkpoint. */
export async function countDurably(runtime: Runtime, id: string, n: number): Promise<void> {
  await runtime.submit(addressOf(COUNTER, id), TypedValue.of(intType, n));
  await runtime.whenIdle();
  await runtime.whenDurable();
}
