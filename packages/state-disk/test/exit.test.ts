/**
 * A process on the disk backend that ends while a batch is being written (a second signal's
 * forced exit, an uncaught error) ends: LMDB's writer must never wait for JavaScript that will
 * not run again, or the process would hang instead of being restarted (see the database's
 * options in src/kept-state.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const CHILD = fileURLToPath(new URL("./exit-child.js", import.meta.url));
const root = tempDirs("statefun-exit-");
/** Addresses in the batch: enough for LMDB's writer to start on it before it is complete. */
const ADDRESSES = 50_000;
/** Far longer than the child needs (well under a second). */
const DEADLINE_MS = 15_000;

async function runChild(how: "exit" | "throw"): Promise<{ code: number | null; stderr: string }> {
  const directory = join(await root(), "db");
  const child = spawn(process.execPath, [CHILD, directory, how, String(ADDRESSES)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  const deadline = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(deadline);
  return { code, stderr };
}

test("process.exit during a batch ends the process", async () => {
  const { code, stderr } = await runChild("exit");
  assert.equal(code, 3, `the child did not exit by itself:\n${stderr}`);
});

test("an uncaught error during a batch ends the process", async () => {
  const { code, stderr } = await runChild("throw");
  assert.equal(code, 1, `the child did not exit by itself:\n${stderr}`);
  assert.match(stderr, /the process ends here/u);
});
