/**
 * The checkpoint metrics of the Prometheus adapter against a real runtime checkpointing into a
 * real directory: present with their types and exact values after checkpoints, counters that
 * never decrease across scrapes, and absent without checkpointing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createRuntimeMetrics, systemClock } from "../../src/index.js";
import type { CheckpointAttempt } from "../../src/index.js";
import { COUNTER, counterRuntime, countDurably, fixtureDir } from "../admin/checkpoint-fixture.js";
import { START_MS, parseMetrics } from "./fixture.js";

const COUNTERS = [
  "statefun_checkpoints_completed_total",
  "statefun_checkpoints_failed_total",
  "statefun_checkpoint_compactions_total",
];
const GAUGES = [
  "statefun_checkpoint_last_duration_seconds",
  "statefun_checkpoint_last_pause_seconds",
  "statefun_checkpoint_max_pause_seconds",
  "statefun_checkpoint_last_size_bytes",
  "statefun_checkpoint_chain_length",
  "statefun_checkpoint_last_completed_timestamp_seconds",
];

describe("checkpoint metrics", () => {
  it("are read from the checkpoint figures at scrape time", async () => {
    const { runtime, storage } = await counterRuntime(join(await fixtureDir(), "state"));
    await runtime.start();
    try {
      const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
      await countDurably(runtime, "a", 1);
      const first = parseMetrics(await metrics.render());
      for (const name of COUNTERS) assert.equal(first.types.get(name), "counter", name);
      for (const name of GAUGES) assert.equal(first.types.get(name), "gauge", name);
      const stats = runtime.checkpointStats();
      assert.ok(stats !== undefined && stats.completed >= 1);
      const expected: [string, number][] = [
        ["statefun_checkpoints_completed_total", stats.completed],
        ["statefun_checkpoints_failed_total", 0],
        ["statefun_checkpoint_compactions_total", 0],
        ["statefun_checkpoint_last_duration_seconds", stats.lastDurationMs / 1000],
        ["statefun_checkpoint_last_pause_seconds", stats.lastPauseMs / 1000],
        ["statefun_checkpoint_max_pause_seconds", stats.maxPauseMs / 1000],
        ["statefun_checkpoint_last_size_bytes", stats.lastBytes],
        ["statefun_checkpoint_chain_length", stats.chainLength],
        ["statefun_checkpoint_last_completed_timestamp_seconds", START_MS / 1000],
      ];
      for (const [name, value] of expected) assert.equal(first.samples.get(name), value, name);
      assert.ok(stats.lastBytes > 0 && stats.lastDurationMs > 0);

      await countDurably(runtime, "b", 1);
      const second = parseMetrics(await metrics.render()).samples;
      const completed = "statefun_checkpoints_completed_total";
      assert.equal(second.get(completed), runtime.checkpointStats()?.completed);
      assert.ok((second.get(completed) ?? 0) > (first.samples.get(completed) ?? 0));
      assert.equal(
        parseMetrics(await metrics.render()).samples.get(completed),
        second.get(completed),
      );
    } finally {
      await runtime.stop();
      await storage?.close();
    }
  });

  it("count ingress submissions by outcome, with the time to each outcome", async () => {
    const { runtime, storage } = await counterRuntime(join(await fixtureDir(), "state"));
    await runtime.start();
    try {
      const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
      const ingress = runtime.ingressContext("test/ingress");
      const target = addressOf(COUNTER, "a");
      const completedBefore = runtime.checkpointStats()?.completed ?? 0;
      await ingress.submit(target, TypedValue.of(intType, 1), { idempotencyKey: "k" });
      await ingress.submit(target, TypedValue.of(intType, 1), { idempotencyKey: "k" });
      await ingress.submit(target, TypedValue.of(intType, 2));
      await assert.rejects(ingress.submit(addressOf("test/none", "x"), TypedValue.of(intType, 1)));
      assert.ok((runtime.checkpointStats()?.completed ?? 0) > completedBefore);
      const { samples, types } = parseMetrics(await metrics.render());
      const name = "statefun_ingress_submission_duration_seconds";
      assert.equal(types.get(name), "histogram");
      const count = (outcome: string): number | undefined =>
        samples.get(`${name}_count{ingress="test/ingress",outcome="${outcome}"}`);
      assert.equal(count("acknowledged"), 2);
      assert.equal(count("duplicate"), 1);
      assert.equal(count("rejected"), 1);
      assert.equal(count("not_durable"), undefined);
      // Durable acknowledgements waited for a checkpoint: some time passed.
      assert.ok(
        (samples.get(`${name}_sum{ingress="test/ingress",outcome="acknowledged"}`) ?? 0) > 0,
      );
      assert.equal(
        samples.get(`${name}_bucket{le="+Inf",ingress="test/ingress",outcome="acknowledged"}`),
        2,
      );
    } finally {
      await runtime.stop();
      await storage?.close();
    }
  });

  it("observe each attempt: its duration, pause, size and the acknowledgements it released", async () => {
    const { runtime, storage } = await counterRuntime(join(await fixtureDir(), "state"));
    await runtime.start();
    try {
      const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
      const before = { ...runtime.checkpointStats() };
      const attempts: CheckpointAttempt[] = [];
      runtime.onCheckpoint((attempt) => attempts.push(attempt));
      const ingress = runtime.ingressContext("test/ingress");
      // Submitted in one turn: one checkpoint's cut follows them all, so it releases all five.
      await Promise.all(
        ["a", "b", "c", "d", "e"].map((id) =>
          ingress.submit(addressOf(COUNTER, id), TypedValue.of(intType, 1)),
        ),
      );
      // Nothing changed since: the next durability wait is covered by a skipped attempt.
      await runtime.whenIdle();
      await runtime.whenDurable();
      const stats = runtime.checkpointStats();
      assert.ok(stats !== undefined);
      const completed = stats.completed - (before.completed ?? 0);
      const skipped = stats.skipped - (before.skipped ?? 0);
      assert.ok(completed >= 1, `completed ${completed}`);
      assert.ok(skipped >= 1, `skipped ${skipped}`);
      // The attempt reported is the one the figures describe.
      const last = attempts.filter((attempt) => attempt.outcome === "completed").at(-1);
      assert.ok(last !== undefined);
      assert.equal(last.id, stats.lastCompletedId);
      assert.equal(last.seconds, stats.lastDurationMs / 1000);
      assert.equal(last.pauseSeconds, stats.lastPauseMs / 1000);
      assert.equal(last.bytes, stats.lastBytes);

      const { samples, types } = parseMetrics(await metrics.render());
      const histograms = [
        "statefun_checkpoint_duration_seconds",
        "statefun_checkpoint_pause_seconds",
        "statefun_checkpoint_size_bytes",
        "statefun_checkpoint_durability_waiters",
      ];
      for (const name of histograms) assert.equal(types.get(name), "histogram", name);
      const duration = "statefun_checkpoint_duration_seconds";
      assert.equal(samples.get(`${duration}_count{outcome="completed"}`), completed);
      assert.equal(samples.get(`${duration}_count{outcome="skipped"}`), skipped);
      assert.equal(samples.get(`${duration}_count{outcome="failed"}`), undefined);
      assert.ok((samples.get(`${duration}_sum{outcome="completed"}`) ?? 0) > 0);
      assert.equal(samples.get("statefun_checkpoint_pause_seconds_count"), completed + skipped);
      // Every completed file is counted with its size; the last one is among them.
      const size = "statefun_checkpoint_size_bytes";
      assert.equal(samples.get(`${size}_count`), completed);
      assert.ok((samples.get(`${size}_sum`) ?? 0) >= stats.lastBytes && stats.lastBytes > 0);
      assert.equal(samples.get(`${size}_bucket{le="1024"}`), 0, "a checkpoint file is over 1 KiB");
      // Five acknowledgements and one durability wait, in completed or skipped attempts.
      const waiters = "statefun_checkpoint_durability_waiters";
      assert.equal(samples.get(`${waiters}_sum`), 6);
      assert.equal(samples.get(`${waiters}_count`), completed + skipped);
      assert.ok(
        (samples.get(`${waiters}_bucket{le="4"}`) ?? 0) < completed + skipped,
        "one checkpoint released the five acknowledgements together",
      );
    } finally {
      await runtime.stop();
      await storage?.close();
    }
  });

  it("observe a failed attempt as failed", async () => {
    // On the system clock, so that the attempts after a failure come (after their backoff).
    const { runtime, storage } = await counterRuntime(join(await fixtureDir(), "state"), [], {
      clock: systemClock,
    });
    await runtime.start();
    const metrics = createRuntimeMetrics(runtime, { collectDefaultMetrics: false });
    // A closed storage refuses the write: the attempt fails, and its waiter waits for the next.
    await storage?.close();
    const waiting = runtime.whenDurable().then(
      () => "resolved",
      () => "rejected",
    );
    await runtime.submit(addressOf(COUNTER, "a"), TypedValue.of(intType, 1));
    const deadline = Date.now() + 5_000;
    while ((runtime.checkpointStats()?.failed ?? 0) === 0) {
      assert.ok(Date.now() < deadline, "no checkpoint failed within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { samples } = parseMetrics(await metrics.render());
    const failed = runtime.checkpointStats()?.failed ?? 0;
    const duration = "statefun_checkpoint_duration_seconds";
    // Later attempts fail too, after their backoff: one may have failed since the scrape.
    const observed = samples.get(`${duration}_count{outcome="failed"}`) ?? 0;
    assert.ok(observed >= 1 && observed <= failed, `${observed} failed of ${failed}`);
    assert.equal(samples.get(`${duration}_count{outcome="completed"}`), undefined);
    assert.equal(samples.get("statefun_checkpoint_size_bytes_count"), 0);
    assert.equal(samples.get("statefun_checkpoint_durability_waiters_count"), 0);
    await runtime.stop();
    assert.equal(await waiting, "rejected", "stopping rejects the waiter");
  });

  it("are absent without checkpointing", async () => {
    const { runtime } = await counterRuntime(undefined);
    await runtime.start();
    try {
      const { types } = parseMetrics(
        await createRuntimeMetrics(runtime, { collectDefaultMetrics: false }).render(),
      );
      assert.deepEqual(
        [...types.keys()].filter((name) => name.includes("checkpoint")),
        [],
      );
    } finally {
      await runtime.stop();
    }
  });
});
