// Exactly-once through the `statefun` command, as real child processes serving the greeter:
// state and egress reads before the last checkpoint survive SIGKILL (a restart on the same state directory resumes from the
// latest checkpoint); a savepoint taken with `statefun savepoint` starts a new process on another,
// empty state directory (a savepoint without --output goes to <state dir>/savepoints); a savepoint
// cannot start over existing checkpoints. Both state backends recover from a crash, and savepoints
// carry state from one backend to the other. A second process on the same checkpoint storage is
// refused while the first holds its lease; after a clean stop, the disk backend keeps its database.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../io/wait-for.js";
import { tempDir } from "../config/helpers.js";
import { adminUrl, greet, nextGreeting, portsOf } from "./greeter-client.js";
import type { GreeterPorts } from "./greeter-client.js";
import { greeterModuleYaml, requireGreeterBuilt, runCli, startRun } from "./helpers.js";
import type { CliProcess } from "./helpers.js";

const STARTUP_MS = 20_000;

/** `statefun run` on the greeter with a 200 ms checkpoint interval and an ephemeral admin port. */
function runGreeter(moduleFile: string, stateDir: string, extra: string[] = []): CliProcess {
  return startRun(moduleFile, stateDir, ["--checkpoint-interval", "200ms", ...extra]);
}

/** `statefun run` on the greeter, for a start that is refused: resolves when it has exited. */
function runRefused(moduleFile: string, stateDir: string, extra: string[]) {
  return runCli(["run", moduleFile, "--admin-port", "0", "--state-dir", stateDir, ...extra]);
}

async function started(cli: CliProcess): Promise<[Record<string, unknown>, GreeterPorts]> {
  const line = await cli.logLine("statefun started", STARTUP_MS);
  return [line, portsOf(line)];
}

/** Checkpoints completed or skipped (nothing changed) so far, from `GET /v1/checkpoints`. */
async function completedCheckpoints(ports: GreeterPorts): Promise<number> {
  const response = await fetch(`${adminUrl(ports)}/v1/checkpoints`);
  const body = (await response.json()) as { stats: { completed: number; skipped: number } };
  return body.stats.completed + body.stats.skipped;
}

/** Waits until a checkpoint whose cut follows this call has completed. */
async function checkpointAfterNow(ports: GreeterPorts): Promise<void> {
  // The checkpoint in progress may have cut before this call: wait for the one after it.
  const target = (await completedCheckpoints(ports)) + 2;
  await waitFor(async () => (await completedCheckpoints(ports)) >= target, "two more checkpoints");
}

async function stop(cli: CliProcess): Promise<void> {
  cli.child.kill("SIGTERM");
  assert.deepEqual(await cli.exit(STARTUP_MS), { code: 0, signal: null }, cli.stderr());
  assert.deepEqual(cli.repeatedFields, [], "no log line names a field twice");
}

