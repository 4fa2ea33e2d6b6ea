/**
 * The Prometheus adapter: exposes a runtime's counters on a prom-client registry of its own
 * (never the global default registry). The hot path only bumps plain numbers in the runtime;
 * this adapter reads them at scrape time from `collect()` callbacks.
 *
 * Prometheus semantics: each `_total` metric is a real counter that only goes up. At every
 * scrape its `collect()` reads the runtime's monotonic count and adds the difference from the
 * value it last exported (`inc(delta)`); the other metrics are gauges, set from the runtime.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CheckpointStats } from "../checkpoint/stats.js";
import type { FunctionTypeStats, Runtime, RuntimeState } from "../runtime.js";

/** Options of {@link createRuntimeMetrics}. Every field is optional. */
export interface RuntimeMetricsOptions {
  /**
   * Also export prom-client's process and Node.js metrics (CPU, heap, event-loop lag, GC), under
   * their standard unprefixed names (`process_*`, `nodejs_*`). Default: true.
   */
  readonly collectDefaultMetrics?: boolean;
  /** Prefix of the runtime's metric names (`[a-zA-Z_:][a-zA-Z0-9_:]*` or empty). Default: `"statefun_"`. */
  readonly prefix?: string;
}

/** {@link RuntimeMetricsOptions} with every field set. */
export interface ResolvedRuntimeMetricsOptions {
  readonly collectDefaultMetrics: boolean;
  readonly prefix: string;
}

/** A runtime's metrics in the Prometheus text exposition format. */
export interface RuntimeMetrics {
  /** The registry holding the metrics (private to this object; add your own metrics if you like). */
  readonly registry: Registry;
  /** The HTTP `Content-Type` of {@link render}'s output. */
  readonly contentType: string;
  /** Reads the runtime's counters and renders every metric of {@link registry}. */
  render(): Promise<string>;
}

