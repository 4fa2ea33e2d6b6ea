// `main` in-process: help and version output, exit codes of usage and configuration errors, and
// a whole run driven by an injected signal source, including the forced exit on a second signal.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli/main.js";
import { FORCED_EXIT_CODE, listenForShutdownSignals } from "../../src/cli/signals.js";
import { tempDir } from "../config/helpers.js";
import { connectError } from "../io/playground-harness.js";
import { waitFor } from "../io/wait-for.js";
import { greeterModuleYaml, memoryStream, requireGreeterBuilt } from "./helpers.js";

async function runMain(argv: string[], env: Record<string, string> = {}) {
  const stdout = memoryStream();
  const stderr = memoryStream();
  const code = await main(argv, { stdout, stderr, env, cwd: "/tmp" });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const RUN_OPTIONS = [
  "--admin-port <port>",
  "--admin-host <host>",
  "--no-admin",
  "--log-level <level>",
  "--log-format <format>",
  "--state-dir <dir>",
  "--max-backlog <n>",
  "--checkpoint-interval <duration>",
  "--checkpoint-min-pause <duration>",
  "--checkpoint-timeout <duration>",
  "--checkpoints-retained <n>",
  "--checkpoint-mode <mode>",
  "--checkpoint-storage <dir|s3-url>",
  "--no-checkpointing",
  "--from-savepoint <path>",
  "--idempotency-window <duration>",
];
const RUN_ENV = [
  "STATEFUN_ADMIN_PORT",
  "STATEFUN_ADMIN_HOST",
  "STATEFUN_ADMIN=false",
  "STATEFUN_LOG_LEVEL",
  "STATEFUN_LOG_FORMAT",
  "STATEFUN_STATE_DIR",
  "STATEFUN_MAX_BACKLOG",
  "STATEFUN_CHECKPOINT_INTERVAL",
  "STATEFUN_CHECKPOINT_MIN_PAUSE",
  "STATEFUN_CHECKPOINT_TIMEOUT",
  "STATEFUN_CHECKPOINTS_RETAINED",
  "STATEFUN_CHECKPOINT_MODE",
  "STATEFUN_CHECKPOINT_STORAGE",
  "STATEFUN_CHECKPOINTING=false",
  "STATEFUN_FROM_SAVEPOINT",
  "STATEFUN_IDEMPOTENCY_WINDOW",
];

describe("main", () => {
  it("prints the commands for --help", async () => {
    const { code, stdout, stderr } = await runMain(["--help"]);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.match(stdout, /^Usage: statefun \[options\] \[command\]/);
    assert.match(stdout, /run \[options\] <module\.yaml\.\.\.>/);
    assert.match(stdout, /--version/);
  });

  it("prints every option of run, with its variable and default, for run --help", async () => {
    const { code, stdout } = await runMain(["run", "--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: statefun run \[options\] <module\.yaml\.\.\.>/);
    const flat = stdout.replace(/\s+/g, " ");
    const defaults = ["default 8081", "default .statefun", "default 1s", "default 10 min"];
    for (const text of [...RUN_OPTIONS, ...RUN_ENV, ...defaults, "default 15 min"]) {
      assert.ok(flat.includes(text), `run --help lacks ${text}`);
    }
  });

  it("prints the runtime package's version for --version", async () => {
    const manifest = new URL("../../../package.json", import.meta.url);
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    const { code, stdout } = await runMain(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  });

  it("returns 2 for usage errors", async () => {
    assert.equal((await runMain([])).code, 2);
    assert.equal((await runMain(["serve"])).code, 2);
    const unknown = await runMain(["run", "a.yaml", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^statefun: unknown option '--bogus'/);
  });

  it("returns 1 for an invalid option, with the message on stderr", async () => {
    const { code, stderr } = await runMain(["run", "a.yaml"], { STATEFUN_ADMIN_PORT: "x" });
    assert.equal(code, 1);
    assert.equal(
      stderr,
      "statefun: environment variable STATEFUN_ADMIN_PORT: expected a port from 0 to 65535 " +
        '(0 picks a free port), found "x"\n',
    );
  });

  it("runs until the first shutdown signal, then resolves with 0", async () => {
    requireGreeterBuilt();
    const dir = await tempDir({ "module.yaml": greeterModuleYaml() });
    const signals = new EventEmitter();
    const stdout = memoryStream();
    const exits: number[] = [];
    const running = main(["run", join(dir, "module.yaml"), "--admin-port", "0"], {
      stdout,
      stderr: memoryStream(),
      env: {},
      cwd: dir,
      signals,
      exit: (code) => exits.push(code),
    });
    await waitFor(() => stdout.text().includes('"msg":"statefun started"'), "the startup line");
    const started = JSON.parse(
      stdout
        .text()
        .split("\n")
        .find((line) => line.includes('"statefun started"')) as string,
    ) as { admin: { port: number }; stateDir: string };
    assert.equal(started.stateDir, join(dir, ".statefun"));
    assert.equal(signals.listenerCount("SIGTERM"), 1);
    signals.emit("SIGINT");
    assert.equal(await running, 0);
    assert.deepEqual(exits, []);
    assert.equal(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM"), 0);
    assert.match(stdout.text(), /"signal":"SIGINT","msg":"stopped"/);
    assert.equal(await connectError(started.admin.port), "ECONNREFUSED");
  });
});

describe("listenForShutdownSignals", () => {
  it("resolves with the first signal and exits with 130 on the second", async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const forced: string[] = [];
    const signals = listenForShutdownSignals({
      source,
      exit: (code) => exits.push(code),
      onForcedExit: (signal) => forced.push(signal),
    });
    source.emit("SIGTERM");
    assert.equal(await signals.received, "SIGTERM");
    assert.deepEqual(exits, []);
    source.emit("SIGINT");
    assert.deepEqual(exits, [FORCED_EXIT_CODE]);
    assert.deepEqual(forced, ["SIGINT"]);
    assert.equal(FORCED_EXIT_CODE, 130);
    signals.dispose();
    signals.dispose();
    assert.equal(source.listenerCount("SIGINT"), 0);
    assert.equal(source.listenerCount("SIGTERM"), 0);
  });
});
