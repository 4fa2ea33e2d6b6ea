/**
 * Scenario: a function that messages itself on every invocation, for a long time. Reports the
 * loop rate and the heap over time (after forced GCs): memory must stay flat.
 */
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createRuntime } from "@statefun-ts/runtime";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg } from "./args.js";

const durationMs = numberArg("duration-ms", 20_000);
const loops = numberArg("loops", 4);
let stopAt = Infinity;

const functions = createStatefulFunctions().bind({
  typename: "bench/self",
  state: { n: intType },
  fn(ctx) {
    const n = (ctx.storage.n ?? 0) + 1;
    ctx.storage.n = n;
    if (performance.now() < stopAt) {
      ctx.send(messageBuilder({ typename: "bench/self", id: ctx.self.id, value: n }));
    }
  },
});
const runtime = createRuntime({ functions: [functions] });
const gc = global.gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const samples: { s: number; mb: number }[] = [];
const start = performance.now();
stopAt = start + durationMs;
for (let i = 0; i < loops; i++) {
  await runtime.submit(addressOf("bench/self", `loop-${i}`), TypedValue.of(intType, 0));
}
const sampler = setInterval(() => {
  gc();
  const s = (performance.now() - start) / 1000;
  const mb = process.memoryUsage().heapUsed / 1e6;
  samples.push({ s, mb });
  if (samples.length % 10 === 0)
    progress("self-loop", `${s.toFixed(0)} s, heap ${mb.toFixed(1)} MB`);
}, 1000);
await runtime.whenIdle();
clearInterval(sampler);
const seconds = (performance.now() - start) / 1000;
const delivered = runtime.functionStats()[0]?.in ?? 0;
// Least-squares slope of heap over time, ignoring the first quarter (warm-up).
const steady = samples.slice(Math.floor(samples.length / 4));
const n = steady.length;
const meanS = steady.reduce((a, p) => a + p.s, 0) / n;
const meanMb = steady.reduce((a, p) => a + p.mb, 0) / n;
const slope =
  steady.reduce((a, p) => a + (p.s - meanS) * (p.mb - meanMb), 0) /
  Math.max(
    1e-9,
    steady.reduce((a, p) => a + (p.s - meanS) ** 2, 0),
  );
report({
  scenario: "self-loop",
  figures: [
    { name: "deliveries", value: delivered / seconds, unit: "msg/s" },
    { name: "heap first", value: samples[0]?.mb ?? 0, unit: "MB" },
    { name: "heap last", value: samples.at(-1)?.mb ?? 0, unit: "MB" },
    { name: "heap max", value: Math.max(...samples.map((p) => p.mb)), unit: "MB" },
    { name: "heap slope", value: slope * 60, unit: "MB/min" },
  ],
  notes: [`${loops} loops for ${(durationMs / 1000).toFixed(0)} s, ${samples.length} heap samples`],
});
await runtime.stop();
