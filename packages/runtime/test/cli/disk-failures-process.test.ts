// The disk state backend on a disk that refuses writes (a file size limit, so that LMDB's writes
// fail for real), through the `statefun` command: a runtime whose database stops taking its
// write-behind keeps answering from memory, then stops with exit code 1 once five batches in a
// row have failed, with no crash; a restart whose restore cannot be written refuses to start with
// a one-line message naming the database and the cause (after LMDB's own report of the failed
// commit), without trying older checkpoints.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { tempDir } from "../config/helpers.js";
import { portsOf } from "./greeter-client.js";
import type { GreeterPorts } from "./greeter-client.js";
import { greeterModuleYaml, requireGreeterBuilt, startRun } from "./helpers.js";
import type { CliProcess } from "./helpers.js";

const STARTUP_MS = 20_000;
/** Bytes of each greeted name: 100 of them outgrow the limit below. */
const NAME_BYTES = 20_000;
const FILE_LIMIT_KIB = 1024;
/**
 * The limit of a restart and the names greeted before it: the restored state (about 21 kB per name
 * in LMDB, over 6 MB in all) outgrows it, while the checkpoint log, which the restart's first
 * append may compact into a new segment, holds at most about 1.7 MB of live objects however many
 * names were greeted (merges over 1 MB are files of their own).
 */
const RESTART_LIMIT_KIB = 3072;
const RESTORED_NAMES = 300;

function runGreeter(moduleFile: string, stateDir: string, fileSizeLimitKib?: number): CliProcess {
  const limit = fileSizeLimitKib === undefined ? {} : { fileSizeLimitKib };
  return startRun(moduleFile, stateDir, ["--state-backend", "disk"], limit);
}

/** PUTs a greet request with a long name to person `id`; resolves with the status. */
async function greetLong(ports: GreeterPorts, id: number): Promise<number> {
  const name = `${"x".repeat(NAME_BYTES)}${id}`;
  try {
    const response = await fetch(`http://127.0.0.1:${ports.ingress}/example/person/p${id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.example/GreetRequest" },
      body: JSON.stringify({ name }),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

describe("the disk state backend on a disk that refuses writes", () => {
  let moduleFile: string;

  before(async () => {
    requireGreeterBuilt();
    moduleFile = join(await tempDir(), "module.yaml");
    await writeFile(moduleFile, greeterModuleYaml());
  });

  it("keeps running from memory, then stops with exit code 1 after five failed batches", async () => {
    const cli = runGreeter(moduleFile, join(await tempDir(), "state"), FILE_LIMIT_KIB);
    const ports = portsOf(await cli.logLine("statefun started", STARTUP_MS));
    for (let id = 0; id < 100 && cli.child.exitCode === null; id++) await greetLong(ports, id);
    const exit = await cli.exit(30_000);
    assert.equal(exit.code, 1, cli.stderr());
    const retries = cli.logs.filter((line) => line.msg === "disk state write failed; retrying");
    assert.deepEqual(
      retries.slice(0, 5).map((line) => line.failedInARow),
      [1, 2, 3, 4, 5],
    );
    const stopping = cli.logs.find((line) => line.msg === "cannot go on: stopping");
    assert.match(String(stopping?.error), /disk state database .* failed 5 writes in a row/u);
    assert.ok(
      cli.logs.some((line) => line.msg === "stopped"),
      "stopped cleanly",
    );
    assert.doesNotMatch(cli.stderr(), /Unhandled|Commit failed/u);
  });

  it("refuses to start when the restored state cannot be written", async () => {
    const stateDir = join(await tempDir(), "state");
    const first = runGreeter(moduleFile, stateDir);
    const ports = portsOf(await first.logLine("statefun started", STARTUP_MS));
    // Each 200 is in a checkpoint: together, more than the limit.
    for (let id = 0; id < RESTORED_NAMES; id++) assert.equal(await greetLong(ports, id), 200);
    // A crash: the database is not kept, so the restart restores every address into it.
    first.child.kill("SIGKILL");
    await first.exit();

    const second = runGreeter(moduleFile, stateDir, RESTART_LIMIT_KIB);
    const exit = await second.exit(30_000);
    assert.equal(exit.code, 1, second.stderr());
    const lines = second.stderr().trimEnd().split("\n");
    assert.match(
      lines.at(-1) ?? "",
      /^statefun: the disk state backend cannot take the restored state: the disk state database .* failed restoring state: /u,
      second.stderr(),
    );
    // Before it, at most LMDB's own report of the failed commit, which it prints itself.
    const earlier = lines.slice(0, -1).join("\n");
    assert.ok(earlier === "" || earlier.includes("node_modules/lmdb/"), earlier);
    assert.doesNotMatch(earlier, /packages\//u, "no stack trace of ours");
    assert.ok(
      !second.logs.some(
        (line) => line.msg === "cannot restore this checkpoint; trying the previous one",
      ),
      "no older checkpoint tried",
    );
  });
});
