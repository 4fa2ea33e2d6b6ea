/**
 * Tests of the Prometheus adapter against a real runtime: exact per-function counters and gauges
 * after known traffic, failures counted per attempt, runtime-wide gauges, counters that never
 * decrease across scrapes, a private registry, the prefix option and default process metrics.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TypedValue, addressOf, intType, isStatefunError } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { register as globalRegistry } from "prom-client";
import { createRuntime, createRuntimeMetrics } from "../../src/index.js";
import type { Runtime } from "../../src/index.js";
import { COUNT, FAILING, FORWARD, parseMetrics, sendOnes, testRuntime } from "./fixture.js";

const label = (typename: string) => `{function_type="${typename}"}`;

describe("createRuntimeMetrics", () => {
  let runtime: Runtime;

  before(async () => {
    runtime = testRuntime();
    await runtime.start();
  });
  after(() => runtime.stop());

  it("exports exact per-function counters and gauges read at scrape time", async () => {
    const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    const before = parseMetrics(await metrics.render()).samples;
    await sendOnes(runtime, FORWARD, ["a", "b", "c"]);
    const { samples, types } = parseMetrics(await metrics.render());
    // Each of the three counters holds one persisted total.
    assert.equal(
      (samples.get("statefun_state_live_values") ?? NaN) -
        (before.get("statefun_state_live_values") ?? NaN),
      3,
    );
    const expected: [string, string, number][] = [
      ["statefun_function_in_total", FORWARD, 3],
      ["statefun_function_out_local_total", FORWARD, 3],
      ["statefun_function_out_egress_total", FORWARD, 3],
      ["statefun_function_invocations_total", FORWARD, 3],
      ["statefun_function_failures_total", FORWARD, 0],
      ["statefun_function_inflight_async_ops", FORWARD, 0],
      ["statefun_function_backlog", FORWARD, 0],
      ["statefun_function_blocked_addresses", FORWARD, 0],
      ["statefun_function_in_total", COUNT, 3],
      ["statefun_function_out_local_total", COUNT, 0],
      ["statefun_function_invocations_total", COUNT, 3],
      ["statefun_function_backlog", COUNT, 0],
    ];
    for (const [name, typename, value] of expected) {
      assert.equal(samples.get(name + label(typename)), value, `${name}${label(typename)}`);
    }
    for (const name of ["in", "out_local", "out_egress", "invocations", "failures"]) {
      assert.equal(types.get(`statefun_function_${name}_total`), "counter", name);
    }
    for (const name of [
      "function_inflight_async_ops",
      "function_backlog",
      "function_blocked_addresses",
    ]) {
      assert.equal(types.get(`statefun_${name}`), "gauge", name);
    }
    assert.equal(samples.get("statefun_backlog"), 0);
    assert.equal(samples.get("statefun_inflight_async_ops"), 0);
    assert.equal(samples.get("statefun_delayed_messages"), 0);
    assert.equal(samples.get('statefun_runtime_state{state="running"}'), 1);
    assert.equal(samples.get('statefun_runtime_state{state="created"}'), 0);
    assert.equal(samples.get('statefun_runtime_state{state="stopped"}'), 0);
  });

  it("counts each failed attempt and shows the failing address and its backlog", async () => {
    const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    await sendOnes(runtime, FAILING, ["x"]);
    await sendOnes(runtime, FAILING, ["x"]);
    const { samples } = parseMetrics(await metrics.render());
    assert.equal(samples.get(`statefun_function_failures_total${label(FAILING)}`), 1);
    assert.equal(samples.get(`statefun_function_in_total${label(FAILING)}`), 2);
    assert.equal(samples.get(`statefun_function_invocations_total${label(FAILING)}`), 0);
    // The first message is the failing batch; the second waits behind it.
    assert.equal(samples.get(`statefun_function_backlog${label(FAILING)}`), 1);
    assert.equal(samples.get("statefun_backlog"), 1);
    assert.equal(samples.get("statefun_failing_addresses"), 1);
  });

  it("shows the addresses waiting to run, apart from those in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const waiting = createRuntime({
      functions: [createStatefulFunctions().bind({ typename: "test/gated", fn: () => gate })],
      maxInflightInvocations: 1,
    });
    await waiting.start();
    const metrics = createRuntimeMetrics(waiting, { collectDefaultMetrics: false });
    for (const id of ["a", "b", "c", "c"]) {
      await waiting.submit(addressOf("test/gated", id), TypedValue.of(intType, 1));
    }
    // "a" is in flight, the only one: "b" and "c" (two messages) wait to run.
    await new Promise((resolve) => setImmediate(resolve));
    const { samples } = parseMetrics(await metrics.render());
    assert.equal(samples.get("statefun_queued_addresses"), 2);
    assert.equal(samples.get("statefun_backlog"), 3);
    release();
    await waiting.whenIdle();
    assert.equal(parseMetrics(await metrics.render()).samples.get("statefun_queued_addresses"), 0);
    await waiting.stop();
  });

  it("never decreases a counter across scrapes, and adds what happened in between", async () => {
    const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    const first = parseMetrics(await metrics.render()).samples;
    await sendOnes(runtime, FORWARD, ["d", "e"]);
    const second = parseMetrics(await metrics.render()).samples;
    const third = parseMetrics(await metrics.render()).samples;
    const counters = [...first.keys()].filter((key) => /^statefun_\w+_total\{/.test(key));
    assert.ok(counters.length >= 15, `counters of three function types: ${counters.join(", ")}`);
    for (const key of counters) {
      const [a, b, c] = [first.get(key), second.get(key), third.get(key)] as [
        number,
        number,
        number,
      ];
      assert.ok(b >= a && c >= b, `${key}: ${a} → ${b} → ${c}`);
    }
    const inForward = `statefun_function_in_total${label(FORWARD)}`;
    assert.equal((second.get(inForward) ?? 0) - (first.get(inForward) ?? 0), 2);
    assert.equal(third.get(inForward), second.get(inForward));
  });

  it("uses a registry of its own, so several can exist for one runtime", async () => {
    const one = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    const two = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    assert.notEqual(one.registry, two.registry);
    assert.equal(globalRegistry.getSingleMetric("statefun_function_in_total"), undefined);
    assert.equal(
      parseMetrics(await one.render()).samples.get(`statefun_function_in_total${label(COUNT)}`),
      parseMetrics(await two.render()).samples.get(`statefun_function_in_total${label(COUNT)}`),
    );
    assert.match(one.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it("applies the prefix and rejects one that cannot start a metric name", async () => {
    const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false, prefix: "sf_" });
    const { samples } = parseMetrics(await metrics.render());
    const count = runtime.functionStats().find((fn) => fn.typename === COUNT);
    assert.ok(count !== undefined && count.in > 0);
    assert.equal(samples.get(`sf_function_in_total${label(COUNT)}`), count.in);
    assert.equal([...samples.keys()].filter((key) => key.startsWith("statefun_")).length, 0);
    assert.throws(
      () => createRuntimeMetrics(runtime, { prefix: "1x-" }),
      (error: unknown) =>
        isStatefunError(error, "invalid-config") && error.message.includes('"1x-"'),
    );
  });

  it("adds process and Node.js metrics unless disabled", async () => {
    const withDefaults = parseMetrics(await createRuntimeMetrics(runtime).render()).samples;
    assert.ok(withDefaults.has("process_cpu_user_seconds_total"));
    assert.ok(
      [...withDefaults.keys()].some((key) => key.startsWith("nodejs_heap_size_used_bytes")),
    );
    const without = parseMetrics(
      await createRuntimeMetrics(runtime, { collectDefaultMetrics: false }).render(),
    ).samples;
    assert.equal([...without.keys()].filter((key) => /^(process|nodejs)_/.test(key)).length, 0);
  });
});
