/**
 * `npm run bench [-- <scenario-prefix>... [--long]]`: runs benchmark scenarios, each in its own
 * Node.js process (remote scenarios start their HTTP server in one more), prints the machine
 * description, a table of figures and ratios against the baselines measured in the same run, and
 * writes everything to bench/results/latest.json.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { executableNodeArgs } from "./executable.js";
import { describeMachine } from "./machine.js";
import type { ScenarioResult } from "./result.js";
import { ratioLines } from "./ratios.js";
import {
  formatValue,
  median,
  medianResult,
  pairRatioFigure,
  parseReport,
  valueOf,
} from "./result.js";

interface ScenarioDefinition {
  readonly name: string;
  readonly module: string;
  readonly args: readonly string[];
  readonly longArgs: readonly string[];
  readonly description: string;
  /** The scenario whose figures this one's ratios are computed against; run first. */
  readonly baseline: string;
  /** Options of the scenario's Node.js process, before the script (e.g. a heap limit). */
  readonly nodeArgs?: readonly string[];
  /**
   * Runs this many times, alternating with its baseline, and reports the median of each figure
   * for both: on a shared machine one pair's spread can exceed the difference it measures.
   */
  readonly alternations?: number;
  /** The figure whose value in every run the notes list, when alternating. */
  readonly mainFigure?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** A figure some scenarios report: CPU used by other processes of the machine while measuring. */
const OTHER_CPU_FIGURE = "other processes' CPU";
const NOISY_OTHER_CPU_CORES = 0.25;

