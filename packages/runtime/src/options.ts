/**
 * Runtime options: what users may set (all optional, with documented defaults and units), and
 * the pure `resolveRuntimeOptions` that fills in defaults, reads `STATEFUN_*` environment
 * variables, and validates, producing options where everything is set.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import type { Clock } from "./core/clock.js";
import { systemClock } from "./core/clock.js";
import type { FunctionProvider } from "./core/function-invoker.js";
import { DEFAULT_MAX_KEY_GROUPS, checkMaxKeyGroups } from "./core/key-group.js";
import type { RetryPolicy } from "./core/dispatcher.js";
import type { Egress } from "./io/egress.js";
import type { Ingress } from "./io/ingress.js";
import type { Logger } from "./observability/logger.js";
import { noopLogger } from "./observability/logger.js";
import type { StateBackend } from "./state/backend.js";
import type { CheckpointingOptions } from "./checkpoint/options.js";
import type { CheckpointStorage } from "./checkpoint/storage.js";

/** Options of a runtime. Every field is optional. */
export interface RuntimeOptions {
  /** Registries of embedded functions. Default: none. */
  readonly functions?: readonly StatefulFunctions[];
  /** Further function providers (remote endpoints), asked after the embedded functions. */
  readonly providers?: readonly FunctionProvider[];
  /** Ingresses to start with the runtime. */
  readonly ingresses?: readonly Ingress[];
  /** Egresses to start with the runtime. */
  readonly egresses?: readonly Egress[];
  /** The state backend. Default: a new in-memory backend. */
  readonly stateBackend?: StateBackend;
  /** Number of key groups (1–32768). Default: 128; env `STATEFUN_MAX_KEY_GROUPS`. */
  readonly maxKeyGroups?: number;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Structured logger. Default: discard. */
  readonly logger?: Logger;
  /** Most messages invoked in one batch. Default: 1000; env `STATEFUN_MAX_BATCH_SIZE`. */
  readonly maxBatchSize?: number;
  /** Queued messages at which ingress waits. Default: 100000; env `STATEFUN_MAX_BACKLOG`. */
  readonly maxBacklog?: number;
  /**
   * Addresses waiting to run at which ingress waits before queueing a message for yet another
   * address, when the ingress stream seldom repeats an address: a longer queue of distinct
   * addresses batches nothing, and only holds each message longer (in memory and in checkpoints).
   * Messages to waiting addresses, and streams that repeat addresses (so that their messages
   * batch), are bound by `maxBacklog` only. Default: 4096; env `STATEFUN_MAX_QUEUED_ADDRESSES`.
   */
  readonly maxQueuedAddresses?: number;
  /**
   * Per address backlog at which ingress for that address waits, for embedded functions (remote
   * endpoints use `maxNumBatchRequests`). Default: 1000.
   */
  readonly maxBacklogPerAddress?: number;
  /**
   * Batches in flight asynchronously at which no new batch starts (`statefun.async.max-per-task`).
   * Default: 32768; env `STATEFUN_ASYNC_MAX_PER_TASK`.
   */
  readonly maxInflightInvocations?: number;
  /** Batches run before yielding to the event loop. Default: 512. */
  readonly batchesPerSlice?: number;
  /** Retry policy for failed batches. Default: 10 ms doubling up to 30 s. */
  readonly retry?: Partial<RetryPolicy>;
  /** How long `stop()` waits for in-flight work, in ms. Default: 10000. */
  readonly shutdownTimeoutMs?: number;
  /**
   * Checkpointing: with it, state and messages survive crashes (exactly-once), ingress
   * acknowledgements mean durability, and the runtime recovers from the latest checkpoint in the
   * storage when it starts. Default: none (state lives in memory only).
   */
  readonly checkpointing?: CheckpointingOptions;
  /** A savepoint to start from: a file in a storage. Needs checkpointing. Default: none. */
  readonly fromSavepoint?: { readonly storage: CheckpointStorage; readonly name: string };
  /**
   * How long an idempotency key is remembered after its message was accepted, in ms. Default:
   * 900000 (15 min); env `STATEFUN_IDEMPOTENCY_WINDOW_MS`.
   */
  readonly idempotencyWindowMs?: number;
  /** Interval of the background removal of expired state, in ms. Default: 1000. */
  readonly expirySweepIntervalMs?: number;
}

