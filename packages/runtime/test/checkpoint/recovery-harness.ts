/**
 * Harness for recovery tests: a runtime over a real local checkpoint directory, and a "crash"
 * that leaves the old runtime unable to touch storage (its writes fail, its deletes are ignored)
 * while a new runtime recovers from the same directory — as after a SIGKILL.
 */
import { after } from "node:test";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import type { CheckpointStorage, Runtime, RuntimeOptions } from "../../src/index.js";
import { createLocalCheckpointStorage, createRuntime } from "../../src/index.js";
import { tempDirs } from "../temp-dirs.js";

/** A storage wrapper whose owner can be "killed": afterwards it writes and deletes nothing. */
export function killable(storage: CheckpointStorage): CheckpointStorage & { kill(): void } {
  let dead = false;
  return {
    location: storage.location,
    kill() {
      dead = true;
    },
    async write(name, chunks) {
      if (dead) throw new Error("this process is dead");
      await storage.write(name, chunks);
      if (dead) throw new Error("this process died while writing");
    },
    read: (name, range) => storage.read(name, range),
    size: (name) => storage.size(name),
    list: (prefix) => storage.list(prefix),
    delete: async (name) => {
      if (!dead) await storage.delete(name);
    },
    close: () => storage.close(),
  };
}

/**
 * A storage wrapper that can stop answering, as a storage behind a broken network does: while
 * stalled, the operations in `operations` wait until `resume()`, and then go on in order. A write
 * waits before reading its chunks, or with `chunksFirst` after reading them all (as one whose
 * upload went out but whose completion does not come back).
 */
export function stallable(
  storage: CheckpointStorage,
  operations: ReadonlySet<"write" | "read" | "size" | "list"> = new Set(["write"]),
  { chunksFirst = false }: { readonly chunksFirst?: boolean } = {},
): CheckpointStorage & { stall(): void; resume(): void; readonly waiting: number } {
  let stalled: { promise: Promise<void>; resolve: () => void } | undefined;
  let waiting = 0;
  const gate = async (operation: "write" | "read" | "size" | "list"): Promise<void> => {
    if (stalled === undefined || !operations.has(operation)) return;
    waiting++;
    await stalled.promise;
    waiting--;
  };
  return {
    location: storage.location,
    get waiting() {
      return waiting;
    },
    stall() {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      stalled ??= { promise, resolve };
    },
    resume() {
      stalled?.resolve();
      stalled = undefined;
    },
    write: async (name, chunks) => {
      if (!chunksFirst) {
        await gate("write");
        await storage.write(name, chunks);
        return;
      }
      const read: Uint8Array[] = [];
      for await (const chunk of chunks) read.push(chunk);
      await gate("write");
      await storage.write(name, read);
    },
    read: async (name, range) => {
      await gate("read");
      return storage.read(name, range);
    },
    size: async (name) => {
      await gate("size");
      return storage.size(name);
    },
    list: async (prefix) => {
      await gate("list");
      return storage.list(prefix);
    },
    delete: (name) => storage.delete(name),
    close: () => storage.close(),
  };
}

/**
 * Runtimes {@link startRuntime} started, stopped after the importing file's tests: a test that
 * fails before stopping its runtime would otherwise keep the file's process running until the
 * test runner's timeout. (Registered before the directories' removal, so that it runs first.)
 */
const started = new Set<Runtime>();
after(async () => {
  await Promise.all([...started].map((runtime) => runtime.stop().catch(() => undefined)));
  started.clear();
});

/** A fresh checkpoint directory, removed after the importing file's tests. */
export const checkpointDirectory = tempDirs("statefun-recovery-");

/** A started runtime checkpointing into `directory`, and a way to crash it. */
export async function startRuntime(
  directory: string,
  functions: StatefulFunctions,
  options: Omit<RuntimeOptions, "checkpointing"> & {
    checkpointing?: Partial<RuntimeOptions["checkpointing"]>;
  } = {},
): Promise<{ runtime: Runtime; crash: () => Promise<void> }> {
  const storage = killable(await createLocalCheckpointStorage({ directory }));
  const { checkpointing, ...rest } = options;
  const runtime = createRuntime({
    functions: [functions],
    retry: { initialBackoffMs: 5, maxBackoffMs: 50 },
    shutdownTimeoutMs: 100,
    ...rest,
    checkpointing: { intervalMs: 60_000, ...checkpointing, storage },
  });
  started.add(runtime);
  await runtime.start();
  return {
    runtime,
    async crash() {
      storage.kill();
      await runtime.stop().catch(() => undefined);
    },
  };
}
