/**
 * Latency samples and their percentiles (nearest-rank), in ms.
 */
import type { Figure } from "./result.js";

/** Collects latency samples in a growable typed array (no per-sample allocation). */
export class LatencySamples {
  private values = new Float64Array(1 << 16);
  private length = 0;

  /** Number of samples. */
  get count(): number {
    return this.length;
  }

  /** Adds one sample, in ms. */
  add(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
  }

  /** The share of samples of at most `ms`, in percent; NaN when empty. */
  shareAtMost(ms: number): number {
    if (this.length === 0) return NaN;
    let within = 0;
    for (let i = 0; i < this.length; i++) if ((this.values[i] as number) <= ms) within++;
    return (100 * within) / this.length;
  }

  /** The p-th percentile (0 < p ≤ 100), nearest rank; NaN when empty. */
  percentiles(...ps: readonly number[]): number[] {
    const sorted = this.values.slice(0, this.length).sort();
    return ps.map((p) =>
      sorted.length === 0
        ? NaN
        : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN),
    );
  }
}

/** CPU time (user + system) of this process, in µs, since an arbitrary origin. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The figures of `samples`, named after `what` (`ack p50`, ...): p50, p90, p99, p99.9 and max. */
export function latencyFigures(what: string, samples: LatencySamples): Figure[] {
  const names = ["p50", "p90", "p99", "p99.9", "max"];
  return samples
    .percentiles(50, 90, 99, 99.9, 100)
    .map((value, i) => ({ name: `${what} ${names[i] as string}`, value, unit: "ms" }));
}