/** Options with every field set. */
export interface ResolvedRuntimeOptions {
  readonly functions: readonly StatefulFunctions[];
  readonly providers: readonly FunctionProvider[];
  readonly ingresses: readonly Ingress[];
  readonly egresses: readonly Egress[];
  readonly stateBackend: StateBackend | undefined;
  readonly maxKeyGroups: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxBatchSize: number;
  readonly maxBacklog: number;
  readonly maxQueuedAddresses: number;
  readonly maxBacklogPerAddress: number;
  readonly maxInflightInvocations: number;
  readonly batchesPerSlice: number;
  readonly retry: RetryPolicy;
  readonly shutdownTimeoutMs: number;
  readonly checkpointing: CheckpointingOptions | undefined;
  readonly fromSavepoint:
    { readonly storage: CheckpointStorage; readonly name: string } | undefined;
  readonly idempotencyWindowMs: number;
  readonly expirySweepIntervalMs: number;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) {
    throw new StatefunError(
      "invalid-config",
      `runtime option ${name}: expected an integer ≥ ${min}, found ${String(resolved)}`,
      { details: { option: name, expected: `integer ≥ ${min}`, found: resolved } },
    );
  }
  return resolved;
}

function fromEnv(
  env: Readonly<Record<string, string | undefined>>,
  key: string,
): number | undefined {
  const text = env[key];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new StatefunError(
      "invalid-config",
      `environment variable ${key}: expected an integer, found ${JSON.stringify(text)}`,
      { details: { env: key, expected: "integer", found: text } },
    );
  }
  return value;
}

/**
 * Fills in defaults, applies `STATEFUN_*` variables from `env` (explicit options win), and
 * validates. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option or variable, what was expected and what was found.
 */
export function resolveRuntimeOptions(
  options: RuntimeOptions = {},
  env: Readonly<Record<string, string | undefined>> = {},
): ResolvedRuntimeOptions {
  const retry = options.retry ?? {};
  const resolved: ResolvedRuntimeOptions = {
    functions: [...(options.functions ?? [])],
    providers: [...(options.providers ?? [])],
    ingresses: [...(options.ingresses ?? [])],
    egresses: [...(options.egresses ?? [])],
    stateBackend: options.stateBackend,
    maxKeyGroups: checkMaxKeyGroups(
      options.maxKeyGroups ?? fromEnv(env, "STATEFUN_MAX_KEY_GROUPS") ?? DEFAULT_MAX_KEY_GROUPS,
    ),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? noopLogger,
    maxBatchSize: positiveInt(
      "maxBatchSize",
      options.maxBatchSize ?? fromEnv(env, "STATEFUN_MAX_BATCH_SIZE"),
      1000,
    ),
    maxBacklog: positiveInt(
      "maxBacklog",
      options.maxBacklog ?? fromEnv(env, "STATEFUN_MAX_BACKLOG"),
      100_000,
    ),
    maxQueuedAddresses: positiveInt(
      "maxQueuedAddresses",
      options.maxQueuedAddresses ?? fromEnv(env, "STATEFUN_MAX_QUEUED_ADDRESSES"),
      4096,
    ),
    maxBacklogPerAddress: positiveInt(
      "maxBacklogPerAddress",
      options.maxBacklogPerAddress,
      1000,
      0,
    ),
    maxInflightInvocations: positiveInt(
      "maxInflightInvocations",
      options.maxInflightInvocations ?? fromEnv(env, "STATEFUN_ASYNC_MAX_PER_TASK"),
      32768,
    ),
    batchesPerSlice: positiveInt("batchesPerSlice", options.batchesPerSlice, 512),
    retry: {
      initialBackoffMs: positiveInt("retry.initialBackoffMs", retry.initialBackoffMs, 10),
      maxBackoffMs: positiveInt("retry.maxBackoffMs", retry.maxBackoffMs, 30_000),
      multiplier: retry.multiplier ?? 2,
    },
    shutdownTimeoutMs: positiveInt("shutdownTimeoutMs", options.shutdownTimeoutMs, 10_000, 0),
    checkpointing: options.checkpointing,
    fromSavepoint: options.fromSavepoint,
    idempotencyWindowMs: positiveInt(
      "idempotencyWindowMs",
      options.idempotencyWindowMs ?? fromEnv(env, "STATEFUN_IDEMPOTENCY_WINDOW_MS"),
      900_000,
    ),
    expirySweepIntervalMs: positiveInt(
      "expirySweepIntervalMs",
      options.expirySweepIntervalMs,
      1000,
    ),
  };
  if (resolved.fromSavepoint !== undefined && resolved.checkpointing === undefined) {
    throw new StatefunError(
      "invalid-config",
      "runtime option fromSavepoint: starting from a savepoint needs checkpointing to be configured",
    );
  }
  if (!(resolved.retry.multiplier >= 1)) {
    throw new StatefunError(
      "invalid-config",
      `runtime option retry.multiplier: expected a number ≥ 1, found ${resolved.retry.multiplier}`,
    );
  }
  if (resolved.retry.maxBackoffMs < resolved.retry.initialBackoffMs) {
    throw new StatefunError(
      "invalid-config",
      `runtime option retry.maxBackoffMs (${resolved.retry.maxBackoffMs}) must be ≥ retry.initialBackoffMs (${resolved.retry.initialBackoffMs})`,
    );
  }
  return resolved;
}
