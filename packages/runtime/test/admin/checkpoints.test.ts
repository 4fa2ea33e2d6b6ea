/**
 * The checkpoint resources of the admin API over real HTTP (127.0.0.1, ephemeral port) against a
 * real runtime checkpointing into a real directory: `GET /v1/checkpoints` with and without
 * checkpointing, `POST /v1/savepoints` to the default directory and to an explicit file (which a
 * new runtime then starts from), and the 400, 409, 413 and 500 answers.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { addressOf, intType } from "@statefun-ts/protocol";
import { createAdminServer, createRuntimeMetrics } from "../../src/index.js";
import type { AdminServer, CheckpointStorage, Runtime } from "../../src/index.js";
import { createSavepointFileReader } from "../../src/admin/savepoint-files.js";
import { readState } from "../core/helpers.js";
import { START_MS } from "../observability/fixture.js";
import { COUNTER, counterRuntime, countDurably, fixtureDir } from "./checkpoint-fixture.js";

async function call(
  server: AdminServer,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const init = body === undefined ? { method } : { method, body };
  const response = await fetch(`http://127.0.0.1:${server.address().port}${path}`, init);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function adminOf(runtime: Runtime, savepointDirectory?: string): AdminServer {
  return createAdminServer({
    runtime,
    port: 0,
    host: "127.0.0.1",
    metrics: createRuntimeMetrics(runtime, { collectDefaultMetrics: false }),
    ...(savepointDirectory === undefined ? {} : { savepointDirectory }),
  });
}

describe("checkpoint admin resources with checkpointing", () => {
  let dir: string;
  let runtime: Runtime;
  let storage: CheckpointStorage | undefined;
  let server: AdminServer;
  let savepoints: string;

  before(async () => {
    dir = await fixtureDir();
    savepoints = join(dir, "state", "savepoints");
    ({ runtime, storage } = await counterRuntime(join(dir, "state")));
    server = adminOf(runtime, savepoints);
    await runtime.start();
    await server.start();
  });
  after(async () => {
    await server.stop();
    await runtime.stop();
    await storage?.close();
  });

  it("GET /v1/checkpoints shows the settings, the figures and a fresh start", async () => {
    await countDurably(runtime, "a", 5);
    const { status, json } = await call(server, "GET", "/v1/checkpoints");
    assert.equal(status, 200);
    const stats = json.stats as { completed: number; failed: number; lastBytes: number } & Record<
      string,
      number
    >;
    assert.deepEqual(
      { ...json, stats: undefined },
      {
        enabled: true,
        storage: join(dir, "state"),
        intervalMs: 60_000,
        mode: "exactly-once",
        stats: undefined,
        restored: null,
      },
    );
    assert.ok(stats.completed >= 1, JSON.stringify(stats));
    assert.equal(stats.failed, 0);
    assert.equal(stats.lastCompletedAtMs, START_MS);
    assert.ok(stats.lastBytes > 0);
  });

  it("POST /v1/savepoints without body writes savepoint-<id>-<time>.sfc into the default directory", async () => {
    const { status, json } = await call(server, "POST", "/v1/savepoints");
    assert.equal(status, 201, JSON.stringify(json));
    const name = `savepoint-${String(json.checkpointId)}-2023-11-14T22-13-20.000Z.sfc`;
    assert.deepEqual(json, {
      checkpointId: json.checkpointId,
      location: savepoints,
      name,
      bytes: json.bytes,
      path: join(savepoints, name),
    });
    assert.ok(typeof json.bytes === "number" && json.bytes > 0);
    assert.deepEqual(await readdir(savepoints), [name], "no staging directory is left behind");
  });

  it("POST /v1/savepoints with a path writes that file, which a new runtime starts from", async () => {
    await countDurably(runtime, "a", 2);
    const path = join(dir, "elsewhere", "nested", "two.sfc");
    const body = JSON.stringify({ path });
    const { status, json } = await call(server, "POST", "/v1/savepoints", body);
    assert.equal(status, 201, JSON.stringify(json));
    assert.deepEqual(
      [json.location, json.name, json.path],
      [join(dir, "elsewhere", "nested"), "two.sfc", path],
    );
    assert.deepEqual(await readdir(join(dir, "elsewhere", "nested")), ["two.sfc"]);

    const again = await call(server, "POST", "/v1/savepoints", body);
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, {
      error: `the savepoint file ${path} already exists`,
      code: "conflict",
    });

    const reader = createSavepointFileReader(join(dir, "elsewhere", "nested"), "two.sfc");
    const restarted = await counterRuntime(join(dir, "restarted"), [], {
      fromSavepoint: { storage: reader, name: "two.sfc" },
    });
    await restarted.runtime.start();
    try {
      const count = readState(
        restarted.runtime,
        addressOf(COUNTER, "a"),
        "count",
        intType,
        START_MS,
      );
      assert.equal(count, 7);
      assert.equal(restarted.runtime.restored?.file, "two.sfc");
    } finally {
      await restarted.runtime.stop();
      await restarted.storage?.close();
    }
  });

  it("answers 400 for a body that is not an object with an absolute path or s3:// URL", async () => {
    const cases: [string, string][] = [
      ["{", 'expected a JSON body such as {"path": "..."}'],
      ["[1]", "expected a JSON object, found [1]"],
      ['{"path": 3}', "field path: expected a string, found 3"],
      ['{"file": "/x.sfc"}', 'unknown field "file"; expected only "path"'],
      [
        '{"path": "x.sfc"}',
        'field path: expected an absolute file path or an s3:// URL, found "x.sfc"',
      ],
      [
        '{"path": "/tmp/dir/"}',
        "field path: expected a file path, not a directory (it ends with /)",
      ],
      ['{"path": "/tmp/.sfc"}', "field path: expected a file name that checkpoint storage accepts"],
      ['{"path": "s3://bucket/sp.sfc?bogus=1"}', 'unknown parameter "bogus"'],
    ];
    for (const [body, message] of cases) {
      const { status, json } = await call(server, "POST", "/v1/savepoints", body);
      assert.equal(status, 400, body);
      assert.equal(json.code, "bad-request", body);
      assert.ok(String(json.error).includes(message), `${body}: ${String(json.error)}`);
    }
  });

  it("answers 413 for a body larger than 64 KiB", async () => {
    const { status, json } = await call(server, "POST", "/v1/savepoints", "x".repeat(70_000));
    assert.deepEqual([status, json.code], [413, "payload-too-large"]);
  });

  it("answers 500 with the reason when the savepoint cannot be written", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a directory");
    const body = JSON.stringify({ path: join(file, "sp.sfc") });
    const { status, json } = await call(server, "POST", "/v1/savepoints", body);
    assert.equal(status, 500);
    assert.equal(json.code, "savepoint-failed");
    assert.match(
      String(json.error),
      /^the savepoint failed: savepoint in .*a-file: cannot create the directory/,
    );
    assert.equal(existsSync(join(file, "sp.sfc")), false);
  });
});

describe("checkpoint admin resources without checkpointing", () => {
  let runtime: Runtime;
  let server: AdminServer;

  before(async () => {
    ({ runtime } = await counterRuntime(undefined));
    server = adminOf(runtime);
    await runtime.start();
    await server.start();
  });
  after(async () => {
    await server.stop();
    await runtime.stop();
  });

  it("GET /v1/checkpoints says it is off", async () => {
    assert.deepEqual(await call(server, "GET", "/v1/checkpoints"), {
      status: 200,
      json: {
        enabled: false,
        storage: null,
        intervalMs: null,
        mode: null,
        stats: null,
        restored: null,
      },
    });
  });

  it("POST /v1/savepoints answers 409", async () => {
    assert.deepEqual(await call(server, "POST", "/v1/savepoints", '{"path": "/tmp/x.sfc"}'), {
      status: 409,
      json: {
        error: "savepoints need checkpointing, which is off",
        code: "checkpointing-disabled",
      },
    });
  });
});

describe("POST /v1/savepoints on a server without default directory", () => {
  it("answers 400 when the body names no path", async () => {
    const dir = await fixtureDir();
    const { runtime, storage } = await counterRuntime(join(dir, "state"));
    const server = adminOf(runtime);
    await runtime.start();
    await server.start();
    try {
      const { status, json } = await call(server, "POST", "/v1/savepoints", "{}");
      assert.equal(status, 400);
      assert.equal(
        json.error,
        'this server has no default savepoint directory: give {"path": "..."}',
      );
    } finally {
      await server.stop();
      await runtime.stop();
      await storage?.close();
    }
  });
});
