/**
 * `npm run bench [-- <scenario-prefix>... [--long]]`: runs benchmark scenarios, each in its own
 * Node.js process, prints the machine description, a table of figures and ratios against the
 * baselines measured in the same run, and writes everything to bench/results/latest.json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeMachine } from "./machine.js";
import type { ScenarioResult } from "./result.js";
import { formatValue, parseReport } from "./result.js";

interface ScenarioDefinition {
  readonly name: string;
  readonly module: string;
  readonly args: readonly string[];
  readonly longArgs: readonly string[];
  readonly description: string;
}

const here = dirname(fileURLToPath(import.meta.url));

const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: "baseline",
    module: "scenarios/baseline.js",
    args: [],
    longArgs: ["--messages", "20000000"],
    description: "floor (plain Map + FIFO) and the SDK's batch engine without the runtime",
  },
  {
    name: "embedded-counter",
    module: "scenarios/embedded-counter.js",
    args: [],
    longArgs: ["--duration-ms", "30000"],
    description: "counter over 10,000 addresses fed from outside, default backlog bound",
  },
  {
    name: "embedded-counter-small-batches",
    module: "scenarios/embedded-counter.js",
    args: ["--max-backlog", "10000"],
    longArgs: ["--max-backlog", "10000", "--duration-ms", "30000"],
    description:
      "counter over 10,000 addresses with a backlog bound of 10,000 (≈1 message per batch)",
  },
  {
    name: "embedded-ring",
    module: "scenarios/embedded-ring.js",
    args: [],
    longArgs: ["--hops", "20000"],
    description: "function-to-function ring over 10,000 addresses, 1,000 tokens",
  },
  {
    name: "self-loop",
    module: "scenarios/self-loop.js",
    args: [],
    longArgs: ["--duration-ms", "300000"],
    description: "4 self-messaging loops; heap sampled every second after GC",
  },
];

function runScenario(definition: ScenarioDefinition, long: boolean): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        join(here, definition.module),
        ...(long ? definition.longArgs : definition.args),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const result = parseReport(output);
      if (code !== 0 || result === undefined) {
        reject(new Error(`scenario ${definition.name} failed (exit ${code}):\n${output}`));
      } else {
        resolve({ ...result, scenario: definition.name });
      }
    });
  });
}

function ratios(results: readonly ScenarioResult[]): string[] {
  const baseline = results.find((r) => r.scenario === "baseline");
  if (baseline === undefined) return [];
  const lines: string[] = [];
  for (const result of results) {
    const deliveries = result.figures.find((f) => f.name === "deliveries");
    if (deliveries === undefined) continue;
    for (const base of baseline.figures) {
      lines.push(
        `${result.scenario} / ${base.name}: ${formatValue(deliveries.value / base.value)}x`,
      );
    }
  }
  return lines;
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log("usage: npm run bench -- [scenario-prefix...] [--long]\n\nscenarios:");
    for (const s of SCENARIOS) console.log(`  ${s.name.padEnd(32)} ${s.description}`);
    return;
  }
  const long = argv.includes("--long");
  const filters = argv.filter((a) => !a.startsWith("--"));
  const selected = SCENARIOS.filter(
    (s) => filters.length === 0 || filters.some((f) => s.name.startsWith(f)),
  );
  if (!selected.some((s) => s.name === "baseline") && selected.length > 0) {
    selected.unshift(SCENARIOS[0] as ScenarioDefinition);
  }
  const machine = describeMachine();
  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}`,
  );
  const results: ScenarioResult[] = [];
  for (const definition of selected) {
    process.stderr.write(`running ${definition.name}: ${definition.description}\n`);
    const result = await runScenario(definition, long);
    results.push(result);
    for (const figure of result.figures) {
      console.log(
        `${definition.name.padEnd(32)} ${figure.name.padEnd(22)} ${formatValue(figure.value).padStart(14)} ${figure.unit}`,
      );
    }
    for (const note of result.notes) console.log(`${"".padEnd(32)} (${note})`);
  }
  const ratioLines = ratios(results);
  if (ratioLines.length > 0) {
    console.log("\nratios (deliveries / baseline):");
    for (const line of ratioLines) console.log(`  ${line}`);
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
