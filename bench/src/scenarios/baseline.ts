/**
 * Baselines measured in the same run as the runtime scenarios:
 * - `floor`: the least any dispatcher must do per message — a per-address FIFO plus a counter in
 *   a Map, in a plain loop;
 * - `sdk-direct`: the SDK's batch engine called directly in a loop (no runtime), i.e. the cost
 *   of running the counter function itself with state encoding and effect collection.
 */
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions, invokeBatch } from "@statefun-ts/sdk";
import { report } from "../result.js";
import { numberArg } from "./args.js";

const addresses = numberArg("addresses", 10_000);
const messages = numberArg("messages", 5_000_000);

function floor(): number {
  const counts = new Map<string, number>();
  const queues = new Map<string, number[]>();
  const ids = Array.from({ length: addresses }, (_, i) => `id-${i}`);
  const start = performance.now();
  for (let m = 0; m < messages; m++) {
    const id = ids[m % addresses] as string;
    let queue = queues.get(id);
    if (queue === undefined) {
      queue = [];
      queues.set(id, queue);
    }
    queue.push(m);
    const value = queue.shift() as number;
    counts.set(id, (counts.get(id) ?? 0) + (value >= 0 ? 1 : 0));
  }
  return messages / ((performance.now() - start) / 1000);
}

function sdkDirect(): number {
  const functions = createStatefulFunctions().bind({
    typename: "bench/counter",
    state: { count: intType },
    fn(ctx) {
      ctx.storage.count = (ctx.storage.count ?? 0) + 1;
    },
  });
  const bound = functions.get("bench/counter");
  if (bound === undefined) throw new Error("unbound");
  const selves = Array.from({ length: addresses }, (_, i) => addressOf("bench/counter", `id-${i}`));
  const state = new Array<TypedValue | undefined>(addresses).fill(undefined);
  const input = [{ caller: undefined, argument: TypedValue.of(intType, 1) }];
  const start = performance.now();
  for (let m = 0; m < messages; m++) {
    const i = m % addresses;
    const effects = invokeBatch(bound, selves[i] as (typeof selves)[number], [state[i]], input);
    if (effects instanceof Promise) throw new Error("unexpected async");
    state[i] = effects.stateMutations[0]?.value;
  }
  return messages / ((performance.now() - start) / 1000);
}

floor();
sdkDirect();
report({
  scenario: "baseline",
  figures: [
    { name: "floor (map + fifo)", value: floor(), unit: "msg/s" },
    { name: "sdk-direct", value: sdkDirect(), unit: "msg/s" },
  ],
  notes: [`${messages} messages over ${addresses} addresses, after one warm-up pass each`],
});
