/**
 * Checkpointing options in the spirit of Flink's `execution.checkpointing.*`: what users may set
 * (all optional but the storage), and the pure `resolveCheckpointingOptions` that fills in
 * defaults, reads `STATEFUN_CHECKPOINT_*` variables and validates.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { parseDuration } from "../config/module/duration.js";
import type { CheckpointStorage } from "./storage.js";
import { DEFAULT_LEASE_TTL_MS } from "./writer-lease.js";

/** The guarantee checkpoints give. */
export type CheckpointMode = "exactly-once" | "at-least-once";

/** Checkpointing options. */
export interface CheckpointingOptions {
  /** Where checkpoint files go. */
  readonly storage: CheckpointStorage;
  /** Time between checkpoints, in ms. Default: 1000; env `STATEFUN_CHECKPOINT_INTERVAL` (a duration). */
  readonly intervalMs?: number;
  /**
   * Least time between the end of a checkpoint and the start of the next, in ms, also for
   * checkpoints that something waits for. Default: 0; env `STATEFUN_CHECKPOINT_MIN_PAUSE`.
   */
  readonly minPauseMs?: number;
  /** A checkpoint not written within this time is abandoned, in ms. Default: 600000 (10 min); env `STATEFUN_CHECKPOINT_TIMEOUT`. */
  readonly timeoutMs?: number;
  /** Complete checkpoints kept (with the files they build on). Default: 3; env `STATEFUN_CHECKPOINTS_RETAINED`. */
  readonly retained?: number;
  /**
   * `exactly-once` (default): egress records are released when the checkpoint that produced them
   * completes. `at-least-once`: released at once, so a recovery may emit them again. Ingress
   * acknowledgements wait for a checkpoint in both modes. Env `STATEFUN_CHECKPOINT_MODE`.
   */
  readonly mode?: CheckpointMode;
  /**
   * A new full base is written (in the background, from the files) when the state that later
   * records superseded in the chain (the incremental files since the last base, less the records
   * of addresses new since it) reaches this fraction of the live state, bounding what a restore
   * reads to about (1 + ratio) × the live state. State that only grows (new addresses) calls for
   * no base: the merges of incremental files keep the chain short. Default: 1.
   */
  readonly compactionRatio?: number;
  /** Superseded bytes below which no new base is written, in bytes. Default: 4 MiB. */
  readonly compactionMinBytes?: number;
  /**
   * Time to live of the runtime's lease on the storage, in ms (see `writer-lease.ts`): a second
   * runtime on the same storage is refused while the lease lives, and takes it over once it has
   * not been renewed for this long (at once when its holder's process is gone from the same
   * host). 0 takes no lease. Default: 30000; env `STATEFUN_CHECKPOINT_LEASE_TTL` (a duration).
   */
  readonly leaseTtlMs?: number;
}

/** Options with every field set. */
export interface ResolvedCheckpointingOptions {
  readonly storage: CheckpointStorage;
  readonly intervalMs: number;
  readonly minPauseMs: number;
  readonly timeoutMs: number;
  readonly retained: number;
  readonly mode: CheckpointMode;
  readonly compactionRatio: number;
  readonly compactionMinBytes: number;
  readonly leaseTtlMs: number;
}

function invalid(name: string, expected: string, found: unknown): StatefunError {
  return new StatefunError(
    "invalid-config",
    `checkpointing option ${name}: expected ${expected}, found ${JSON.stringify(found)}`,
    { details: { option: name, expected, found } },
  );
}

function durationFrom(
  env: Readonly<Record<string, string | undefined>>,
  key: string,
): number | undefined {
  const text = env[key];
  if (text === undefined || text === "") return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw invalid(key, 'a duration such as "1s" or "500ms"', text);
  }
}

function integer(name: string, value: number, min: number, max?: number): number {
  if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
    throw invalid(
      name,
      max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
      value,
    );
  }
  return value;
}

/** The longest lease time to live, in ms: what a Node timer holds (about 24.8 days). */
export const MAX_LEASE_TTL_MS = 2 ** 31 - 1;

/**
 * Fills in defaults, applies `STATEFUN_CHECKPOINT_*` variables (explicit options win), validates.
 *
 * @throws StatefunError `invalid-config` naming the option or variable, what was expected and found.
 */
export function resolveCheckpointingOptions(
  options: CheckpointingOptions,
  env: Readonly<Record<string, string | undefined>> = {},
): ResolvedCheckpointingOptions {
  const retainedText = env.STATEFUN_CHECKPOINTS_RETAINED;
  const modeText = env.STATEFUN_CHECKPOINT_MODE;
  const mode =
    options.mode ?? (modeText === undefined || modeText === "" ? "exactly-once" : modeText);
  if (mode !== "exactly-once" && mode !== "at-least-once") {
    throw invalid(
      options.mode === undefined ? "STATEFUN_CHECKPOINT_MODE" : "mode",
      '"exactly-once" or "at-least-once"',
      mode,
    );
  }
  const ratio = options.compactionRatio ?? 1;
  if (!(ratio > 0)) throw invalid("compactionRatio", "a number > 0", ratio);
  return {
    storage: options.storage,
    intervalMs: integer(
      "intervalMs",
      options.intervalMs ?? durationFrom(env, "STATEFUN_CHECKPOINT_INTERVAL") ?? 1000,
      1,
    ),
    minPauseMs: integer(
      "minPauseMs",
      options.minPauseMs ?? durationFrom(env, "STATEFUN_CHECKPOINT_MIN_PAUSE") ?? 0,
      0,
    ),
    timeoutMs: integer(
      "timeoutMs",
      options.timeoutMs ?? durationFrom(env, "STATEFUN_CHECKPOINT_TIMEOUT") ?? 600_000,
      1,
    ),
    retained: integer(
      "retained",
      options.retained ??
        (retainedText === undefined || retainedText === "" ? 3 : Number(retainedText)),
      1,
    ),
    mode,
    compactionRatio: ratio,
    compactionMinBytes: integer(
      "compactionMinBytes",
      options.compactionMinBytes ?? 4 * 1024 * 1024,
      0,
    ),
    leaseTtlMs: integer(
      "leaseTtlMs",
      options.leaseTtlMs ??
        durationFrom(env, "STATEFUN_CHECKPOINT_LEASE_TTL") ??
        DEFAULT_LEASE_TTL_MS,
      0,
      MAX_LEASE_TTL_MS,
    ),
  };
}
