/**
 * Tests of the admin server's own lifecycle over real HTTP: misuse errors naming the state, a
 * port in use, stop() closing keep-alive connections and answering in-flight requests with
 * `Connection: close`, and option validation.
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { isStatefunError } from "@statefun-ts/protocol";
import { Registry } from "prom-client";
import {
  createAdminServer,
  createRuntimeMetrics,
  resolveAdminServerOptions,
} from "../../src/index.js";
import type { AdminServer, Runtime, RuntimeMetrics } from "../../src/index.js";
import { parseMetrics, testRuntime, waitFor } from "../observability/fixture.js";

function localServer(runtime: Runtime, metrics?: RuntimeMetrics): AdminServer {
  return createAdminServer({
    runtime,
    port: 0,
    host: "127.0.0.1",
    metrics: metrics ?? createRuntimeMetrics(runtime, { collectDefaultMetrics: false }),
  });
}

describe("admin server lifecycle", () => {
  let runtime: Runtime;
  before(async () => {
    runtime = testRuntime();
    await runtime.start();
  });
  after(() => runtime.stop());

  it("refuses misuse with an error naming the state", async () => {
    const server = localServer(runtime);
    assert.equal(server.state, "created");
    assert.throws(
      () => server.address(),
      (error: unknown) =>
        isStatefunError(error, "illegal-state") && error.message.includes("created"),
    );
    await server.start();
    await assert.rejects(
      server.start(),
      (error: unknown) =>
        isStatefunError(error, "illegal-state") && error.message.includes("running"),
    );
    await server.stop();
    await server.stop();
    assert.equal(server.state, "stopped");
    await assert.rejects(server.start(), (error: unknown) =>
      isStatefunError(error, "illegal-state"),
    );
    const never = localServer(runtime);
    await never.stop();
    assert.equal(never.state, "stopped");
  });

  it("fails to start on a port in use with invalid-config", async () => {
    const first = localServer(runtime);
    await first.start();
    try {
      const second = createAdminServer({ runtime, port: first.address().port, host: "127.0.0.1" });
      await assert.rejects(
        second.start(),
        (error: unknown) =>
          isStatefunError(error, "invalid-config") &&
          error.message.includes(String(first.address().port)),
      );
      assert.equal(second.state, "stopped");
    } finally {
      await first.stop();
    }
  });

  it("closes keep-alive connections on stop and stops answering", async () => {
    const server = createAdminServer({ runtime, port: 0, host: "127.0.0.1" });
    await server.start();
    const { port } = server.address();
    const agent = new Agent({ keepAlive: true });
    let socket: Socket | undefined;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/metrics", agent }, (response) => {
        assert.equal(response.headers.connection, "keep-alive");
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve(text));
      });
      req.on("socket", (s) => (socket = s));
      req.on("error", reject);
      req.end();
    });
    // Without a metrics option the server builds its own, with process metrics.
    assert.ok(parseMetrics(body).samples.has("process_cpu_user_seconds_total"));
    assert.ok(socket !== undefined && !socket.destroyed, "the connection is kept alive");
    await server.stop();
    const kept = socket;
    await waitFor(() => kept.destroyed, "the keep-alive connection to close");
    agent.destroy();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/health`));
  });
});

describe("admin server stop with a request in flight", () => {
  const runtime = testRuntime();
  after(() => runtime.stop());

  it("answers it with Connection: close, then resolves", async () => {
    let release: (text: string) => void = () => undefined;
    let rendering = false;
    const gated: RuntimeMetrics = {
      registry: new Registry(),
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      render: () => {
        rendering = true;
        return new Promise<string>((resolve) => (release = resolve));
      },
    };
    const server = localServer(runtime, gated);
    await server.start();
    const response = fetch(`http://127.0.0.1:${server.address().port}/metrics`);
    await waitFor(() => rendering, "the metrics request to reach the handler");
    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    assert.equal(server.state, "stopping");
    release("late_metric 1\n");
    const answer = await response;
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("connection"), "close");
    assert.equal(await answer.text(), "late_metric 1\n");
    await stopping;
    assert.equal(stopped, true);
    assert.equal(server.state, "stopped");
  });
});

describe("resolveAdminServerOptions", () => {
  const runtime = testRuntime();
  after(() => runtime.stop());

  it("defaults the host to 0.0.0.0", () => {
    assert.deepEqual(resolveAdminServerOptions({ runtime, port: 8081 }), {
      runtime,
      port: 8081,
      host: "0.0.0.0",
      metrics: undefined,
      savepointDirectory: undefined,
    });
  });

  it("rejects a savepoint directory that is not absolute", () => {
    assert.throws(
      () => resolveAdminServerOptions({ runtime, port: 0, savepointDirectory: "savepoints" }),
      {
        code: "invalid-config",
        message:
          'admin server option savepointDirectory: expected an absolute directory path, found "savepoints"',
      },
    );
  });

  it("rejects a port outside 0–65535 or a blank host", () => {
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      assert.throws(
        () => resolveAdminServerOptions({ runtime, port }),
        (error: unknown) =>
          isStatefunError(error, "invalid-config") && error.message.includes("port"),
        String(port),
      );
    }
    assert.throws(
      () => resolveAdminServerOptions({ runtime, port: 0, host: "" }),
      (error: unknown) =>
        isStatefunError(error, "invalid-config") && error.message.includes("host"),
    );
  });
});
