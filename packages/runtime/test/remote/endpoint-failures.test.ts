/**
 * A remote endpoint that is down, slow, answers 500, answers garbage bytes, or answers with the
 * wrong content type: none of these loses a message or crashes the runtime; each is retried with
 * backoff, shows up in `failures()` and in a log line naming the endpoint, the address and the
 * cause; and the function resumes, applying each message exactly once, when the endpoint recovers.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "node:test";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { readState, waitFor } from "../core/helpers.js";
import { freePort } from "../free-port.js";
import type { FunctionServer } from "./harness.js";
import { endpointYaml, official, remoteRuntime, serve } from "./harness.js";

type Mode = "healthy" | "slow" | "500" | "garbage" | "wrong-content-type";

const { StateFun } = official;

/** An official-SDK counter behind a server whose failure mode can be switched. */
async function switchableCounter(port = 0): Promise<FunctionServer & { mode: Mode }> {
  const statefun = new StateFun();
  statefun.bind({
    typename: "remote/counter",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      context.storage.count = ((context.storage.count as number | null) ?? 0) + message.asInt();
    },
  });
  const healthy = statefun.handler();
  const state = { mode: "healthy" as Mode };
  const server = await serve(async (req: IncomingMessage, res: ServerResponse) => {
    switch (state.mode) {
      case "healthy":
        return healthy(req, res);
      case "slow":
        // Far beyond the 300 ms call budget: undici checks its timeouts on a coarse (~0.5 s)
        // tick, so on a loaded machine a 300 ms timeout may fire after a 1 s answer arrived.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        return healthy(req, res);
      case "500":
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("database unavailable");
        return;
      case "garbage":
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]));
        return;
      case "wrong-content-type":
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>a proxy error page</html>");
        return;
    }
  }, port);
  return Object.defineProperty(server, "mode", {
    get: () => state.mode,
    set: (mode: Mode) => {
      state.mode = mode;
    },
  }) as FunctionServer & { mode: Mode };
}

const TRANSPORT = "    call: 300ms\n    connect: 200ms";

async function exercise(mode: Mode, cause: RegExp): Promise<void> {
  const server = await switchableCounter();
  const { runtime, logger, stop } = remoteRuntime(endpointYaml("remote", server.url, TRANSPORT));
  const failing = addressOf("remote/counter", "failing");
  try {
    // Negotiate while healthy, so that the failure hits a real invocation.
    await runtime.submit(failing, TypedValue.of(intType, 1));
    await runtime.whenIdle();
    server.mode = mode;
    for (let i = 0; i < 5; i++) await runtime.submit(failing, TypedValue.of(intType, 10));
    await waitFor(
      () => (runtime.failures()[0]?.attempts ?? 0) >= 2,
      10_000,
      `repeated failures (${mode})`,
    );
    const failure = runtime.failures()[0];
    assert.equal(failure?.address.id, "failing");
    assert.match(String((failure?.error as Error).message), cause);
    const line = logger.lines.find((l) => l.message.startsWith("invocation failed"));
    assert.ok(line, "a log line for the failed invocation");
    assert.equal(line.fields.address, "remote/counter/failing");
    assert.equal(line.fields.invoker, `${server.url}/counter`);
    assert.match(String(line.fields.error), cause);
    assert.equal(
      readState(runtime, failing, "count", intType, Date.now()),
      1,
      "nothing applied meanwhile",
    );
    server.mode = "healthy";
    await waitFor(() => runtime.failures().length === 0, 10_000, "recovery");
    await runtime.whenIdle();
    assert.equal(
      readState(runtime, failing, "count", intType, Date.now()),
      51,
      "every message applied once",
    );
    assert.equal(runtime.state, "created", "the runtime kept running");
  } finally {
    await stop();
    await server.close();
  }
}

test("an endpoint answering 500 is retried until it recovers", () =>
  exercise("500", /HTTP 500: database unavailable/));

test("an endpoint answering garbage bytes is retried until it recovers", () =>
  exercise("garbage", /unparsable response body \(5 bytes\)/));

test("an endpoint answering the wrong content type is retried until it recovers", () =>
  exercise(
    "wrong-content-type",
    /expected content type application\/octet-stream, found "text\/html"/,
  ));

test("a slow endpoint times out within the call budget and is retried until it is fast again", () =>
  exercise("slow", /timed out/));

test("an endpoint that is down is retried until it comes up; other function types keep running", async () => {
  const port = await freePort();
  const other = await switchableCounter();
  const yaml = [
    endpointYaml("remote", `http://127.0.0.1:${port}`, TRANSPORT),
    "---",
    endpointYaml("other", other.url, TRANSPORT).replace("remote/counter", "other/counter"),
  ].join("\n");
  const otherStatefun = new StateFun();
  otherStatefun.bind({
    typename: "other/counter",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      context.storage.count = ((context.storage.count as number | null) ?? 0) + message.asInt();
    },
  });
  const otherServer = await serve(otherStatefun.handler());
  const { runtime, logger, stop } = remoteRuntime(yaml.replace(other.url, otherServer.url));
  const down = addressOf("remote/counter", "a");
  let server: FunctionServer | undefined;
  try {
    for (let i = 0; i < 3; i++) await runtime.submit(down, TypedValue.of(intType, 1));
    await waitFor(() => (runtime.failures()[0]?.attempts ?? 0) >= 2, 10_000, "repeated failures");
    assert.match(String((runtime.failures()[0]?.error as Error).message), /ECONNREFUSED/);
    const line = logger.lines.find((l) => l.message.startsWith("invocation failed"));
    assert.equal(line?.fields.invoker, `http://127.0.0.1:${port}/counter`);
    await runtime.submit(addressOf("other/counter", "b"), TypedValue.of(intType, 7));
    await waitFor(
      () => readState(runtime, addressOf("other/counter", "b"), "count", intType, Date.now()) === 7,
      10_000,
      "another endpoint to keep working",
    );
    server = await switchableCounter(port);
    await waitFor(() => runtime.failures().length === 0, 10_000, "recovery");
    await runtime.whenIdle();
    assert.equal(readState(runtime, down, "count", intType, Date.now()), 3);
  } finally {
    await stop();
    await server?.close();
    await other.close();
    await otherServer.close();
  }
});
