/**
 * Scenario: function-to-function deliveries per second. Counter instances form a ring over many
 * addresses; tokens travel the ring, each hop incrementing a counter and sending the token on.
 * Batches hold about one message, so this measures the per-invocation cost.
 */
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createRuntime } from "@statefun-ts/runtime";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg } from "./args.js";

const addresses = numberArg("addresses", 10_000);
const tokens = numberArg("tokens", 1_000);
const hopsPerToken = numberArg("hops", 5_000);

const functions = createStatefulFunctions().bind({
  typename: "bench/ring",
  state: { count: intType },
  fn(ctx, message) {
    ctx.storage.count = (ctx.storage.count ?? 0) + 1;
    const remaining = message.asInt();
    if (remaining > 0) {
      const next = (Number(ctx.self.id) + 1) % addresses;
      ctx.send(messageBuilder({ typename: "bench/ring", id: String(next), value: remaining - 1 }));
    }
  },
});

async function run(hops: number): Promise<{ delivered: number; batches: number; seconds: number }> {
  const runtime = createRuntime({ functions: [functions] });
  const start = performance.now();
  for (let t = 0; t < tokens; t++) {
    const id = String(Math.floor((t * addresses) / tokens));
    await runtime.submit(addressOf("bench/ring", id), TypedValue.of(intType, hops));
  }
  await runtime.whenIdle();
  const seconds = (performance.now() - start) / 1000;
  const stats = runtime.functionStats()[0];
  await runtime.stop();
  return { delivered: stats?.in ?? 0, batches: stats?.invocations ?? 0, seconds };
}

progress("embedded-ring", "warming up");
await run(200);
progress(
  "embedded-ring",
  `measuring ${tokens} tokens × ${hopsPerToken} hops over ${addresses} addresses`,
);
const { delivered, batches, seconds } = await run(hopsPerToken);
global.gc?.();
report({
  scenario: "embedded-ring",
  figures: [
    { name: "deliveries", value: delivered / seconds, unit: "msg/s" },
    { name: "batch size", value: delivered / batches, unit: "msg" },
    { name: "heap used", value: process.memoryUsage().heapUsed / 1e6, unit: "MB" },
  ],
  notes: [`${addresses} addresses, ${tokens} tokens, ${hopsPerToken} hops each`],
});
