/**
 * A database that cannot take writes (here: a file size limit, so that LMDB's commits fail for
 * real, in a child process): the disk backend keeps the state in memory, retries its batches with
 * backoff, logs each failure with its cause, and after five in a row fails the runtime, which can
 * still read every value and stop cleanly (invariant 7 of src/disk-store.ts). A bulk restore
 * refuses to go on once one of its transactions has failed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { runWithFileLimit } from "@statefun-ts/runtime/testing/file-limit";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const CHILD = fileURLToPath(new URL("./write-failure-child.js", import.meta.url));
const BULK_CHILD = fileURLToPath(new URL("./bulk-failure-child.js", import.meta.url));
const root = tempDirs("statefun-write-failures-");
/** The largest file the child may write, in KiB (bash's `ulimit -f` unit). */
const FILE_LIMIT_KIB = 2048;

interface ChildRun {
  readonly code: number | null;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

async function runChild(directory: string, script = CHILD): Promise<ChildRun> {
  const { code, stdout, stderr } = await runWithFileLimit(FILE_LIMIT_KIB, script, [directory]);
  const lines = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines, stderr };
}

test("writes that keep failing are retried, then fail the runtime; no state is lost meanwhile", async () => {
  const run = await runChild(join(await root(), "db"));
  assert.equal(run.code, 0, `the child failed:\n${run.stderr}`);
  const result = run.lines.at(-1)?.result as
    | {
        readonly failure: { readonly code: string; readonly message: string } | null;
        readonly failingReads: number;
        readonly addresses: number;
        readonly writeFailures: number;
      }
    | undefined;
  assert.ok(result !== undefined, "the child printed its result");
  assert.equal(result.failure?.code, "storage-failed");
  assert.match(result.failure.message, /failed 5 writes in a row/u);
  assert.match(result.failure.message, /restarted from its last checkpoint/u);
  assert.equal(result.failingReads, 0, "every value read back from memory");
  assert.equal(result.addresses, 100);
  assert.ok(result.writeFailures >= 5, `${result.writeFailures} failed writes counted`);
  const retries = run.lines.filter((line) => line.msg === "disk state write failed; retrying");
  assert.ok(retries.length >= 5, `${retries.length} failed writes logged`);
  // Each names the cause LMDB gave, not its generic commit error.
  for (const line of retries) {
    assert.equal(typeof line.error, "string");
    assert.doesNotMatch(line.error as string, /Commit failed/u);
  }
  assert.deepEqual(
    retries.slice(0, 5).map((line) => line.failedInARow),
    [1, 2, 3, 4, 5],
  );
});

test("a bulk restore refuses more records once one of its transactions has failed", async () => {
  const run = await runChild(join(await root(), "db"), BULK_CHILD);
  assert.equal(run.code, 0, `the child failed:\n${run.stderr}`);
  const result = run.lines.at(-1)?.result as
    | {
        readonly addresses: number;
        readonly refusedAt: number | null;
        readonly refusal: { readonly code: string; readonly message: string } | null;
        readonly written: { readonly code: string; readonly message: string } | "written";
      }
    | undefined;
  assert.ok(result !== undefined, "the child printed its result");
  // 2 MiB hold about 30 values of 64 KiB: the restore stops long before the last address.
  assert.ok(
    result.refusedAt !== null && result.refusedAt < result.addresses / 2,
    `refused at ${result.refusedAt} of ${result.addresses}`,
  );
  assert.equal(result.refusal?.code, "storage-failed");
  assert.match(result.refusal.message, /failed restoring state/u);
  assert.notEqual(result.written, "written");
  assert.equal(typeof result.written === "object" && result.written.code, "storage-failed");
});