const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Fills in defaults and validates. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` when the prefix cannot start a Prometheus metric name.
 */
export function resolveRuntimeMetricsOptions(
  options: RuntimeMetricsOptions = {},
): ResolvedRuntimeMetricsOptions {
  const prefix = options.prefix ?? "statefun_";
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new StatefunError(
      "invalid-config",
      `metrics option prefix: expected letters, digits, _ or : (not starting with a digit), found ${JSON.stringify(prefix)}`,
      { details: { option: "prefix", found: prefix } },
    );
  }
  return { collectDefaultMetrics: options.collectDefaultMetrics ?? true, prefix };
}

type CounterKey = "in" | "outLocal" | "outEgress" | "invocations" | "failures";
type GaugeKey = "inflight" | "backlog" | "blockedAddresses";

/** Per function type counters; `help` names the StateFun (Flink) metric each one mirrors. */
const FUNCTION_COUNTERS: readonly { key: CounterKey; name: string; help: string }[] = [
  { key: "in", name: "function_in_total", help: "Messages received (StateFun: in)." },
  {
    key: "outLocal",
    name: "function_out_local_total",
    help: "Messages sent to functions (StateFun: outLocal).",
  },
  {
    key: "outEgress",
    name: "function_out_egress_total",
    help: "Records sent to egresses (StateFun: outEgress).",
  },
  {
    key: "invocations",
    name: "function_invocations_total",
    help: "Batches invoked successfully (no StateFun equivalent).",
  },
  {
    key: "failures",
    name: "function_failures_total",
    help: "Failed batch attempts, each retry counted (StateFun: remoteInvocationFailures).",
  },
];

/** Per function type gauges. */
const FUNCTION_GAUGES: readonly { key: GaugeKey; name: string; help: string }[] = [
  {
    key: "inflight",
    name: "function_inflight_async_ops",
    help: "Batches in flight asynchronously (StateFun: inflightAsyncOps).",
  },
  {
    key: "backlog",
    name: "function_backlog",
    help: "Messages queued behind in-flight batches (StateFun: numBacklog).",
  },
  {
    key: "blockedAddresses",
    name: "function_blocked_addresses",
    help: "Addresses whose backlog reached their limit (StateFun: numBlockedAddress).",
  },
];

/** Checkpoint counters and gauges: `[name, help, read]`, read in the unit the name says. */
type CheckpointMetric = readonly [string, string, (stats: CheckpointStats) => number];
const CHECKPOINT_COUNTERS: readonly CheckpointMetric[] = [
  ["checkpoints_completed_total", "Checkpoints completed.", (s) => s.completed],
  ["checkpoints_failed_total", "Checkpoint attempts that failed.", (s) => s.failed],
  ["checkpoint_compactions_total", "Full bases written by compaction.", (s) => s.compactions],
  [
    "checkpoint_merges_total",
    "Incremental checkpoint files merged into one by compaction.",
    (s) => s.merges,
  ],
  [
    "checkpoints_skipped_total",
    "Checkpoints not written because nothing changed since the last complete one.",
    (s) => s.skipped,
  ],
];
const CHECKPOINT_GAUGES: readonly CheckpointMetric[] = [
  [
    "checkpoint_last_duration_seconds",
    "Last checkpoint, cut to durable file.",
    (s) => s.lastDurationMs / 1000,
  ],
  [
    "checkpoint_last_pause_seconds",
    "Processing pause of the last cut.",
    (s) => s.lastPauseMs / 1000,
  ],
  [
    "checkpoint_max_pause_seconds",
    "Longest processing pause of a cut.",
    (s) => s.maxPauseMs / 1000,
  ],
  ["checkpoint_last_size_bytes", "Size of the last checkpoint file.", (s) => s.lastBytes],
  ["checkpoint_chain_length", "Files the next checkpoint builds on.", (s) => s.chainLength],
  [
    "checkpoint_last_completed_timestamp_seconds",
    "When the last checkpoint completed (0: never).",
    (s) => s.lastCompletedAtMs / 1000,
  ],
];

/** Buckets of the ingress submission histogram, in seconds: a durable acknowledgement's range. */
const INGRESS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
/** Checkpoint durations: group commits take milliseconds, large incremental ones seconds. */
const CHECKPOINT_DURATION_BUCKETS = [...INGRESS_BUCKETS, 60, 120];
/** Processing pauses of cuts: tens of microseconds, more for a large mailbox backlog. */
const CHECKPOINT_PAUSE_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];
/** Checkpoint file sizes: 1 KiB to 4 GiB, each bucket four times the one before. */
const CHECKPOINT_SIZE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1024 * 4 ** i);
/** Durability waiters per checkpoint: the size of a group commit. */
const CHECKPOINT_WAITER_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** Every lifecycle state, so that `runtime_state` has a series per state. */
const RUNTIME_STATES: Readonly<Record<RuntimeState, true>> = {
  created: true,
  starting: true,
  running: true,
  stopping: true,
  stopped: true,
};

const LABEL = "function_type";

/** Reads `runtime.functionStats()` once per synchronous scrape, however many metrics ask. */
function statsPerTick(runtime: Runtime): () => readonly FunctionTypeStats[] {
  let cached: readonly FunctionTypeStats[] | undefined;
  return () => {
    if (cached === undefined) {
      cached = runtime.functionStats();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

/**
 * Creates the Prometheus metrics of a runtime, on a new registry. Names (with the default
 * prefix), by function type (label `function_type`, the typename), and the StateFun metric
 * each one mirrors:
 *
 * | metric | type | StateFun |
 * |---|---|---|
 * | `statefun_function_in_total` | counter | `in` |
 * | `statefun_function_out_local_total` | counter | `outLocal` (all sends are local: one worker) |
 * | `statefun_function_out_egress_total` | counter | `outEgress` |
 * | `statefun_function_invocations_total` | counter | — (successful batches) |
 * | `statefun_function_failures_total` | counter | `remoteInvocationFailures` (each failed attempt, embedded too) |
 * | `statefun_function_inflight_async_ops` | gauge | `inflightAsyncOps` |
 * | `statefun_function_backlog` | gauge | `numBacklog` |
 * | `statefun_function_blocked_addresses` | gauge | `numBlockedAddress` |
 *
 * Runtime-wide gauges: `statefun_backlog` (messages queued in all mailboxes),
 * `statefun_queued_addresses` (addresses with messages waiting to run),
 * `statefun_inflight_async_ops` (StateFun operator `functions.inflightAsyncOps`),
 * `statefun_delayed_messages` (delayed messages not yet due), `statefun_state_live_values`
 * (persisted values in the state backend), `statefun_failing_addresses`
 * (addresses whose batch is being retried) and `statefun_runtime_state{state}` (1 for the current
 * lifecycle state, 0 for the others). Rates (`inRate`, …) are left to PromQL `rate()`. The state
 * backend may add figures of its own (`StateBackend.figures`): the disk backend's
 * `statefun_state_cached_addresses`, `statefun_state_unwritten_addresses` and
 * `statefun_state_write_failures_total`.
 *
 * With checkpointing on (read from `runtime.checkpointStats()`): counters
 * `statefun_checkpoints_completed_total`, `statefun_checkpoints_failed_total`,
 * `statefun_checkpoints_skipped_total` (nothing changed), `statefun_checkpoint_compactions_total`
 * (full bases), `statefun_checkpoint_merges_total` (incremental merges), and gauges `statefun_checkpoint_last_duration_seconds`
 * (cut to durable file), `statefun_checkpoint_last_pause_seconds` (the processing pause of the
 * cut), `statefun_checkpoint_max_pause_seconds`, `statefun_checkpoint_last_size_bytes`,
 * `statefun_checkpoint_chain_length` and `statefun_checkpoint_last_completed_timestamp_seconds`.
 * Histograms, observed at each attempt: `statefun_checkpoint_duration_seconds{outcome}` (cut to
 * outcome; `completed`, `failed` or `skipped`), `statefun_checkpoint_pause_seconds` (each cut's
 * processing pause), `statefun_checkpoint_size_bytes` (each completed file) and
 * `statefun_checkpoint_durability_waiters` (the acknowledgements each completed or skipped
 * checkpoint released: how much group commit gathers).
 *
 * Ingresses: the histogram `statefun_ingress_submission_duration_seconds{ingress, outcome}`, the
 * time from an ingress handing a message to the runtime to its outcome — for an acknowledgement
 * with checkpointing, the wait for the checkpoint that made it durable. Outcomes: `acknowledged`,
 * `duplicate` (an idempotency key seen before), `not_durable` (checkpoints kept failing: HTTP
 * 503) and `rejected` (unknown function type, stopping, invalid key); `_count` counts each.
 *
 * Function types appear once they received their first message. Counters start at the value
 * the runtime has when first scraped and never decrease.
 *
 * @throws StatefunError `invalid-config` for a bad prefix.
 */
export function createRuntimeMetrics(
  runtime: Runtime,
  options: RuntimeMetricsOptions = {},
): RuntimeMetrics {
  const { prefix, collectDefaultMetrics: withDefaults } = resolveRuntimeMetricsOptions(options);
  const registry = new Registry();
  const registers = [registry];
  const stats = statsPerTick(runtime);

  for (const { key, name, help } of FUNCTION_COUNTERS) {
    const exported = new Map<string, number>();
    new Counter({
      name: prefix + name,
      help,
      labelNames: [LABEL],
      registers,
      collect() {
        for (const fn of stats()) {
          const value = fn[key];
          const last = exported.get(fn.typename);
          if (last !== undefined && value <= last) continue;
          this.inc({ [LABEL]: fn.typename }, value - (last ?? 0));
          exported.set(fn.typename, value);
        }
      },
    });
  }
  for (const { key, name, help } of FUNCTION_GAUGES) {
    new Gauge({
      name: prefix + name,
      help,
      labelNames: [LABEL],
      registers,
      collect() {
        this.reset();
        for (const fn of stats()) this.set({ [LABEL]: fn.typename }, fn[key]);
      },
    });
  }
  const runtimeGauges: readonly { name: string; help: string; read: () => number }[] = [
    {
      name: "backlog",
      help: "Messages queued in all mailboxes.",
      read: () => runtime.load().backlog,
    },
    {
      name: "queued_addresses",
      help: "Addresses with messages waiting to run.",
      read: () => runtime.load().queuedAddresses,
    },
    {
      name: "inflight_async_ops",
      help: "Batches in flight asynchronously, all function types (StateFun: functions.inflightAsyncOps).",
      read: () => runtime.load().inflight,
    },
    {
      name: "delayed_messages",
      help: "Delayed messages waiting for their time.",
      read: () => runtime.load().delayed,
    },
    {
      name: "state_live_values",
      help: "Persisted values held by the state backend, all function types.",
      read: () => runtime.backend.liveValues(),
    },
    {
      name: "failing_addresses",
      help: "Addresses whose batch failed and is being retried.",
      read: () => runtime.failures().length,
    },
  ];
  // The state backend's own figures (the disk backend's cache, say), named by the backend.
  const figures = runtime.backend.figures?.bind(runtime.backend);
  const backendFigures = (figures?.() ?? []).map(({ name, help, kind }, index) => ({
    name,
    help,
    kind,
    read: (): number => figures?.()[index]?.value ?? 0,
  }));
  const gauges = [...runtimeGauges, ...backendFigures.filter(({ kind }) => kind === "gauge")];
  for (const { name, help, read } of gauges) {
    new Gauge({
      name: prefix + name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  }
  for (const { name, help, read } of backendFigures.filter(({ kind }) => kind === "counter")) {
    totalCounter(prefix + name, help, registers, read);
  }
  new Gauge({
    name: `${prefix}runtime_state`,
    help: "1 for the runtime's current lifecycle state, 0 for the others.",
    labelNames: ["state"],
    registers,
    collect() {
      const current = runtime.state;
      for (const state of Object.keys(RUNTIME_STATES)) {
        this.set({ state }, state === current ? 1 : 0);
      }
    },
  });
  const submissions = new Histogram({
    name: `${prefix}ingress_submission_duration_seconds`,
    help: "Messages ingresses handed to the runtime, by outcome, and the time to that outcome.",
    labelNames: ["ingress", "outcome"],
    buckets: INGRESS_BUCKETS,
    registers,
  });
  runtime.onIngressSubmission(({ ingress, outcome, seconds }) =>
    submissions.observe({ ingress, outcome }, seconds),
  );
  if (runtime.checkpointStats() !== undefined) addCheckpointMetrics(runtime, prefix, registers);
  if (withDefaults) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

/**
 * Registers a counter that exports a running total read at scrape time (`undefined`: unknown
 * now), counting only its growth.
 */
function totalCounter(
  name: string,
  help: string,
  registers: Registry[],
  read: () => number | undefined,
): void {
  let exported = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const value = read() ?? exported;
      if (value > exported) this.inc(value - exported);
      exported = Math.max(exported, value);
    },
  });
}

/** Registers the checkpoint metrics, read from `runtime.checkpointStats()` at scrape time. */
function addCheckpointMetrics(runtime: Runtime, prefix: string, registers: Registry[]): void {
  for (const [name, help, read] of CHECKPOINT_COUNTERS) {
    totalCounter(prefix + name, help, registers, () => {
      const stats = runtime.checkpointStats();
      return stats === undefined ? undefined : read(stats);
    });
  }
  for (const [name, help, read] of CHECKPOINT_GAUGES) {
    new Gauge({
      name: prefix + name,
      help,
      registers,
      collect() {
        const stats = runtime.checkpointStats();
        if (stats !== undefined) this.set(read(stats));
      },
    });
  }
  const histogram = (name: string, help: string, buckets: number[], labelNames: string[] = []) =>
    new Histogram({ name: prefix + name, help, labelNames, buckets, registers });
  const durations = histogram(
    "checkpoint_duration_seconds",
    "Checkpoint attempts by outcome, and the time from their cut to it.",
    CHECKPOINT_DURATION_BUCKETS,
    ["outcome"],
  );
  const pauses = histogram(
    "checkpoint_pause_seconds",
    "Processing pauses of checkpoint cuts.",
    CHECKPOINT_PAUSE_BUCKETS,
  );
  const sizes = histogram(
    "checkpoint_size_bytes",
    "Sizes of completed checkpoint files.",
    CHECKPOINT_SIZE_BUCKETS,
  );
  const waiters = histogram(
    "checkpoint_durability_waiters",
    "Durability waiters (acknowledgements) each completed or skipped checkpoint released.",
    CHECKPOINT_WAITER_BUCKETS,
  );
  runtime.onCheckpoint((attempt) => {
    durations.observe({ outcome: attempt.outcome }, attempt.seconds);
    pauses.observe(attempt.pauseSeconds);
    if (attempt.outcome === "completed") sizes.observe(attempt.bytes);
    if (attempt.outcome !== "failed") waiters.observe(attempt.waiters);
  });
}
