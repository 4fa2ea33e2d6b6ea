// A crash during writing: a real child process writes two objects slowly (one new, one replacing
// an existing object) and is killed with SIGKILL mid-write. Reopening the directory must show only
// complete objects: the new one is absent, the replaced one still has its old bytes, and the
// temporary files are gone (invariants 1 and 3 of src/checkpoint/local-storage.ts).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";
import { waitFor } from "../io/wait-for.js";
import { allFiles, tempDir } from "./temp-dirs.js";
import { patternBytes } from "./storage-conformance.js";

const WRITER = fileURLToPath(new URL("./crash-writer.js", import.meta.url));

it("shows only complete objects after a writer is killed mid-write", async () => {
  const directory = await tempDir();
  const before = await createLocalCheckpointStorage({ directory });
  const original = patternBytes(300_000, 7);
  await before.write("chk/existing", [original]);
  await before.close();

  const child = spawn(process.execPath, [WRITER, directory, "chk/existing", "chk/fresh"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ?? code)),
  );
  try {
    await waitFor(
      () => stdout.includes("ready") || child.exitCode !== null,
      "the writer to be mid-write",
      20_000,
    );
    assert.equal(stdout, "ready\n", `writer failed: ${stderr}`);
    const temps = (await allFiles(directory)).filter((file) => file.includes("/.tmp-"));
    assert.equal(temps.length, 2, String(temps));
    for (const temp of temps) {
      assert.ok((await stat(join(directory, temp))).size >= 4 * 64 * 1024, temp);
    }
  } finally {
    child.kill("SIGKILL");
  }
  assert.equal(await exited, "SIGKILL");

  const reopened = await createLocalCheckpointStorage({ directory });
  assert.equal(reopened.staleTempFilesRemoved, 2);
  assert.deepEqual(await reopened.list(""), ["chk/existing"]);
  assert.deepEqual(await reopened.read("chk/existing"), original);
  assert.deepEqual(await allFiles(directory), ["chk/existing"]);
  await reopened.close();
});
