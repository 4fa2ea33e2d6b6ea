/**
 * A description of the machine a benchmark ran on, printed with every result so that figures
 * from different machines are never compared blindly.
 */
import { cpus, freemem, platform, release, totalmem } from "node:os";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";

/** Facts about the machine and the Node.js process. */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
}

/** Describes this machine. */
export function describeMachine(): MachineDescription {
  const gib = 1024 ** 3;
  return {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / gib) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / gib) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

/**
 * CPU time all processes of the machine spent busy (user, nice, system, irq, softirq, steal), in
 * µs since boot, from /proc/stat; undefined where there is no /proc/stat. With a scenario's own
 * CPU time it tells how much other work ran meanwhile (figures from a busy machine are noise).
 */
export function machineBusyMicros(): number | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const fields = (text.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  // /proc/stat counts in USER_HZ ticks, 100 per second on Linux.
  return (user + nice + system + irq + softirq + steal) * 10_000;
}

/**
 * The cores other processes kept busy over `seconds`, from the machine's busy CPU time meanwhile
 * (the difference of two {@link machineBusyMicros} readings; NaN without /proc/stat) and the CPU
 * time the scenario's own processes took, both in µs. /proc/stat counts whole ticks of 10 ms,
 * a process's own time is counted to the µs: on an otherwise idle machine the difference can come
 * out a little below zero, and is then 0.
 */
export function otherProcessesCores(
  busyMicros: number,
  ownMicros: number,
  seconds: number,
): number {
  return Math.max(0, busyMicros - ownMicros) / 1e6 / seconds;
}
