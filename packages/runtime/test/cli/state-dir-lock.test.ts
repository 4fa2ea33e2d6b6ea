/**
 * The state directory lock: a live process's lock refuses a second runtime; a dead process's lock
 * (after a crash) is taken over; releasing removes it; a lock that cannot be written (a full disk)
 * stops `statefun run` with one clear line and leaves no lock file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, readdir, writeFile, access } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { LOCK_FILE, lockStateDir } from "../../src/cli/state-dir-lock.js";
import { tempDirs } from "../temp-dirs.js";
import { greeterModuleYaml, requireGreeterBuilt, startCli } from "./helpers.js";

const stateDir = tempDirs("statefun-lock-");

test("a lock held by another live process refuses the state directory", async () => {
  const dir = await stateDir();
  // The parent of this process is alive for as long as this test runs.
  await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname() }));
  await assert.rejects(
    lockStateDir(dir),
    (error: unknown) =>
      error instanceof StatefunError &&
      error.code === "invalid-config" &&
      error.message.includes(`in use by process ${process.ppid}`),
  );
});

test("a lock left by a process that is gone is taken over, and released again", async () => {
  const dir = await stateDir();
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  const deadPid = Number(gone.stdout.toString());
  await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: hostname() }));
  const lock = await lockStateDir(dir);
  const held = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as { pid: number };
  assert.equal(held.pid, process.pid);
  await lock.release();
  await assert.rejects(access(join(dir, LOCK_FILE)), /ENOENT/);
});

test("a lock from another host is not taken over silently", async () => {
  const dir = await stateDir();
  await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: "elsewhere.example" }));
  await assert.rejects(lockStateDir(dir), /locked by process 1 on host "elsewhere\.example"/);
});

test("a lock file that cannot be written stops statefun run with one line", async () => {
  requireGreeterBuilt();
  const dir = await stateDir();
  const moduleFile = join(dir, "module.yaml");
  await writeFile(moduleFile, greeterModuleYaml());
  const state = join(dir, "state");
  // No file may grow at all: writing the lock fails (EFBIG), as on a full disk.
  const cli = startCli(
    ["run", moduleFile, "--state-dir", state, "--admin-port", "0"],
    {},
    {
      fileSizeLimitKib: 0,
    },
  );
  const exit = await cli.exit(20_000);
  assert.equal(exit.code, 1);
  assert.match(cli.stderr(), /^statefun: cannot write the lock file .*statefun\.lock: EFBIG/u);
  assert.doesNotMatch(cli.stderr(), /\n\s+at /u, "no stack trace");
  assert.deepEqual(await readdir(state), [], "no half-written lock left");
});
