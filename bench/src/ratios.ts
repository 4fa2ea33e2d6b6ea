/**
 * Ratios printed after the figures, so that results compare across machines: every embedded
 * scenario's deliveries against the baselines, and named ratios between two figures of (possibly)
 * different scenarios, each with the target it is read against. A ratio is printed only when both
 * of its scenarios ran.
 */
import type { ScenarioResult } from "./result.js";
import { formatValue, pairRatioFigure } from "./result.js";

/** A figure of a scenario: `[scenario, figure name]`. */
type FigureRef = readonly [scenario: string, figure: string];

/** A ratio of two figures, or a figure that is a ratio already. */
type RatioDefinition = {
  readonly label: string;
  /** What the ratio should be, e.g. `≤ 2` (a target of issue 3); none for figures that explain. */
  readonly target?: string;
} & (
  { readonly numerator: FigureRef; readonly denominator: FigureRef } | { readonly value: FigureRef }
);

const SDKS = ["ours", "official"] as const;
const SHAPES = ["cold", "hot"] as const;
/** Figures of the `kv-stores-*` scenarios compared between stores (higher is better). */
const KV_FIGURES = ["load", "reads (sync)", "updates", "key-group scan", "full scan"] as const;

const NAMED_RATIOS: readonly RatioDefinition[] = [
  ...SDKS.flatMap((sdk) =>
    SHAPES.map((shape) => ({
      label: `floor req/s ÷ remote-${sdk}-${shape} msg/s`,
      numerator: ["http-floor", "requests/s"] as const,
      denominator: [`remote-${sdk}-${shape}`, "messages/s"] as const,
      target: "≤ 2",
    })),
  ),
  ...SHAPES.map((shape) => ({
    label: `server CPU/invocation, official ÷ ours (${shape})`,
    numerator: [`remote-official-${shape}`, "server CPU/invocation"] as const,
    denominator: [`remote-ours-${shape}`, "server CPU/invocation"] as const,
    target: "≥ 1",
  })),
  ...SHAPES.map((shape) => ({
    label: `msg/s, ours ÷ official (${shape})`,
    numerator: [`remote-ours-${shape}`, "messages/s"] as const,
    denominator: [`remote-official-${shape}`, "messages/s"] as const,
  })),
  ...SDKS.map((sdk) => ({
    label: `runtime CPU/message, cold ÷ hot (${sdk})`,
    numerator: [`remote-${sdk}-cold`, "runtime CPU/message"] as const,
    denominator: [`remote-${sdk}-hot`, "runtime CPU/message"] as const,
    target: "> 1",
  })),
  ...SDKS.map((sdk) => ({
    label: `runtime CPU/message (${sdk} cold) ÷ floor client CPU/req`,
    numerator: [`remote-${sdk}-cold`, "runtime CPU/message"] as const,
    denominator: ["http-floor", "client CPU/request"] as const,
  })),
  {
    label: "deliveries/s, checkpointing on ÷ off (median of pairs)",
    value: [
      "embedded-counter-checkpointed",
      pairRatioFigure("deliveries", "embedded-counter"),
    ] as const,
    target: "≥ 0.85",
  },
  {
    label: "CPU/delivery, checkpointing off ÷ on",
    numerator: ["embedded-counter", "CPU/delivery"] as const,
    denominator: ["embedded-counter-checkpointed", "CPU/delivery"] as const,
    target: "≥ 0.85",
  },
  ...(["ack p50", "ack p99"] as const).map((name) => ({
    label: `${name}, durable ÷ volatile`,
    numerator: ["ingress-latency", name] as const,
    denominator: ["ingress-latency-volatile", name] as const,
  })),
  ...(["ack p50", "ack p99"] as const).map((name) => ({
    label: `${name}, durable ÷ disk floor`,
    numerator: ["ingress-latency", name] as const,
    denominator: ["ingress-latency-floor", name] as const,
  })),
  // The disk state backend against its store alone: LMDB's bulk load inserts new keys of the same
  // shape, spread over the key groups, in commits of 10,000, timed in the store only.
  {
    label: "new-address writes/s, disk-state ÷ LMDB's bulk load",
    numerator: ["disk-state", "writes"] as const,
    denominator: ["kv-stores-lmdb", "load"] as const,
  },
  {
    label: "CPU per new-address write, disk-state ÷ LMDB's bulk load",
    numerator: ["disk-state", "writes, CPU per update"] as const,
    denominator: ["kv-stores-lmdb", "load CPU/op"] as const,
  },
  // Disk state backend candidates (issue 5): lmdb against each other store, figure by figure.
  ...(["lmdb-writemap", "classic-level", "classic-level-tuned", "better-sqlite3"] as const).flatMap(
    (other) =>
      KV_FIGURES.map((name) => ({
        label: `${name}, lmdb ÷ ${other}`,
        numerator: ["kv-stores-lmdb", name] as const,
        denominator: [`kv-stores-${other}`, name] as const,
      })),
  ),
];

function figure(results: readonly ScenarioResult[], [scenario, name]: FigureRef) {
  return results.find((r) => r.scenario === scenario)?.figures.find((f) => f.name === name)?.value;
}

function divide(numerator: number | undefined, denominator: number | undefined) {
  return numerator === undefined || denominator === undefined ? undefined : numerator / denominator;
}

/** Every scenario's `deliveries` divided by each figure of the `baseline` scenario. */
function baselineRatios(results: readonly ScenarioResult[]): string[] {
  const baseline = results.find((r) => r.scenario === "baseline");
  if (baseline === undefined) return [];
  const lines: string[] = [];
  for (const result of results) {
    const deliveries = result.figures.find((f) => f.name === "deliveries");
    if (deliveries === undefined) continue;
    for (const base of baseline.figures) {
      lines.push(
        `${result.scenario} deliveries ÷ baseline ${base.name}: ${formatValue(deliveries.value / base.value)}x`,
      );
    }
  }
  return lines;
}

/** The ratio lines for the results of one run (empty when no ratio applies). */
export function ratioLines(results: readonly ScenarioResult[]): string[] {
  const lines = baselineRatios(results);
  for (const ratio of NAMED_RATIOS) {
    const ratioValue =
      "value" in ratio
        ? figure(results, ratio.value)
        : divide(figure(results, ratio.numerator), figure(results, ratio.denominator));
    if (ratioValue === undefined) continue;
    const value = `${formatValue(ratioValue)}x`.padStart(8);
    const target = ratio.target === undefined ? "" : `   target ${ratio.target}`;
    lines.push(`${ratio.label.padEnd(60)} ${value}${target}`);
  }
  return lines;
}
