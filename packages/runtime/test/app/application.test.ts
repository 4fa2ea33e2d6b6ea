// The application lifecycle (invariants of app/application.ts): start runtime then admin, stop
// admin then runtime, misuse named by state, warnings logged at start, and a failed start that
// leaves nothing running.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { createApplication } from "../../src/index.js";
import { connectError, createCapturingLogger, linesWith } from "../io/playground-harness.js";
import { INGRESS_DOC, embeddedDoc, loadApp, registryModule, yamlStream } from "./helpers.js";

const EMPTY_EGRESS = "kind: io.statefun.playground.v1/egress\nspec: {port: 0, topics: []}";

async function greeterApp(admin = true) {
  const { definition } = await loadApp({
    "module.yaml": yamlStream(embeddedDoc("./fns.js"), INGRESS_DOC, EMPTY_EGRESS),
    "fns.js": registryModule("test/a"),
  });
  const logger = createCapturingLogger();
  const app = await createApplication(definition, {
    runtime: { logger },
    admin: admin ? { port: 0, host: "127.0.0.1" } : undefined,
  });
  return { app, logger };
}

describe("application lifecycle", () => {
  it("starts the runtime and the admin server, and stops both (invariant 2)", async () => {
    const { app, logger } = await greeterApp();
    assert.equal(app.state, "created");
    assert.equal(app.admin?.state, "created");
    await app.start();
    assert.equal(app.state, "running");
    assert.equal(app.runtime.state, "running");
    const admin = app.admin?.address();
    assert.ok(admin !== undefined);
    const health = await fetch(`http://127.0.0.1:${admin.port}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");

    await app.stop();
    assert.equal(app.state, "stopped");
    assert.equal(app.runtime.state, "stopped");
    assert.equal(app.admin?.state, "stopped");
    assert.equal(await connectError(admin.port), "ECONNREFUSED");
    const messages = logger.lines.map((line) => line.message);
    assert.ok(messages.indexOf("admin server stopped") < messages.indexOf("runtime stopped"));
    assert.ok(messages.indexOf("runtime started") < messages.indexOf("admin server listening"));
  });

  it("logs the module definition's warnings at start", async () => {
    const { app, logger } = await greeterApp(false);
    assert.equal(app.admin, undefined);
    assert.equal(app.definition.warnings.length, 1);
    assert.equal(linesWith(logger.lines, app.definition.warnings[0] as string).length, 0);
    await app.start();
    const warned = linesWith(logger.lines, app.definition.warnings[0] as string);
    assert.equal(warned.length, 1);
    assert.equal(warned[0]?.level, "warn");
    await app.stop();
  });

  it("refuses a second start, naming the state", async () => {
    const { app } = await greeterApp(false);
    await app.start();
    await assert.rejects(app.start(), {
      code: "illegal-state",
      message: "cannot start an application that is running (expected created)",
    });
    await app.stop();
    await assert.rejects(app.start(), { code: "illegal-state", message: /that is stopped/ });
  });

  it("stops idempotently, also when never started", async () => {
    const { app } = await greeterApp();
    await Promise.all([app.stop(), app.stop()]);
    await app.stop();
    assert.equal(app.state, "stopped");
    assert.equal(app.runtime.state, "stopped");
    assert.equal(app.admin?.state, "stopped");
  });

  it("waits for a start in progress before stopping", async () => {
    const { app } = await greeterApp();
    const starting = app.start();
    const stopping = app.stop();
    await starting;
    await stopping;
    assert.equal(app.state, "stopped");
    assert.equal(app.runtime.state, "stopped");
  });

  it("stops the runtime when the admin server cannot start (invariant 3)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { definition } = await loadApp({
        "module.yaml": yamlStream(embeddedDoc("./fns.js"), INGRESS_DOC),
        "fns.js": registryModule("test/a"),
      });
      const app = await createApplication(definition, { admin: { port, host: "127.0.0.1" } });
      await assert.rejects(app.start(), {
        code: "invalid-config",
        message: new RegExp(`admin server cannot listen on 127\\.0\\.0\\.1:${port}`),
      });
      assert.equal(app.state, "stopped");
      assert.equal(app.runtime.state, "stopped");
      const ingressPort = app.runtime.components().ingresses[0]?.describe().port as number;
      assert.equal(await connectError(ingressPort), "ECONNREFUSED");
    } finally {
      blocker.close();
    }
  });
});