const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: "baseline",
    module: "scenarios/baseline.js",
    args: [],
    longArgs: ["--messages", "20000000"],
    description: "floor (plain Map + FIFO) and the SDK's batch engine without the runtime",
    baseline: "baseline",
  },
  {
    name: "embedded-counter",
    module: "scenarios/embedded-counter.js",
    args: [],
    longArgs: ["--duration-ms", "30000"],
    description: "counter over 10,000 addresses fed from outside, default backlog bound",
    baseline: "baseline",
  },
  {
    name: "embedded-counter-small-batches",
    module: "scenarios/embedded-counter.js",
    args: ["--max-backlog", "10000"],
    longArgs: ["--max-backlog", "10000", "--duration-ms", "30000"],
    description:
      "counter over 10,000 addresses with a backlog bound of 10,000 (≈1 message per batch)",
    baseline: "baseline",
  },
  {
    name: "embedded-counter-checkpointed",
    module: "scenarios/embedded-counter.js",
    args: ["--checkpoint-interval-ms", "1000"],
    longArgs: ["--checkpoint-interval-ms", "1000", "--duration-ms", "30000"],
    description:
      "counter over 10,000 addresses, default backlog bound, checkpoints every 1 s to a local directory",
    baseline: "embedded-counter",
    alternations: 9,
    mainFigure: "deliveries",
  },
  {
    name: "embedded-ring",
    module: "scenarios/embedded-ring.js",
    args: [],
    longArgs: ["--hops", "20000"],
    description: "function-to-function ring over 10,000 addresses, 1,000 tokens",
    baseline: "baseline",
  },
  {
    name: "self-loop",
    module: "scenarios/self-loop.js",
    args: [],
    longArgs: ["--duration-ms", "300000"],
    description: "4 self-messaging loops; heap sampled every second after GC",
    baseline: "baseline",
  },
  {
    name: "http-floor",
    module: "scenarios/http-floor.js",
    args: [],
    longArgs: ["--duration-ms", "30000", "--serial-duration-ms", "10000"],
    description: "one HTTP round trip (undici → node:http in another process), 64 in flight and 1",
    baseline: "http-floor",
  },
  ...(["ours", "official"] as const).flatMap((sdk) => [
    {
      name: `remote-${sdk}-cold`,
      module: "scenarios/remote.js",
      args: ["--sdk", sdk, "--shape", "cold"],
      longArgs: ["--sdk", sdk, "--shape", "cold", "--duration-ms", "30000"],
      description: `remote counter (${sdk === "ours" ? "our SDK" : "official SDK"}, own process), 1,000 addresses, 64 in flight`,
      baseline: "http-floor",
    },
    {
      name: `remote-${sdk}-hot`,
      module: "scenarios/remote.js",
      args: ["--sdk", sdk, "--shape", "hot"],
      longArgs: ["--sdk", sdk, "--shape", "hot", "--duration-ms", "30000"],
      description: `remote counter (${sdk === "ours" ? "our SDK" : "official SDK"}, own process), 64 addresses, 6,400 in flight`,
      baseline: "http-floor",
    },
  ]),
  {
    name: "ingress-latency-floor",
    module: "scenarios/ingress-latency-floor.js",
    args: [],
    longArgs: ["--duration-ms", "60000"],
    description:
      "the same load acknowledged by bare synchronized appends to the disk: what the disk allows durable acknowledgements",
    baseline: "ingress-latency-floor",
  },
  {
    name: "ingress-latency-volatile",
    module: "scenarios/ingress-latency.js",
    args: ["--checkpointing", "off"],
    longArgs: ["--checkpointing", "off", "--duration-ms", "60000"],
    description:
      "the same load on `statefun run --no-checkpointing`: what the machine does without durability",
    baseline: "ingress-latency",
    // Tail latencies swing from run to run on a shared machine: three alternating pairs.
    alternations: 3,
    mainFigure: "ack p99",
  },
  {
    name: "ingress-latency",
    module: "scenarios/ingress-latency.js",
    args: [],
    longArgs: ["--duration-ms", "60000"],
    description:
      "greeter under `statefun run`, durable PUTs with Idempotency-Key at 1,000 req/s (open loop), greetings drained",
    baseline: "ingress-latency",
  },
  {
    name: "recovery",
    module: "scenarios/recovery.js",
    // The young generation the `statefun` executable runs with.
    nodeArgs: executableNodeArgs(),
    args: [],
    longArgs: ["--addresses", "3000000"],
    description:
      "restore of 1,000,000 counters (memory backend) from a local checkpoint (3,000,000 long)",
    baseline: "recovery",
  },
  {
    name: "disk-state",
    module: "scenarios/disk-state.js",
    nodeArgs: ["--max-old-space-size=512", ...executableNodeArgs()],
    args: ["--addresses", "1000000"],
    longArgs: ["--addresses", "10000000"],
    description:
      "disk backend under a 512 MB heap: 100-byte values of 1,000,000 addresses (10,000,000 long)",
    // LMDB on its own taking the same new keys: what the store allows, on this run's machine.
    baseline: "kv-stores-lmdb",
  },
  ...(
    ["lmdb", "lmdb-writemap", "classic-level", "classic-level-tuned", "better-sqlite3"] as const
  ).map((store) => ({
    name: `kv-stores-${store}`,
    module: "scenarios/kv-stores.js",
    args: ["--store", store],
    longArgs: ["--store", store, "--keys", "10000000", "--duration-ms", "10000"],
    description: `${store} (embedded key-value store): the disk state backend's workload, 1M keys (10M long)`,
    baseline: "kv-stores-lmdb",
  })),
];

// Scenario processes never outlive the harness: they are killed when it exits or is interrupted
// (a scenario's own server child then exits as its IPC channel closes).
const running = new Set<ChildProcess>();
const killRunning = (): void => {
  for (const child of running) child.kill("SIGKILL");
};
process.on("exit", killRunning);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killRunning();
    process.exit(1);
  });
}

function runScenario(definition: ScenarioDefinition, long: boolean): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        ...(definition.nodeArgs ?? []),
        join(here, definition.module),
        ...(long ? definition.longArgs : definition.args),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    running.add(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      running.delete(child);
      const result = parseReport(output);
      if (code !== 0 || result === undefined) {
        reject(new Error(`scenario ${definition.name} failed (exit ${code}):\n${output}`));
      } else {
        resolve({ ...result, scenario: definition.name });
      }
    });
  });
}

