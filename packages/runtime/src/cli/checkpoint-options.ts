/**
 * The checkpointing options of `statefun run` (in the spirit of Flink's
 * `execution.checkpointing.*`): their flags and `STATEFUN_*` variables, their defaults, and the
 * part of the options pipeline that validates them. Checkpointing is on by default, into the
 * state directory: durable by default, no database required.
 */
import type { CheckpointMode } from "../checkpoint/options.js";
import type { ObjectLocation, StorageLocation } from "../admin/storage-location.js";
import {
  STORAGE_LOCATION_EXPECTED,
  parseObjectLocation,
  parseStorageLocation,
} from "../admin/storage-location.js";
import type { Env, Problems } from "./option-values.js";
import { fromEnv, pick } from "./option-values.js";

/** The environment variables of the checkpointing options, by option. */
export const CHECKPOINT_ENV = {
  checkpointing: "STATEFUN_CHECKPOINTING",
  checkpointInterval: "STATEFUN_CHECKPOINT_INTERVAL",
  checkpointMinPause: "STATEFUN_CHECKPOINT_MIN_PAUSE",
  checkpointTimeout: "STATEFUN_CHECKPOINT_TIMEOUT",
  checkpointsRetained: "STATEFUN_CHECKPOINTS_RETAINED",
  checkpointMode: "STATEFUN_CHECKPOINT_MODE",
  checkpointLeaseTtl: "STATEFUN_CHECKPOINT_LEASE_TTL",
  checkpointStorage: "STATEFUN_CHECKPOINT_STORAGE",
  fromSavepoint: "STATEFUN_FROM_SAVEPOINT",
  idempotencyWindow: "STATEFUN_IDEMPOTENCY_WINDOW",
} as const;

/** The runtime's own variable for the idempotency window (ms), read when the CLI's is unset. */
export const IDEMPOTENCY_WINDOW_MS_ENV = "STATEFUN_IDEMPOTENCY_WINDOW_MS";

/** The checkpoint modes. */
export const CHECKPOINT_MODES: readonly CheckpointMode[] = ["exactly-once", "at-least-once"];

/** Defaults of the checkpointing options (durations in ms). */
export const CHECKPOINT_DEFAULTS = {
  intervalMs: 1000,
  minPauseMs: 0,
  timeoutMs: 600_000,
  retained: 3,
  mode: "exactly-once",
  leaseTtlMs: 30_000,
  idempotencyWindowMs: 900_000,
} as const satisfies Record<string, number | CheckpointMode>;

/**
 * The longest interval, pause and timeout: 24 days, below the 2^31 − 1 ms that Node.js timers
 * accept (a longer timer fires after 1 ms).
 */
export const MAX_TIMER_MS = 24 * 24 * 3_600_000;

/** The checkpointing flags as given on the command line; `undefined` when absent. */
export interface CheckpointFlags {
  /** `false` for `--no-checkpointing`. */
  readonly checkpointing?: boolean | undefined;
  /** `--checkpoint-interval <duration>`. */
  readonly checkpointInterval?: string | undefined;
  /** `--checkpoint-min-pause <duration>`. */
  readonly checkpointMinPause?: string | undefined;
  /** `--checkpoint-timeout <duration>`. */
  readonly checkpointTimeout?: string | undefined;
  /** `--checkpoints-retained <n>`. */
  readonly checkpointsRetained?: string | undefined;
  /** `--checkpoint-mode <mode>`. */
  readonly checkpointMode?: string | undefined;
  /** `--checkpoint-lease-ttl <duration>`. */
  readonly checkpointLeaseTtl?: string | undefined;
  /** `--checkpoint-storage <dir|s3 URL>`. */
  readonly checkpointStorage?: string | undefined;
  /** `--from-savepoint <file|s3 URL>`. */
  readonly fromSavepoint?: string | undefined;
  /** `--idempotency-window <duration>`. */
  readonly idempotencyWindow?: string | undefined;
}

/** Resolved checkpointing of `statefun run`. */
export interface CliCheckpointing {
  /** Where checkpoints go. Default: the state directory. */
  readonly storage: StorageLocation;
  /** Time between checkpoints, in ms. Default: 1000. */
  readonly intervalMs: number;
  /** Least time between two checkpoints, in ms. Default: 0. */
  readonly minPauseMs: number;
  /** A checkpoint not written within this time is abandoned, in ms. Default: 600000 (10 min). */
  readonly timeoutMs: number;
  /** Complete checkpoints kept. Default: 3. */
  readonly retained: number;
  /** Default: `exactly-once`. */
  readonly mode: CheckpointMode;
  /** Time to live of the lease on the checkpoint storage, in ms (0: none). Default: 30000. */
  readonly leaseTtlMs: number;
}