describe("statefun run with checkpoints, as child processes", () => {
  let moduleFile: string;
  let dir: string;
  const processes: CliProcess[] = [];
  const track = (cli: CliProcess) => (processes.push(cli), cli);

  before(async () => {
    requireGreeterBuilt();
    dir = await tempDir({ "module.yaml": greeterModuleYaml() });
    moduleFile = join(dir, "module.yaml");
  });

  after(async () => {
    for (const cli of processes) if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    await Promise.all(processes.map((cli) => cli.exited));
  });

  for (const backend of ["memory", "disk"]) {
    it(`resumes after SIGKILL on the ${backend} backend: state survives, greetings read before the last checkpoint stay read`, async () => {
      const stateDir = join(dir, `crash-state-${backend}`);
      const first = track(runGreeter(moduleFile, stateDir, ["--state-backend", backend]));
      const [line, ports] = await started(first);
      assert.deepEqual(line.checkpoints, {
        storage: stateDir,
        intervalMs: 200,
        mode: "exactly-once",
      });
      assert.equal(line.restored, "fresh start");
      await greet(ports, "Bob");
      await greet(ports, "Bob");
      assert.equal(await nextGreeting(ports), "Welcome Bob");
      assert.equal(await nextGreeting(ports), "Nice to see you again Bob");
      await checkpointAfterNow(ports);

      first.child.kill("SIGKILL");
      assert.deepEqual(await first.exit(), { code: null, signal: "SIGKILL" });

      const second = track(runGreeter(moduleFile, stateDir, ["--state-backend", backend]));
      const [restartLine, restartPorts] = await started(second);
      const restored = restartLine.restored as Record<string, unknown>;
      assert.equal(restored.from, stateDir);
      assert.match(String(restored.file), /^checkpoints\/chk-\d{20}\.sfc$/);
      assert.equal(restored.keptState, false, "after a crash, the state comes from the files");
      await greet(restartPorts, "Bob");
      assert.equal(await nextGreeting(restartPorts), "Third time is a charm Bob");
      assert.equal(await nextGreeting(restartPorts, 0), undefined);
      await stop(second);

      // After a clean stop, the disk backend's database is kept for the next start.
      const third = track(runGreeter(moduleFile, stateDir, ["--state-backend", backend]));
      const [thirdLine, thirdPorts] = await started(third);
      const again = thirdLine.restored as Record<string, unknown>;
      assert.equal(again.keptState, backend === "disk");
      await greet(thirdPorts, "Bob");
      assert.equal(await nextGreeting(thirdPorts), "Nice to see you at the 4-nth time Bob!");
      await stop(third);
    });
  }

  it("refuses a second process on the same checkpoint storage until the first stops", async () => {
    const shared = join(dir, "shared-checkpoints");
    const first = track(
      runGreeter(moduleFile, join(dir, "shared-a"), ["--checkpoint-storage", shared]),
    );
    const [, ports] = await started(first);
    await greet(ports, "Eve");
    assert.equal(await nextGreeting(ports), "Welcome Eve");
    const refused = await runRefused(moduleFile, join(dir, "shared-b"), [
      "--checkpoint-storage",
      shared,
    ]);
    assert.deepEqual(refused.exit, { code: 1, signal: null });
    assert.match(
      refused.stderr,
      new RegExp(
        `^statefun: the checkpoint storage ${shared} is in use by process ${first.child.pid} on host .* run one statefun per checkpoint storage`,
        "u",
      ),
    );
    await stop(first);

    const second = track(
      runGreeter(moduleFile, join(dir, "shared-b"), ["--checkpoint-storage", shared]),
    );
    const [line, secondPorts] = await started(second);
    assert.equal((line.restored as Record<string, unknown>).from, shared);
    await greet(secondPorts, "Eve");
    assert.equal(await nextGreeting(secondPorts), "Nice to see you again Eve");
    await stop(second);
  });

  it("carries state across backends through savepoints: memory to disk and back", async () => {
    const onMemory = track(runGreeter(moduleFile, join(dir, "across-memory")));
    const [, memoryPorts] = await started(onMemory);
    await greet(memoryPorts, "Ann");
    await greet(memoryPorts, "Ann");
    assert.equal(await nextGreeting(memoryPorts), "Welcome Ann");
    assert.equal(await nextGreeting(memoryPorts), "Nice to see you again Ann");
    const fromMemory = join(dir, "across", "from-memory.sfc");
    const first = await runCli([
      "savepoint",
      "--admin-url",
      adminUrl(memoryPorts),
      "--output",
      fromMemory,
    ]);
    assert.equal(first.exit.code, 0, first.stderr);
    await stop(onMemory);

    const diskDir = join(dir, "across-disk");
    const onDisk = track(
      runGreeter(moduleFile, diskDir, ["--state-backend", "disk", "--from-savepoint", fromMemory]),
    );
    const [diskLine, diskPorts] = await started(onDisk);
    assert.equal((diskLine.restored as Record<string, unknown>).file, "from-memory.sfc");
    assert.ok(
      existsSync(join(diskDir, "db")),
      "the disk backend keeps its database in the state directory",
    );
    await greet(diskPorts, "Ann");
    assert.equal(await nextGreeting(diskPorts), "Third time is a charm Ann");
    const fromDisk = join(dir, "across", "from-disk.sfc");
    const second = await runCli([
      "savepoint",
      "--admin-url",
      adminUrl(diskPorts),
      "--output",
      fromDisk,
    ]);
    assert.equal(second.exit.code, 0, second.stderr);
    await stop(onDisk);

    const back = track(
      runGreeter(moduleFile, join(dir, "across-memory-again"), ["--from-savepoint", fromDisk]),
    );
    const [, backPorts] = await started(back);
    await greet(backPorts, "Ann");
    assert.equal(await nextGreeting(backPorts), "Nice to see you at the 4-nth time Ann!");
    assert.equal(await nextGreeting(backPorts, 0), undefined);
    await stop(back);
  });

  it("starts a new process from `statefun savepoint` on another, empty state directory", async () => {
    const stateA = join(dir, "savepoint-state-a");
    const first = track(runGreeter(moduleFile, stateA));
    const [, ports] = await started(first);
    await greet(ports, "Bob");
    await greet(ports, "Bob");
    assert.equal(await nextGreeting(ports), "Welcome Bob");
    assert.equal(await nextGreeting(ports), "Nice to see you again Bob");

    const output = join(dir, "saved", "bob.sfc");
    const taken = await runCli(["savepoint", "--admin-url", adminUrl(ports), "--output", output]);
    assert.deepEqual(taken.exit, { code: 0, signal: null }, taken.stderr);
    assert.equal(taken.stdout, output);
    const byDefault = await runCli(["savepoint", "--admin-url", adminUrl(ports)]);
    assert.equal(byDefault.exit.code, 0, byDefault.stderr);
    assert.ok(
      byDefault.stdout.startsWith(join(stateA, "savepoints", "savepoint-")),
      byDefault.stdout,
    );
    assert.ok(existsSync(byDefault.stdout), byDefault.stdout);
    const figures = await runCli(["checkpoints", "--admin-url", adminUrl(ports)]);
    assert.equal(figures.exit.code, 0, figures.stderr);
    assert.match(figures.stdout, /^checkpointing: exactly-once, every 200 ms$/m);
    assert.match(figures.stdout, new RegExp(`^storage: ${stateA}$`, "m"));
    assert.match(figures.stdout, /^restored: fresh start$/m);
    await stop(first);

    const second = track(
      runGreeter(moduleFile, join(dir, "savepoint-state-b"), ["--from-savepoint", output]),
    );
    const [line, newPorts] = await started(second);
    const restored = line.restored as Record<string, unknown>;
    assert.deepEqual([restored.from, restored.file], [output, "bob.sfc"]);
    await greet(newPorts, "Bob");
    assert.equal(await nextGreeting(newPorts), "Third time is a charm Bob");
    assert.equal(await nextGreeting(newPorts, 0), undefined);
    await stop(second);

    // The state directory of the first process holds checkpoints: a savepoint cannot start there.
    const refused = await runRefused(moduleFile, stateA, ["--from-savepoint", output]);
    assert.deepEqual(refused.exit, { code: 1, signal: null });
    assert.equal(
      refused.stderr,
      `statefun: cannot start from savepoint bob.sfc: ${stateA} already holds checkpoints; use an empty state directory\n`,
    );
  });
});
