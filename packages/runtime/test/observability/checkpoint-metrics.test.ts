/**
 * The checkpoint metrics of the Prometheus adapter against a real runtime checkpointing into a
 * real directory: present with their types and exact values after checkpoints, counters that
 * never decrease across scrapes, and absent without checkpointing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createRuntimeMetrics } from "../../src/index.js";
import {
  counterRuntime,
  countDurably,
  fixtureDir,
  removeFixtureDirs,
} from "../admin/checkpoint-fixture.js";
import { START_MS, parseMetrics } from "./fixture.js";

after(removeFixtureDirs);

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
