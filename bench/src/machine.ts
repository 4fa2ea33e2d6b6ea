/**
 * A description of the machine a benchmark ran on, printed with every result so that figures
 * from different machines are never compared blindly.
 */
import { cpus, freemem, platform, release, totalmem } from "node:os";
import { availableParallelism } from "node:os";

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
