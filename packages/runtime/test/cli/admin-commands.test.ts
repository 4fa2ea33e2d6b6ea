// `statefun savepoint` and `statefun checkpoints` in-process against a real admin server over
// real HTTP: their help, what they print, relative --output paths, STATEFUN_ADMIN_URL, and the
// exit code and message when the admin API is unreachable, refuses, or the URL is invalid.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli/main.js";
import { createAdminServer } from "../../src/index.js";
import type { AdminServer, CheckpointStorage, Runtime } from "../../src/index.js";
import { counterRuntime, countDurably, fixtureDir } from "../admin/checkpoint-fixture.js";
import { memoryStream } from "./helpers.js";

async function runMain(argv: string[], env: Record<string, string> = {}, cwd = "/tmp") {
  const stdout = memoryStream();
  const stderr = memoryStream();
  const code = await main(argv, { stdout, stderr, env, cwd });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function serve(runtime: Runtime, savepointDirectory?: string): Promise<AdminServer> {
  const server = createAdminServer({
    runtime,
    port: 0,
    host: "127.0.0.1",
    ...(savepointDirectory === undefined ? {} : { savepointDirectory }),
  });
  await server.start();
  return server;
}

describe("statefun savepoint and checkpoints", () => {
  it("print their options with variable and default for --help", async () => {
    const savepoint = await runMain(["savepoint", "--help"]);
    assert.equal(savepoint.code, 0);
    const flat = savepoint.stdout.replace(/\s+/g, " ");
    for (const text of ["--admin-url <url>", "--output <path>", "STATEFUN_ADMIN_URL"]) {
      assert.ok(flat.includes(text), `savepoint --help lacks ${text}`);
    }
    assert.ok(flat.includes("default http://127.0.0.1:8081"));
    const checkpoints = await runMain(["checkpoints", "--help"]);
    assert.equal(checkpoints.code, 0);
    assert.match(checkpoints.stdout, /--admin-url <url>/);
    assert.match(checkpoints.stdout, /--json/);
    assert.match((await runMain(["--help"])).stdout, /savepoint \[options\][\s\S]*checkpoints/);
  });

  it("exit 1 with a hint when nothing listens at the admin URL, from the flag or the variable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const fromFlag = await runMain(["savepoint", "--admin-url", url]);
    assert.equal(fromFlag.code, 1);
    assert.equal(fromFlag.stdout, "");
    assert.match(
      fromFlag.stderr,
      /^statefun: cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+ /,
    );
    assert.ok(
      fromFlag.stderr.endsWith(`is \`statefun run\` running with its admin API on ${url}?\n`),
      fromFlag.stderr,
    );
    const fromEnv = await runMain(["checkpoints"], { STATEFUN_ADMIN_URL: url });
    assert.equal(fromEnv.code, 1);
    assert.ok(fromEnv.stderr.includes(`admin API on ${url}?`), fromEnv.stderr);
  });

  it("exit 1 for an admin URL that is not http(s), naming flag or variable", async () => {
    const expected = "an http:// or https:// URL such as http://127.0.0.1:8081";
    assert.deepEqual(await runMain(["savepoint", "--admin-url", "ftp://host"]), {
      code: 1,
      stdout: "",
      stderr: `statefun: --admin-url: expected ${expected}, found "ftp://host"\n`,
    });
    const fromEnv = await runMain(["checkpoints"], { STATEFUN_ADMIN_URL: "localhost:8081" });
    assert.equal(
      fromEnv.stderr,
      `statefun: environment variable STATEFUN_ADMIN_URL: expected ${expected}, found "localhost:8081"\n`,
    );
  });

  describe("against a running admin API", () => {
    let dir: string;
    let runtime: Runtime;
    let storage: CheckpointStorage | undefined;
    let server: AdminServer;
    let url: string;

    before(async () => {
      dir = await fixtureDir();
      ({ runtime, storage } = await counterRuntime(join(dir, "state")));
      await runtime.start();
      server = await serve(runtime, join(dir, "state", "savepoints"));
      url = `http://127.0.0.1:${server.address().port}`;
      await countDurably(runtime, "a", 1);
    });
    after(async () => {
      await server.stop();
      await runtime.stop();
      await storage?.close();
    });

    it("savepoint prints the path of the savepoint, a relative --output resolved against cwd", async () => {
      const taken = await runMain(
        ["savepoint", "--admin-url", `${url}/`, "--output", "out/sp.sfc"],
        {},
        dir,
      );
      assert.deepEqual(taken, { code: 0, stdout: `${join(dir, "out", "sp.sfc")}\n`, stderr: "" });
      assert.ok(existsSync(join(dir, "out", "sp.sfc")));
      const byDefault = await runMain(["savepoint"], { STATEFUN_ADMIN_URL: url });
      assert.equal(byDefault.code, 0, byDefault.stderr);
      const printed = byDefault.stdout.trim();
      assert.match(printed, /\/state\/savepoints\/savepoint-\d+-[\d-]+T[\d-]+\.\d{3}Z\.sfc$/);
      assert.ok(existsSync(printed));
    });

    it("savepoint exits 1 with the server's reason when it refuses", async () => {
      const refused = await runMain([
        "savepoint",
        "--admin-url",
        url,
        "--output",
        join(dir, "out", "sp.sfc"),
      ]);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        `statefun: POST ${url}/v1/savepoints answered 409: the savepoint file ${join(dir, "out", "sp.sfc")} already exists\n`,
      );
    });

    it("checkpoints prints the figures, or the JSON answer with --json", async () => {
      const text = await runMain(["checkpoints", "--admin-url", url]);
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.split("\n");
      assert.equal(lines[0], "checkpointing: exactly-once, every 1 min");
      assert.equal(lines[1], `storage: ${join(dir, "state")}`);
      assert.match(lines[2] ?? "", /^completed: \d+, failed: 0, skipped \(nothing changed\): \d+$/);
      assert.match(lines[4] ?? "", /; chain: \d+ files; full compactions: \d+, merges: \d+$/);
      assert.match(lines[3] ?? "", /^last: \d+ at 2023-11-14T22:13:20\.000Z, took \d+ ms/);
      assert.equal(lines[5], "restored: fresh start");
      const json = await runMain(["checkpoints", "--admin-url", url, "--json"]);
      const view = JSON.parse(json.stdout) as { enabled: boolean; stats: { completed: number } };
      assert.equal(view.enabled, true);
      assert.equal(view.stats.completed, runtime.checkpointStats()?.completed);
    });
  });

  it("checkpoints says off, and savepoint exits 1, without checkpointing", async () => {
    const { runtime } = await counterRuntime(undefined);
    await runtime.start();
    const server = await serve(runtime);
    const url = `http://127.0.0.1:${server.address().port}`;
    try {
      assert.deepEqual(await runMain(["checkpoints", "--admin-url", url]), {
        code: 0,
        stdout: "checkpointing: off\n",
        stderr: "",
      });
      const refused = await runMain(["savepoint", "--admin-url", url]);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        `statefun: POST ${url}/v1/savepoints answered 409: savepoints need checkpointing, which is off\n`,
      );
    } finally {
      await server.stop();
      await runtime.stop();
    }
  });
});