function printResult(name: string, result: ScenarioResult): void {
  for (const figure of result.figures) {
    console.log(
      `${name.padEnd(32)} ${figure.name.padEnd(22)} ${formatValue(figure.value).padStart(14)} ${figure.unit}`,
    );
  }
  for (const note of result.notes) console.log(`${"".padEnd(32)} (${note})`);
  const other = result.figures.find((f) => f.name === OTHER_CPU_FIGURE);
  if (other !== undefined && other.value > NOISY_OTHER_CPU_CORES) {
    console.log(
      `${"".padEnd(32)} (warning: other processes used ${formatValue(other.value)} cores meanwhile; these figures are noise)`,
    );
  }
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log("usage: npm run bench -- [scenario-prefix...] [--long]\n\nscenarios:");
    for (const s of SCENARIOS) console.log(`  ${s.name.padEnd(32)} ${s.description}`);
    return;
  }
  const long = argv.includes("--long");
  const filters = argv.filter((a) => !a.startsWith("--"));
  const chosen = SCENARIOS.filter(
    (s) => filters.length === 0 || filters.some((f) => s.name.startsWith(f)),
  );
  // The baselines of the chosen scenarios run first, whether chosen or not.
  const baselines = new Set(chosen.map((s) => s.baseline));
  const selected = [
    ...SCENARIOS.filter((s) => baselines.has(s.name)),
    ...chosen.filter((s) => !baselines.has(s.name)),
  ];
  const machine = describeMachine();
  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}`,
  );
  const results: ScenarioResult[] = [];
  for (const definition of selected) {
    process.stderr.write(`running ${definition.name}: ${definition.description}\n`);
    let result = await runScenario(definition, long);
    const baseline = SCENARIOS.find((s) => s.name === definition.baseline);
    const baseIndex = results.findIndex((r) => r.scenario === definition.baseline);
    const rounds = definition.alternations ?? 1;
    if (rounds > 1 && baseline !== undefined && baseIndex !== -1) {
      const shown = definition.mainFigure ?? result.figures[0]?.name ?? "";
      const baseRuns = [results[baseIndex] as ScenarioResult];
      const runs = [result];
      for (let round = 2; round <= rounds; round++) {
        process.stderr.write(
          `running ${baseline.name} and ${definition.name} again (${round} of ${rounds})\n`,
        );
        baseRuns.push(await runScenario(baseline, long));
        runs.push(await runScenario(definition, long));
      }
      const baseMedian = medianResult(baseRuns, shown, `alternating with ${definition.name}`);
      results[baseIndex] = baseMedian;
      printResult(baseline.name, baseMedian);
      result = medianResult(runs, shown, `alternating with ${baseline.name}`);
      // Each pair ran back to back: the median of their ratios follows the machine's drift less
      // than the ratio of the two medians.
      const ratios = runs.map((run, i) => valueOf(run, shown) / valueOf(baseRuns[i], shown));
      result = {
        ...result,
        figures: [
          ...result.figures,
          { name: pairRatioFigure(shown, baseline.name), value: median(ratios), unit: "x" },
        ],
        notes: [
          ...result.notes,
          `${shown} ÷ ${baseline.name} per pair: ${ratios.map(formatValue).join(", ")}`,
        ],
      };
    }
    results.push(result);
    printResult(definition.name, result);
  }
  const lines = ratioLines(results);
  if (lines.length > 0) {
    console.log("\nratios:");
    for (const line of lines) console.log(`  ${line}`);
  }
  const out = join(here, "..", "..", "results", "latest.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify({ machine, long, results, at: new Date().toISOString() }, null, 2),
  );
  console.log(`\nwritten to ${out}`);
}

await main(process.argv.slice(2));
