/**
 * Scenario: the floor under durable acknowledgements on this machine's disk. The same open-loop
 * load as `ingress-latency` (1,000 requests/s by default), each request acknowledged by the first
 * synchronized append that starts after it arrives, as group commit does. Nothing else runs: no
 * HTTP, no runtime, no checkpoint to build, one append of the size of a small checkpoint per
 * round, written as the local checkpoint storage writes its log (`O_DSYNC`, in the directory
 * where `ingress-latency` keeps its state). A durable runtime can only add to these latencies, so
 * `ingress-latency`'s figures read against them tell the runtime's share from the disk's.
 */
import { constants, mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatencySamples, latencyFigures } from "../latency.js";
import { openLoop } from "../open-loop.js";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg } from "./args.js";

const rate = numberArg("rate", 1_000);
const durationMs = numberArg("duration-ms", 10_000);
const warmupMs = numberArg("warmup-ms", 2_000);
/** Bytes of each append: about what `ingress-latency` reports as its checkpoints' size. */
const appendBytes = numberArg("bytes", 3_000);
const scenario = "ingress-latency-floor";

const dir = mkdtempSync(join(tmpdir(), "statefun-bench-floor-"));
const handle = await open(
  join(dir, "log"),
  constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC,
);
const append = new Uint8Array(appendBytes).fill(1);
const acknowledgements = new LatencySamples();
const appends = new LatencySamples();
let position = 0;
let measuring = false;
/** Requests waiting for the next append. */
let waiting: { readonly dueAt: number; readonly acknowledge: () => void }[] = [];
let appending: Promise<void> | undefined;

/** Appends rounds while requests wait: each round takes every request waiting when it starts. */
async function appendRounds(): Promise<void> {
  while (waiting.length > 0) {
    const round = waiting;
    waiting = [];
    const started = performance.now();
    const { bytesWritten } = await handle.write(append, 0, append.length, position);
    if (bytesWritten !== append.length) throw new Error(`short write: ${bytesWritten} bytes`);
    position += bytesWritten;
    const now = performance.now();
    if (measuring) appends.add(now - started);
    for (const { dueAt, acknowledge } of round) {
      if (measuring) acknowledgements.add(now - dueAt);
      acknowledge();
    }
  }
}

/** One request: resolves once the append that starts after it arrives is on disk. */
function request(dueAt: number): Promise<void> {
  return new Promise<void>((acknowledge) => {
    waiting.push({ dueAt, acknowledge });
    appending ??= appendRounds().finally(() => {
      appending = undefined;
    });
  });
}

progress(scenario, `warming up ${warmupMs} ms at ${rate} req/s`);
await openLoop(rate, warmupMs, request);
measuring = true;
progress(scenario, `measuring ${durationMs} ms at ${rate} req/s`);
const achieved = await openLoop(rate, durationMs, request);
measuring = false;
await handle.close();
rmSync(dir, { recursive: true, force: true });

report({
  scenario,
  figures: [
    { name: "requests/s", value: achieved, unit: "req/s" },
    ...latencyFigures("ack", acknowledgements),
    ...[5, 25].map((ms) => ({
      name: `acks within ${ms} ms`,
      value: acknowledgements.shareAtMost(ms),
      unit: "%",
    })),
    { name: "appends/s", value: appends.count / (durationMs / 1000), unit: "1/s" },
    ...latencyFigures("append", appends),
  ],
  notes: [
    `${acknowledgements.count} requests, open loop at ${rate} req/s, each acknowledged by the next synchronized append`,
    `${appendBytes}-byte appends with O_DSYNC in ${tmpdir()}, one at a time, back to back while requests wait`,
  ],
});
