/**
 * `npm run chaos`: the chaos test from the command line. Without `--long` it runs the CI form
 * (200 commands over 24 ids, at least 3 kills); with `--long`, 20,000 commands over 128 ids and
 * at least 20 kills, per variant. Flags override either: `--seed <n>` (reproduces a workload),
 * `--commands <n>`, `--ids <n>`, `--kills <n>` (at least), `--max-kills <n>` (then no more
 * chaos: useful to reduce a failure), `--inflight <n>`, `--variant
 * embedded|remote|both` (default both), `--state-backend memory|disk|both` (default both; every
 * variant runs on every backend), `--log-level <level>` (the runtime's, default warn).
 * Progress goes to stderr, summaries to stdout; exit code 0 when every run passed, 1 otherwise.
 */
import { parseArgs } from "node:util";
import { randomSeed } from "./generator.js";
import { killAll } from "./processes.js";
import type { ChaosBackend, ChaosOptions, ChaosVariant } from "./scenario.js";
import { ChaosFailure, runChaos } from "./scenario.js";
import { formatProgress, formatSummary } from "./summary.js";

const USAGE =
  "usage: node run.js [--long] [--seed n] [--commands n] [--ids n] [--kills n] [--max-kills n] " +
  "[--inflight n] [--variant embedded|remote|both] [--state-backend memory|disk|both] " +
  "[--log-level level]";

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`--${name}: expected a whole number, found ${JSON.stringify(text)}\n${USAGE}`);
  }
  return value;
}

function parse(argv: readonly string[]): {
  variants: ChaosVariant[];
  backends: ChaosBackend[];
  options: ChaosOptions;
} {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      long: { type: "boolean", default: false },
      seed: { type: "string" },
      commands: { type: "string" },
      ids: { type: "string" },
      kills: { type: "string" },
      "max-kills": { type: "string" },
      inflight: { type: "string" },
      variant: { type: "string", default: "both" },
      "state-backend": { type: "string", default: "both" },
      "log-level": { type: "string", default: "warn" },
    },
  });
  const long = values.long;
  const variant = values.variant;
  if (variant !== "embedded" && variant !== "remote" && variant !== "both") {
    throw new Error(`--variant: expected embedded, remote or both, found ${variant}\n${USAGE}`);
  }
  const backend = values["state-backend"];
  if (backend !== "memory" && backend !== "disk" && backend !== "both") {
    throw new Error(`--state-backend: expected memory, disk or both, found ${backend}\n${USAGE}`);
  }
  const commands = positive("commands", values.commands, long ? 20_000 : 200);
  const minKills = positive("kills", values.kills, long ? 20 : 3);
  return {
    variants: variant === "both" ? ["embedded", "remote"] : [variant],
    backends: backend === "both" ? ["memory", "disk"] : [backend],
    options: {
      variant: "embedded",
      seed: positive("seed", values.seed, randomSeed()),
      commands,
      ids: positive("ids", values.ids, long ? 128 : 24),
      minKills,
      ...(values["max-kills"] === undefined
        ? {}
        : { maxKills: positive("max-kills", values["max-kills"], 0) }),
      // The long form lets each incarnation serve longer: restarts get slower as state grows.
      killAfterMs: long ? [2000, 10_000] : [300, 1500],
      inflight: positive("inflight", values.inflight, long ? 8 : 4),
      checkpointInterval: "100ms",
      logLevel: values["log-level"],
      // A hard cap only: a stuck run is caught by the stall watchdog (120 s without progress).
      timeoutMs: 600_000 + commands * 250 + minKills * 10_000,
      verifyTimeoutMs: 60_000 + minKills * 5_000,
    },
  };
}

async function main(): Promise<number> {
  const { variants, backends, options } = parse(process.argv.slice(2));
  let failures = 0;
  for (const [variant, stateBackend] of variants.flatMap((v) =>
    backends.map((b) => [v, b] as const),
  )) {
    const label = `${variant}/${stateBackend}`;
    process.stderr.write(
      `[chaos] ${label}: seed ${options.seed}, ${options.commands} commands over ${options.ids} ids, ` +
        `at least ${options.minKills} kills\n`,
    );
    try {
      const result = await runChaos({
        ...options,
        variant,
        stateBackend,
        onProgress: (progress) =>
          process.stderr.write(`${formatProgress(label, progress, options.commands)}\n`),
      });
      process.stdout.write(`${formatSummary(result)}\n`);
    } catch (error) {
      failures++;
      const text = error instanceof ChaosFailure ? error.message : String(error);
      process.stderr.write(`${text}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
