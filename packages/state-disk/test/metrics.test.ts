/**
 * The disk backend's figures in the runtime's Prometheus metrics: the addresses cached (bounded),
 * those changed and not written yet, and the database's failed writes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { NO_EXPIRATION, TypedValue, addressOf, stringType } from "@statefun-ts/protocol";
import { createRuntime, createRuntimeMetrics } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { createDiskStateBackend } from "../src/index.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const root = tempDirs("statefun-disk-metrics-");

/** The value of an unlabelled metric in a Prometheus text rendering. */
function valueOf(text: string, name: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test("the disk backend's cache, unwritten changes and failed writes are metrics", async () => {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxCachedAddresses: 20,
    // Long enough that the changes are still unwritten when first scraped.
    flushIntervalMs: 60_000,
    maxDirtyAddresses: 1_000,
  });
  const runtime = createRuntime({
    functions: [
      createStatefulFunctions().bind({
        typename: "test/kv",
        state: { value: stringType },
        fn(ctx, message) {
          ctx.storage.value = message.asString();
        },
      }),
    ],
    stateBackend: backend,
  });
  await runtime.start();
  const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
  for (let i = 0; i < 100; i++) {
    await runtime.submit(addressOf("test/kv", `id-${i}`), TypedValue.of(stringType, "v"));
  }
  await runtime.whenIdle();
  let text = await metrics.render();
  // The 100 addresses, and the runtime's own (the state schema registry's record of test/kv).
  const changed = valueOf(text, "statefun_state_unwritten_addresses") ?? NaN;
  assert.ok(changed > 100 && changed < 110, `${changed} addresses unwritten`);
  // Addresses not written yet stay cached, beyond the bound.
  assert.equal(valueOf(text, "statefun_state_cached_addresses"), changed);
  assert.equal(valueOf(text, "statefun_state_write_failures_total"), 0);
  assert.match(text, /# TYPE statefun_state_write_failures_total counter/u);

  await backend.whenWritten();
  // A batch's commit evicts down to the bound, less 1/64 of it.
  text = await metrics.render();
  assert.equal(valueOf(text, "statefun_state_unwritten_addresses"), 0);
  const cached = valueOf(text, "statefun_state_cached_addresses") ?? NaN;
  assert.ok(cached <= 20, `${cached} addresses cached`);
  await runtime.stop();
});

test("as many changes as the dirty bound start a batch at once, however long the interval", async () => {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    flushIntervalMs: 60_000,
    maxDirtyAddresses: 10,
  });
  const spec = { name: "value", typename: stringType.typename, expiration: NO_EXPIRATION };
  const write = (id: string): void =>
    backend.table("test/kv").write(id, 0, [{ spec, value: TypedValue.of(stringType, "v") }], 1);
  const unwritten = (): number | undefined =>
    backend.figures?.().find((figure) => figure.name === "state_unwritten_addresses")?.value;
  for (let i = 0; i < 9; i++) write(`id-${i}`);
  // Below the bound: the batch waits for the interval.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(unwritten(), 9);
  write("id-9");
  const deadline = Date.now() + 5_000;
  while (unwritten() !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(unwritten(), 0, "written without waiting for the interval");
  await backend.close();
});
