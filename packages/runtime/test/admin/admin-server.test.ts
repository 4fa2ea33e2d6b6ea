/**
 * Tests of the admin server over real HTTP (127.0.0.1, ephemeral port) against a real runtime:
 * health through the runtime's lifecycle, the JSON resources with exact values, Prometheus text,
 * 404/405/500 answers, option validation, and the server's own lifecycle (stop closes keep-alive
 * connections, in admin-server-lifecycle.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAdminServer, createRuntimeMetrics } from "../../src/index.js";
import type { AdminServer, Runtime, RuntimeMetrics } from "../../src/index.js";
import type { LogLine } from "../observability/fixture.js";
import {
  COUNT,
  FAILING,
  FORWARD,
  fakeIngress,
  parseMetrics,
  sendOnes,
  testRuntime,
} from "../observability/fixture.js";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function call(server: AdminServer, path: string, method = "GET"): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${server.address().port}${path}`, { method });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function getJson(server: AdminServer, path: string, status = 200): Promise<unknown> {
  const answer = await call(server, path);
  assert.equal(answer.status, status, `${path}: ${answer.body}`);
  assert.equal(answer.headers.get("content-type"), "application/json; charset=utf-8");
  return JSON.parse(answer.body);
}

function localServer(runtime: Runtime, metrics?: RuntimeMetrics): AdminServer {
  return createAdminServer({
    runtime,
    port: 0,
    host: "127.0.0.1",
    metrics: metrics ?? createRuntimeMetrics(runtime, { collectDefaultMetrics: false }),
  });
}

describe("GET /v1/health", () => {
  it("is 503 until the runtime runs, 200 while it runs, 503 once it stopped", async () => {
    const runtime = testRuntime();
    const server = localServer(runtime);
    await server.start();
    try {
      assert.deepEqual(await getJson(server, "/v1/health", 503), {
        status: "starting",
        state: "created",
        failingAddresses: 0,
      });
      await runtime.start();
      assert.deepEqual(await getJson(server, "/v1/health"), {
        status: "ok",
        state: "running",
        failingAddresses: 0,
      });
      await runtime.stop();
      assert.deepEqual(await getJson(server, "/v1/health", 503), {
        status: "stopped",
        state: "stopped",
        failingAddresses: 0,
      });
    } finally {
      await server.stop();
      await runtime.stop();
    }
  });
});

describe("admin resources", () => {
  const lines: LogLine[] = [];
  const ingress = fakeIngress();
  const runtime = testRuntime(lines, ingress);
  const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
  const server = localServer(runtime, metrics);

  before(async () => {
    await runtime.start();
    await server.start();
    await sendOnes(runtime, FORWARD, ["a", "b", "c"]);
    // The first message to test/failing/x fails (retried in 60 s); the second waits behind it.
    await sendOnes(runtime, FAILING, ["x"]);
    await sendOnes(runtime, FAILING, ["x"]);
  });
  after(async () => {
    await server.stop();
    await runtime.stop();
  });

  it("GET /v1/functions lists every function type with its counters and addresses", async () => {
    const zero = { inflight: 0, backlog: 0, blockedAddresses: 0 };
    const embedded = (typename: string) => ({
      typename,
      kind: "embedded",
      invoker: `embedded ${typename}`,
    });
    assert.deepEqual(await getJson(server, "/v1/functions"), {
      functions: [
        {
          ...embedded(COUNT),
          states: [{ name: "total", typename: "io.statefun.types/int" }],
          addresses: 3,
          in: 3,
          outLocal: 0,
          outEgress: 0,
          invocations: 3,
          failures: 0,
          ...zero,
        },
        {
          ...embedded(FAILING),
          states: [],
          addresses: 0,
          in: 2,
          outLocal: 0,
          outEgress: 0,
          invocations: 0,
          failures: 1,
          ...zero,
          backlog: 1,
        },
        {
          ...embedded(FORWARD),
          states: [],
          addresses: 0,
          in: 3,
          outLocal: 3,
          outEgress: 3,
          invocations: 3,
          failures: 0,
          ...zero,
        },
      ],
    });
  });

  it("GET /v1/failures shows the failing address with its error", async () => {
    assert.deepEqual(await getJson(server, "/v1/failures"), {
      failures: [
        {
          address: "test/failing/x",
          attempts: 1,
          failingSince: "2023-11-14T22:13:20.000Z",
          queued: 1,
          error: { message: "test/failing threw", code: "function-failed", causes: ["boom x"] },
        },
      ],
    });
  });

  it("GET /v1/runtime describes state, load and components", async () => {
    assert.deepEqual(await getJson(server, "/v1/runtime"), {
      state: "running",
      load: { backlog: 1, queuedAddresses: 0, inflight: 0, delayed: 0 },
      ingresses: [{ id: "test/in", kind: "test/fake", port: 1234 }],
      egresses: [{ id: "test/out", kind: "test/recording", records: 3 }],
    });
  });

  it("GET /v1/health stays ok with failing addresses, and ignores a query string", async () => {
    assert.deepEqual(await getJson(server, "/v1/health?verbose=1"), {
      status: "ok",
      state: "running",
      failingAddresses: 1,
    });
  });

  it("GET /metrics serves Prometheus text whose counters never decrease", async () => {
    const first = await call(server, "/metrics");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("content-type"), metrics.contentType);
    const before = parseMetrics(first.body).samples;
    assert.equal(before.get(`statefun_function_failures_total{function_type="${FAILING}"}`), 1);
    assert.equal(before.get(`statefun_function_in_total{function_type="${FORWARD}"}`), 3);
    assert.equal(before.get(`statefun_function_backlog{function_type="${FAILING}"}`), 1);
    assert.equal(before.get("statefun_failing_addresses"), 1);
    await sendOnes(runtime, FORWARD, ["d"]);
    const afterwards = parseMetrics((await call(server, "/metrics")).body).samples;
    for (const [key, value] of before) {
      if (key.includes("_total{")) assert.ok((afterwards.get(key) ?? -1) >= value, key);
    }
    assert.equal(afterwards.get(`statefun_function_in_total{function_type="${FORWARD}"}`), 4);
  });

  it("answers an unknown path with 404 and a known path with a wrong method with 405", async () => {
    assert.deepEqual(await getJson(server, "/v1/nothing-here", 404), {
      error: "no admin resource at /v1/nothing-here",
      code: "not-found",
    });
    const wrong = await call(server, "/v1/health", "POST");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD");
    assert.equal((JSON.parse(wrong.body) as { code: string }).code, "method-not-allowed");
    const head = await call(server, "/v1/health", "HEAD");
    assert.deepEqual([head.status, head.body], [200, ""]);
  });

  it("answers a failing handler with 500 and a log line, and keeps serving", async () => {
    ingress.broken = true;
    try {
      const body = (await getJson(server, "/v1/runtime", 500)) as { error: string; code: string };
      assert.deepEqual(body, {
        error: "GET /v1/runtime failed: describe exploded",
        code: "internal-error",
      });
    } finally {
      ingress.broken = false;
    }
    const logged = lines.filter((line) => line.message === "admin request failed");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, "error");
    assert.deepEqual(
      { ...logged[0]?.fields },
      { component: "admin", method: "GET", path: "/v1/runtime", error: "describe exploded" },
    );
    assert.equal((await call(server, "/v1/runtime")).status, 200);
  });
});
