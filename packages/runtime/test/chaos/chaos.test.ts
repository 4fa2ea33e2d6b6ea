// The chaos test, short form (CI): random command trees through the durable, idempotent playground
// ingress while the `statefun run` process is SIGKILLed and restarted on its state directory at
// least three times; every id must end at exactly its expected count and every egress record must
// be read exactly once (repeats after a crash carry a sequence number already read, and are
// skipped). Embedded (our SDK) and remote (the official JS SDK) interpreters on the memory state
// backend, and the embedded interpreter on the disk state backend.
// The long form is `npm run chaos` (run.ts); a failure prints the seed to reproduce it there.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomSeed } from "./generator.js";
import type { ChaosBackend, ChaosVariant } from "./scenario.js";
import { runChaos } from "./scenario.js";
import { formatSummary } from "./summary.js";

/** Set `CHAOS_SEED` to rerun a seed in CI form. */
const seed = process.env.CHAOS_SEED === undefined ? randomSeed() : Number(process.env.CHAOS_SEED);

async function shortRun(variant: ChaosVariant, stateBackend: ChaosBackend): Promise<void> {
  const result = await runChaos({
    variant,
    stateBackend,
    seed,
    commands: 200,
    ids: 24,
    minKills: 3,
    killAfterMs: [300, 1500],
    inflight: 4,
    checkpointInterval: "100ms",
    timeoutMs: 120_000,
    stallTimeoutMs: 60_000,
    verifyTimeoutMs: 30_000,
  });
  process.stderr.write(`${formatSummary(result)}\n`);
  assert.ok(result.kills >= 3, `only ${result.kills} kills`);
  assert.equal(result.records, result.expectedRecords);
}

describe(`chaos, short form (seed ${seed})`, () => {
  it(
    "embedded interpreter: exactly-once state and egress across SIGKILLs",
    { timeout: 150_000 },
    () => shortRun("embedded", "memory"),
  );
  it(
    "remote interpreter (official JS SDK): exactly-once state and egress across SIGKILLs",
    { timeout: 150_000 },
    () => shortRun("remote", "memory"),
  );
  it(
    "embedded interpreter on the disk state backend: exactly-once state and egress across SIGKILLs",
    { timeout: 150_000 },
    () => shortRun("embedded", "disk"),
  );
});
