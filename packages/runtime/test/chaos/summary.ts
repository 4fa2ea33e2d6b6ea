/**
 * Human-readable lines about a chaos run: progress while it runs (on stderr) and the summary of
 * a passed run.
 */
import type { ChaosProgress, ChaosResult } from "./scenario.js";

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** One progress line. */
export function formatProgress(label: string, progress: ChaosProgress, commands: number): string {
  return (
    `[chaos ${label} ${seconds(progress.elapsedMs)}] ${progress.phase}: ` +
    `${progress.acked}/${commands} commands acknowledged (${progress.retries} retries), ` +
    `${progress.kills} kills (${progress.earlyKills} while recovering), ${progress.records}/${progress.expectedRecords} egress records` +
    (progress.round >= 0
      ? `, verification round ${progress.round} (${progress.matchedIds} ids matched)`
      : "")
  );
}

/** The summary of a passed run. */
export function formatSummary(result: ChaosResult): string {
  const { workload: w } = result;
  return [
    `chaos PASSED: variant ${result.variant} on the ${result.stateBackend} backend, seed ${result.seed}, ${result.commands} commands ` +
      `over ${result.ids} ids, ${result.kills} kills (SIGKILL + restart; ${result.earlyKills} ` +
      `while recovering)`,
    `  workload: ${w.inc} inc, ${w.send} send, ${w.after} after, ${w.cancelled} after+cancel, ` +
      `${w.egress} egress, ${w.noop} noop; ${result.expectedIncrements} increments expected`,
    `  observed: every id at its expected count after ${result.round + 1} verification round(s); ` +
      `${result.records}/${result.expectedRecords} egress records, each exactly once ` +
      `(${result.repeats} served again after a crash, skipped by sequence number); ` +
      `${result.retries} ingress retries`,
    `  time: send ${seconds(result.sendMs)}, verify ${seconds(result.verifyMs)}, ` +
      `drain ${seconds(result.drainMs)}, stop ${seconds(result.stopMs)} (SIGTERM, exit 0), ` +
      `total ${seconds(result.totalMs)}; ` +
      `restart to serving: median ${median(result.startupsMs)} ms, ` +
      `max ${Math.max(0, ...result.startupsMs)} ms`,
  ].join("\n");
}
