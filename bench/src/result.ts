/**
 * The shape of a scenario's result, and how a scenario process reports it to the harness.
 */

/** One measured figure. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  /** Unit, e.g. `msg/s`, `ms`, `MB`, `x` (ratio). */
  readonly unit: string;
}

/** What a scenario reports. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly figures: readonly Figure[];
  /** Free-form notes (batch sizes, settings). */
  readonly notes: readonly string[];
}

const MARKER = "@@statefun-bench-result@@";

/** Prints a result for the harness to pick up (scenario processes call this once). */
export function report(result: ScenarioResult): void {
  process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
}

/** Extracts a result from a scenario process's output. */
export function parseReport(output: string): ScenarioResult | undefined {
  const line = output.split("\n").find((l) => l.startsWith(MARKER));
  return line === undefined ? undefined : (JSON.parse(line.slice(MARKER.length)) as ScenarioResult);
}

/** Formats a number for a table: thousands separators, at most 3 significant decimals. */
export function formatValue(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(3)).toString();
}

/** A figure's value in a result (NaN when missing). */
export function valueOf(result: ScenarioResult | undefined, figure: string): number {
  return result?.figures.find((f) => f.name === figure)?.value ?? NaN;
}

/**
 * The name of the figure holding the median over alternated runs of each run's `figure` divided
 * by that of the baseline run next to it.
 */
export function pairRatioFigure(figure: string, baseline: string): string {
  return `${figure} ÷ ${baseline}, median of pairs`;
}

/** The median of `values` (the middle one, or the mean of the middle two). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("no values to take the median of");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * One result from several runs of a scenario: each figure's median (the middle run, or the mean of
 * the middle two), the first run's notes, and a note with every run's values of `shown`.
 */
export function medianResult(
  runs: readonly ScenarioResult[],
  shown: string,
  how: string,
): ScenarioResult {
  const first = runs[0];
  if (first === undefined) throw new Error("no runs to take the median of");
  const valuesOf = (name: string): number[] =>
    runs.flatMap((run) => run.figures.filter((f) => f.name === name).map((f) => f.value));
  return {
    scenario: first.scenario,
    figures: first.figures.map((f) => ({ ...f, value: median(valuesOf(f.name)) })),
    notes: [
      ...first.notes,
      `median of ${runs.length} runs ${how}; ${shown} per run: ${valuesOf(shown).map(formatValue).join(", ")}`,
    ],
  };
}
