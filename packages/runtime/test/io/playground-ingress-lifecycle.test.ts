/**
 * Lifecycle tests of the playground ingress: a stop that lets in-flight requests finish and closes
 * the port, start logs and describe(), failures of the runtime seen through an IngressContext
 * (503, 500), and misuse.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { StatefunError } from "@statefun-ts/protocol";
import type { Address, TypedValue } from "@statefun-ts/protocol";
import { createPlaygroundIngress } from "../../src/index.js";
import type { IngressContext } from "../../src/index.js";
import {
  connectError,
  createCapturingLogger,
  expectError,
  linesWith,
  put,
  withPlayground,
} from "./playground-harness.js";
import { track, waitFor } from "./wait-for.js";

void test("stop lets an in-flight request finish, then the port is closed", () =>
  withPlayground({ runtime: { maxBacklog: 1 } }, async (pg) => {
    const port = pg.ingress.address().port;
    assert.equal((await put(pg, "/example/blocker/x", "1")).status, 200);
    await waitFor(() => pg.blocked.length === 1, "the blocker to start");
    assert.equal((await put(pg, "/example/blocker/x", "2")).status, 200);
    // The backlog (1) is full: this request waits in submit until the blocker is released.
    const received = linesWith(pg.logs, "ingress request received").length;
    const inflight = track(put(pg, "/example/blocker/y", "3"));
    await waitFor(
      () => linesWith(pg.logs, "ingress request received").length > received,
      "the third request to reach the ingress",
    );
    const stopping = track(pg.runtime.stop());
    await waitFor(async () => (await connectError(port)) === "ECONNREFUSED", "the port to close");
    assert.equal(inflight.settled(), false, "the in-flight request is still waiting");
    assert.equal(stopping.settled(), false, "stop waits for the in-flight request");
    pg.gate.resolve();
    const response = await inflight.promise;
    assert.equal(response.status, 200);
    await stopping.promise;
    assert.equal(pg.runtime.state, "stopped");
    assert.equal(await connectError(port), "ECONNREFUSED");
    assert.equal(linesWith(pg.logs, "playground ingress stopped").length, 1);
  }));

void test("start logs the address; describe() reports kind, host and port", () =>
  withPlayground({}, (pg) => {
    const port = pg.ingress.address().port;
    assert.notEqual(port, 0);
    assert.deepEqual(pg.ingress.describe(), {
      kind: "io.statefun.playground.v1/ingress",
      host: "127.0.0.1",
      port,
    });
    const started = linesWith(pg.logs, "playground ingress listening");
    assert.equal(started.length, 1);
    assert.equal(started[0]?.fields.port, port);
    assert.equal(started[0]?.fields.ingress, "io.statefun.playground/ingress");
  }));

/** Starts the ingress alone with an IngressContext whose submit fails with `error`. */
async function withFailingSubmit(
  error: Error,
  check: (url: string, logs: ReturnType<typeof createCapturingLogger>) => Promise<void>,
): Promise<void> {
  const logger = createCapturingLogger();
  const context: IngressContext = {
    submit: (_target: Address, _value: TypedValue) => Promise.reject(error),
    hasFunctionType: () => true,
    durable: false,
    logger,
  };
  const ingress = createPlaygroundIngress({ port: 0, host: "127.0.0.1" });
  await ingress.start(context);
  try {
    await check(`http://127.0.0.1:${ingress.address().port}`, logger);
  } finally {
    await ingress.stop();
  }
}

void test("a runtime shutting down or failing checkpoints gets 503; any other failure 500, logged with the address", async () => {
  await withFailingSubmit(new StatefunError("shutdown", "the runtime is stopping"), async (url) => {
    await expectError(await fetch(`${url}/a/b/c`, { method: "PUT" }), 503, "shutdown", /stopping/);
  });
  const notDurable = new StatefunError("storage-failed", "not acknowledged: checkpoints failed");
  await withFailingSubmit(notDurable, async (url, logger) => {
    await expectError(
      await fetch(`${url}/a/b/c`, { method: "PUT" }),
      503,
      "storage-failed",
      /not acknowledged/,
    );
    const logged = linesWith(
      logger.lines,
      "ingress message not acknowledged: checkpoints are failing",
    );
    assert.equal(logged[0]?.level, "warn");
    assert.equal(logged[0]?.fields.address, "a/b/c");
  });
  await withFailingSubmit(new Error("disk on fire"), async (url, logger) => {
    await expectError(
      await fetch(`${url}/a/b/c`, { method: "PUT" }),
      500,
      "internal-error",
      /disk on fire/,
    );
    const logged = linesWith(logger.lines, "ingress message could not be submitted");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, "error");
    assert.equal(logged[0]?.fields.address, "a/b/c");
    assert.equal(logged[0]?.fields.error, "disk on fire");
  });
});

void test("lifecycle misuse and invalid options throw naming the problem", async () => {
  const ingress = createPlaygroundIngress({ port: 0, host: "127.0.0.1" });
  assert.throws(() => ingress.address(), /created/);
  await ingress.start({
    submit: () => Promise.resolve(),
    hasFunctionType: () => true,
    durable: false,
    logger: createCapturingLogger(),
  });
  await assert.rejects(
    ingress.start({
      submit: () => Promise.resolve(),
      hasFunctionType: () => true,
      durable: false,
      logger: createCapturingLogger(),
    }),
    /cannot start a playground ingress that is running/,
  );
  await ingress.stop();
  await ingress.stop();
  assert.throws(
    () => createPlaygroundIngress({ port: 70000 }),
    /option port: expected an integer from 0 to 65535, found 70000/,
  );
  assert.throws(() => createPlaygroundIngress({ port: 0, maxBodyBytes: 0 }), /maxBodyBytes/);
});