/** The resolved checkpointing part of the `statefun run` options. */
export interface ResolvedCheckpointFlags {
  /** Checkpointing, or `undefined` for `--no-checkpointing` (`STATEFUN_CHECKPOINTING=false`). */
  readonly checkpointing: CliCheckpointing | undefined;
  /** The savepoint to start from, or `undefined`. */
  readonly fromSavepoint: ObjectLocation | undefined;
  /** How long an idempotency key is remembered, in ms. Default: 900000 (15 min). */
  readonly idempotencyWindowMs: number;
}

/**
 * Resolves the checkpointing flags (each flag, else its variable, else the default) into
 * `problems`; relative paths resolve against `cwd`. The values are meaningful only when
 * `problems` stays empty.
 */
export function resolveCheckpointFlags(
  flags: CheckpointFlags,
  env: Env,
  cwd: string,
  stateDir: string,
  problems: Problems,
): ResolvedCheckpointFlags {
  const duration = (flag: string, value: string | undefined, key: string, minMs: number) =>
    problems.duration(
      pick(flag, value, env, key),
      minMs,
      MAX_TIMER_MS,
      `a duration from ${minMs} ms to 24 d, such as "1s" or "200ms"`,
    );
  const E = CHECKPOINT_ENV;
  const enabled =
    flags.checkpointing === false
      ? false
      : problems.oneOf(fromEnv(env, E.checkpointing), ["true", "false"]) !== "false";
  const intervalMs = duration(
    "--checkpoint-interval",
    flags.checkpointInterval,
    E.checkpointInterval,
    1,
  );
  const minPauseMs = duration(
    "--checkpoint-min-pause",
    flags.checkpointMinPause,
    E.checkpointMinPause,
    0,
  );
  const timeoutMs = duration(
    "--checkpoint-timeout",
    flags.checkpointTimeout,
    E.checkpointTimeout,
    1,
  );
  const retained = problems.integer(
    pick("--checkpoints-retained", flags.checkpointsRetained, env, E.checkpointsRetained),
    1,
    Number.MAX_SAFE_INTEGER,
    "an integer ≥ 1 (checkpoints)",
  );
  const mode = problems.oneOf(
    pick("--checkpoint-mode", flags.checkpointMode, env, E.checkpointMode),
    CHECKPOINT_MODES,
  );
  const leaseTtlMs = duration(
    "--checkpoint-lease-ttl",
    flags.checkpointLeaseTtl,
    E.checkpointLeaseTtl,
    0,
  );
  const storageRaw = pick(
    "--checkpoint-storage",
    flags.checkpointStorage,
    env,
    E.checkpointStorage,
  );
  const storage =
    storageRaw === undefined
      ? ({ kind: "local", directory: stateDir } as const)
      : (parseStorageLocation(storageRaw.value, cwd) ??
        problems.invalid(storageRaw, STORAGE_LOCATION_EXPECTED));
  const savepointRaw = pick("--from-savepoint", flags.fromSavepoint, env, E.fromSavepoint);
  let fromSavepoint: ObjectLocation | undefined;
  if (savepointRaw !== undefined) {
    const parsed = parseObjectLocation(savepointRaw.value, cwd);
    if (typeof parsed !== "string") fromSavepoint = parsed;
    else problems.invalid(savepointRaw, parsed);
    if (!enabled) {
      problems.add(
        `${savepointRaw.from}: starting from a savepoint needs checkpointing, which is off (--no-checkpointing or ${E.checkpointing}=false)`,
      );
    }
  }
  const windowRaw =
    pick("--idempotency-window", flags.idempotencyWindow, env, E.idempotencyWindow) ??
    fromEnv(env, IDEMPOTENCY_WINDOW_MS_ENV);
  const idempotencyWindowMs = problems.duration(
    windowRaw,
    1,
    Number.MAX_SAFE_INTEGER,
    'a duration of at least 1 ms, such as "15 min"',
  );
  const D = CHECKPOINT_DEFAULTS;
  return {
    checkpointing:
      !enabled || storage === undefined
        ? undefined
        : {
            storage,
            intervalMs: intervalMs ?? D.intervalMs,
            minPauseMs: minPauseMs ?? D.minPauseMs,
            timeoutMs: timeoutMs ?? D.timeoutMs,
            retained: retained ?? D.retained,
            mode: mode ?? D.mode,
            leaseTtlMs: leaseTtlMs ?? D.leaseTtlMs,
          },
    fromSavepoint,
    idempotencyWindowMs: idempotencyWindowMs ?? D.idempotencyWindowMs,
  };
}
