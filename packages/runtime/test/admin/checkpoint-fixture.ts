/**
 * Fixture of the checkpoint admin and metrics tests: a real runtime with one counting function,
 * checkpointing into a real local directory on a manual clock (so checkpoints happen only when
 * something waits for durability), and a way to count into it durably.
 */
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { ManualClock, createLocalCheckpointStorage, createRuntime } from "../../src/index.js";
import type { CheckpointStorage, Runtime, RuntimeOptions } from "../../src/index.js";
import { START_MS, captureLogger } from "../observability/fixture.js";
import type { LogLine } from "../observability/fixture.js";
import { tempDirs } from "../temp-dirs.js";

/** The counting function: adds each int to its `count` state. */
export const COUNTER = "test/counter";

/** A fresh temporary directory, removed after the calling file's tests. */
export const fixtureDir: () => Promise<string> = tempDirs("statefun-admin-checkpoints-");

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
