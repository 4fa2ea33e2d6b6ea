/**
 * Remote functions keep StateFun's typename rule (reference §1.6; invariant 3 of
 * core/schema-registry.ts), now also across restarts: the specs a remote function negotiates are
 * recorded in the persisted registry, and after a restart a spec whose typename differs from the
 * recorded one is refused at negotiation — visible in failures() and the logs, state untouched.
 * The remote side is a real HTTP server built with our SDK's request-reply handler.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, addressOf, intType, isStatefunError, stringType } from "@statefun-ts/protocol";
import {
  createNodeHandler,
  createRequestReplyHandler,
  createStatefulFunctions,
} from "@statefun-ts/sdk";
import type { RuntimeOptions } from "../../src/index.js";
import { createLocalCheckpointStorage } from "../../src/index.js";
import { checkpointDirectory } from "../checkpoint/recovery-harness.js";
import { readState, waitFor } from "../core/helpers.js";
import { endpointYaml, remoteRuntime, serve } from "../remote/harness.js";
import { histories, storedTypename } from "./schema-helpers.js";

const COUNTER = "remote/counter";

/** A remote counter whose `count` is an int (v1) or a string (v2), served on 127.0.0.1. */
async function counterServer(count: "int" | "string") {
  const functions = createStatefulFunctions();
  if (count === "int") {
    functions.bind({
      typename: COUNTER,
      state: { count: intType },
      fn(ctx, message) {
        ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
      },
    });
  } else {
    functions.bind({
      typename: COUNTER,
      state: { count: stringType },
      fn(ctx, message) {
        ctx.storage.count = String(message.asInt());
      },
    });
  }
  return serve(createNodeHandler(createRequestReplyHandler(functions)));
}

async function checkpointed(directory: string): Promise<RuntimeOptions> {
  const storage = await createLocalCheckpointStorage({ directory });
  return { checkpointing: { storage, intervalMs: 60_000 } };
}

const counter = (id: string) => addressOf(COUNTER, id);

test("a remote function's specs are recorded and its typename change after a restart is refused at negotiation", async () => {
  const directory = await checkpointDirectory();
  const v1 = await counterServer("int");
  const first = remoteRuntime(endpointYaml("remote", v1.url), {
    runtime: await checkpointed(directory),
  });
  await first.runtime.start();
  await first.runtime.submit(counter("a"), TypedValue.of(intType, 5));
  await first.runtime.whenIdle();
  assert.deepEqual(histories(first.runtime, COUNTER), { count: ["io.statefun.types/int"] });
  await first.stop();
  await v1.close();

  const v2 = await counterServer("string");
  const second = remoteRuntime(endpointYaml("remote", v2.url), {
    runtime: await checkpointed(directory),
  });
  await second.runtime.start();
  assert.deepEqual(
    histories(second.runtime, COUNTER),
    { count: ["io.statefun.types/int"] },
    "restored with the state, before any negotiation",
  );
  await second.runtime.submit(counter("a"), TypedValue.of(intType, 7));
  await waitFor(() => second.runtime.failures().length > 0, 10_000, "the refused negotiation");
  const failure = second.runtime.failures()[0];
  assert.equal(failure?.address.id, "a");
  const error = failure?.error;
  assert.ok(isStatefunError(error, "invalid-effect"), String(error));
  for (const part of [
    `${COUNTER} declares state "count" with type io.statefun.types/string`,
    "registered with type io.statefun.types/int (recorded in the state schema registry",
    "changing a state's typename for an existing deployment is incompatible",
  ]) {
    assert.ok(error.message.includes(part), error.message);
  }
  const line = second.logger.lines.find((l) => l.message.startsWith("invocation failed"));
  assert.ok(line, "a log line for the refused negotiation");
  assert.match(String(line.fields.error), /registered with type io\.statefun\.types\/int/);
  assert.equal(readState(second.runtime, counter("a"), "count", intType, Date.now()), 5);
  assert.equal(storedTypename(second.runtime, counter("a"), "count"), "io.statefun.types/int");
  assert.deepEqual(histories(second.runtime, COUNTER), { count: ["io.statefun.types/int"] });
  await second.stop();
  await v2.close();
});

test("an unchanged remote function negotiates again after a restart and keeps its state", async () => {
  const directory = await checkpointDirectory();
  const server = await counterServer("int");
  const first = remoteRuntime(endpointYaml("remote", server.url), {
    runtime: await checkpointed(directory),
  });
  await first.runtime.start();
  await first.runtime.submit(counter("b"), TypedValue.of(intType, 2));
  await first.runtime.whenIdle();
  await first.stop();
  const second = remoteRuntime(endpointYaml("remote", server.url), {
    runtime: await checkpointed(directory),
  });
  await second.runtime.start();
  await second.runtime.submit(counter("b"), TypedValue.of(intType, 3));
  await second.runtime.whenIdle();
  assert.deepEqual(second.runtime.failures(), []);
  assert.equal(readState(second.runtime, counter("b"), "count", intType, Date.now()), 5);
  assert.deepEqual(histories(second.runtime, COUNTER), { count: ["io.statefun.types/int"] });
  await second.stop();
  await server.close();
});
