/**
 * The runtime: wires functions, state, the dispatcher, checkpointing, ingresses and egresses, and
 * runs them through one explicit lifecycle (created → starting → running → stopping → stopped).
 *
 * Start: track state changes (with checkpointing) → recover (the latest checkpoint, or a
 * savepoint) → admit the embedded functions' value specs against the state schema registry →
 * start egresses → start ingresses → start checkpointing. Stop: stop ingresses → let in-flight
 * work finish → take a last checkpoint → stop egresses → close the state backend.
 */
import type { Address, TypedValue } from "@statefun-ts/protocol";
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import { CheckpointCoordinator } from "./checkpoint/coordinator.js";
import type { CheckpointAttempt, CheckpointStats } from "./checkpoint/stats.js";
import type { StatefulComponent } from "./checkpoint/cut.js";
import { isStatefulComponent } from "./checkpoint/cut.js";
import { resolveCheckpointingOptions } from "./checkpoint/options.js";
import { acquireWriterLease, guardedByLease } from "./checkpoint/writer-lease.js";
import type { WriterLease } from "./checkpoint/writer-lease.js";
import type { ResolvedCheckpointingOptions } from "./checkpoint/options.js";
import { CHECKPOINT_PREFIX, checkpointName } from "./checkpoint/names.js";
import type { RestoreSummary } from "./checkpoint/recovery.js";
import { recoverLatest } from "./checkpoint/recovery.js";
import type { SavepointResult } from "./checkpoint/savepoint.js";
import { restoreSavepoint, takeSavepoint } from "./checkpoint/savepoint.js";
import type { CheckpointStorage } from "./checkpoint/storage.js";
import type { TimerHandle } from "./core/clock.js";
import type { FailingAddress } from "./core/dispatcher.js";
import { Dispatcher } from "./core/dispatcher.js";
import { EgressRouter } from "./core/egress.js";
import { createEmbeddedProvider } from "./core/embedded-provider.js";
import { composeProviders } from "./core/function-invoker.js";
import { StateSchemaRegistry, declaredSchemas } from "./core/schema-registry.js";
import type { Egress, EgressContext } from "./io/egress.js";
import { createComponentStore } from "./io/component-store.js";
import { IdempotencyGuard } from "./io/idempotency.js";
import type { Ingress, IngressContext } from "./io/ingress.js";
import type { Logger } from "./observability/logger.js";
import { errorFields } from "./observability/logger.js";
import type { ResolvedRuntimeOptions, RuntimeOptions } from "./options.js";
import { resolveRuntimeOptions } from "./options.js";
import type { FunctionTypeStats, IngressOutcome, IngressSubmission } from "./runtime-stats.js";
import { statsOf } from "./runtime-stats.js";
import type { CheckpointRef, StateBackend } from "./state/backend.js";
import { createMemoryStateBackend } from "./state/memory-backend.js";

export type { FunctionTypeStats, IngressOutcome, IngressSubmission } from "./runtime-stats.js";

/** Lifecycle states of a {@link Runtime}. */
export type RuntimeState = "created" | "starting" | "running" | "stopping" | "stopped";

/** A running stateful-functions application. */
export interface Runtime {
  /** The current lifecycle state. */
  readonly state: RuntimeState;
  /** The resolved options. */
  readonly options: ResolvedRuntimeOptions;
  readonly logger: Logger;
  /** The state backend. */
  readonly backend: StateBackend;
  /**
   * Recovers (with checkpointing), checks the embedded functions' value specs against the state
   * schema registry, then starts egresses, ingresses and checkpointing.
   *
   * @throws StatefunError `invalid-config` when a value was stored with a typename its spec
   *   declares no migration from (nothing is started then).
   */
  start(): Promise<void>;
  /** Stops ingresses, lets in-flight work finish, takes a last checkpoint, stops egresses. */
  stop(): Promise<void>;
  /** Sends a message from outside; resolves when it is in the target's mailbox (not durable). */
  submit(target: Address, value: TypedValue): Promise<void>;
  /**
   * Sends a message from outside if the backlog has room now.
   *
   * @returns false, having enqueued nothing, when the backlog is full.
   */
  offer(target: Address, value: TypedValue): boolean;
  /** The context an ingress with this id gets: durable, idempotent submissions. */
  ingressContext(ingressId: string): IngressContext;
  /** Resolves once a checkpoint taken after this call completed (at once without checkpointing). */
  whenDurable(): Promise<void>;
  /** True when a function of this type exists. */
  hasFunctionType(typename: string): boolean;
  /** Resolves when no batch is ready or in flight. */
  whenIdle(): Promise<void>;
  /** Addresses whose batch is failing and being retried. */
  failures(): FailingAddress[];
  /** Per function type counters, for metrics and the admin API. */
  functionStats(): FunctionTypeStats[];
  /**
   * Calls `listener` with every message an ingress hands to the runtime, once its outcome is
   * known (for metrics); returns a function that stops the calls. The listener must not throw.
   */
  onIngressSubmission(listener: (submission: IngressSubmission) => void): () => void;
  /**
   * Messages queued in mailboxes, addresses with messages waiting to run, batches in flight,
   * pending delayed messages.
   */
  load(): {
    readonly backlog: number;
    readonly queuedAddresses: number;
    readonly inflight: number;
    readonly delayed: number;
  };
  /** The ingresses and egresses, for the admin API. */
  components(): { readonly ingresses: readonly Ingress[]; readonly egresses: readonly Egress[] };
  /** Checkpointing figures, or `undefined` without checkpointing. */
  checkpointStats(): CheckpointStats | undefined;
  /**
   * Calls `listener` with every checkpoint attempt once its outcome is known (for metrics);
   * returns a function that stops the calls. Never calls it without checkpointing. The listener
   * must not throw.
   */
  onCheckpoint(listener: (attempt: CheckpointAttempt) => void): () => void;
  /** What the start restored, if anything. */
  readonly restored: RestoreSummary | undefined;
  /**
   * Resolves with the reason once the runtime cannot go on safely, and should be stopped:
   * another process took over its checkpoint storage (its lease was lost), so it writes no
   * checkpoint and acknowledges nothing from then on; or its state backend failed (a disk
   * backend whose writes keep failing). Never rejects; pending while all is well.
   */
  whenFailed(): Promise<StatefunError>;
  /** The reason {@link whenFailed} resolved with, once it has; `undefined` while all is well. */
  readonly failure: StatefunError | undefined;
  /**
   * Takes a savepoint into `storage` under `name`.
   *
   * @throws StatefunError `illegal-state` without checkpointing or when not running.
   */
  savepoint(storage: CheckpointStorage, name: string): Promise<SavepointResult>;
}

/** Checkpoints failing in a row after which an ingress's message is not acknowledged. */
const ACKNOWLEDGEMENT_FAILURES = 3;

/** Creates a runtime. Nothing runs until {@link Runtime.start}. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const resolved = resolveRuntimeOptions(options, process.env);
  const { logger, clock } = resolved;
  const backend =
    resolved.stateBackend ?? createMemoryStateBackend({ maxKeyGroups: resolved.maxKeyGroups });
  if (backend.maxKeyGroups !== resolved.maxKeyGroups) {
    throw new StatefunError(
      "invalid-config",
      `the state backend has ${backend.maxKeyGroups} key groups but the runtime is configured with ${resolved.maxKeyGroups}`,
    );
  }
  const router = new EgressRouter();
  for (const egress of resolved.egresses) router.register(egress);
  const schemas = new StateSchemaRegistry(backend, clock);
  const dispatcher = new Dispatcher({
    provider: composeProviders([
      createEmbeddedProvider(resolved.functions, {
        maxBacklogPerAddress: resolved.maxBacklogPerAddress,
      }),
      ...resolved.providers,
    ]),
    backend,
    schemas,
    clock,
    logger,
    egress: router,
    maxBatchSize: resolved.maxBatchSize,
    maxBacklog: resolved.maxBacklog,
    maxQueuedAddresses: resolved.maxQueuedAddresses,
    maxInflightInvocations: resolved.maxInflightInvocations,
    batchesPerSlice: resolved.batchesPerSlice,
    retry: resolved.retry,
    defer: setImmediate,
  });
  const leasedOptions: ResolvedCheckpointingOptions | undefined =
    resolved.checkpointing === undefined
      ? undefined
      : resolveCheckpointingOptions(resolved.checkpointing, process.env);
  // Everything the runtime writes to its checkpoint storage goes through the lease's guard.
  let lease: WriterLease | undefined;
  const checkpointing: ResolvedCheckpointingOptions | undefined =
    leasedOptions === undefined
      ? undefined
      : {
          ...leasedOptions,
          storage: guardedByLease(leasedOptions.storage, () => lease?.refusal()),
        };
  let failure: StatefunError | undefined;
  let resolveFailed: (error: StatefunError) => void = () => undefined;
  const failed = new Promise<StatefunError>((resolve) => {
    resolveFailed = resolve;
  });
  /** The runtime cannot go on safely: the first reason is kept. */
  const fail = (error: StatefunError): void => {
    if (failure !== undefined) return;
    failure = error;
    resolveFailed(error);
  };
  backend.onFailure?.(fail);
  const sinks = resolved.egresses.filter(isStatefulComponent) as unknown as StatefulComponent[];
  const sources = resolved.ingresses.filter(isStatefulComponent) as unknown as StatefulComponent[];
  const coordinator =
    checkpointing === undefined
      ? undefined
      : new CheckpointCoordinator(
          checkpointing,
          { backend, dispatcher, egress: router, sinks, ingresses: sources },
          clock,
          logger.child({ component: "checkpoints" }),
          resolved.maxKeyGroups,
        );
  const guard = new IdempotencyGuard(backend, resolved.idempotencyWindowMs, clock);
  const ingressListeners = new Set<(submission: IngressSubmission) => void>();
  const whenDurable = (): Promise<void> => coordinator?.whenDurable() ?? Promise.resolve();
  /**
   * For an ingress's acknowledgement: fails once checkpoints have failed three times in a row
   * while it waits (a storage that is down, not a passing error that the next attempt repairs),
   * so that the sender hears of it and may retry rather than wait for a storage that may not come
   * back. The message stays accepted and may still become durable.
   */
  const whenAcknowledged = async (): Promise<void> => {
    try {
      await coordinator?.whenDurable({ failures: ACKNOWLEDGEMENT_FAILURES });
    } catch (error) {
      if (isStatefunError(error, "shutdown")) throw error;
      throw new StatefunError(
        "storage-failed",
        `not acknowledged: checkpoints failed ${ACKNOWLEDGEMENT_FAILURES} times in a row ` +
          `(${error instanceof Error ? error.message : String(error)}); the message was accepted ` +
          "and may still be applied, and a retry with the same idempotency key is applied at " +
          "most once",
        { cause: error },
      );
    }
  };
  let state: RuntimeState = "created";
  let restored: RestoreSummary | undefined;
  let sweepTimer: TimerHandle | undefined;
  const started: { ingresses: Ingress[]; egresses: Egress[] } = { ingresses: [], egresses: [] };

  function expect(expected: RuntimeState, operation: string): void {
    if (state !== expected) {
      throw new StatefunError(
        "illegal-state",
        `cannot ${operation} a runtime that is ${state} (expected ${expected})`,
      );
    }
  }

  function ingressContext(ingressId: string): IngressContext {
    return {
      durable: coordinator !== undefined,
      logger: logger.child({ ingress: ingressId }),
      hasFunctionType: (typename) => dispatcher.functionType(typename) !== undefined,
      async submit(target, value, submitOptions) {
        const started = performance.now();
        let outcome: IngressOutcome = "rejected";
        try {
          const key = submitOptions?.idempotencyKey;
          if (key === undefined) {
            await dispatcher.submit(target, value);
            await whenAcknowledged();
            outcome = "acknowledged";
            return;
          }
          const submitted = await guard.submit(
            ingressId,
            key,
            (record) => dispatcher.submit(target, value, record),
            whenAcknowledged,
          );
          outcome = submitted === "duplicate" ? "duplicate" : "acknowledged";
        } catch (error) {
          if (isStatefunError(error, "storage-failed")) outcome = "not_durable";
          throw error;
        } finally {
          if (ingressListeners.size > 0) {
            const seconds = (performance.now() - started) / 1000;
            for (const listener of ingressListeners)
              listener({ ingress: ingressId, outcome, seconds });
          }
        }
      },
    };
  }

  const egressContext: EgressContext = { logger, durable: coordinator !== undefined, whenDurable };

  function sweep(): void {
    sweepTimer = clock.setTimer(resolved.expirySweepIntervalMs, () => {
      if (state !== "running") return;
      backend.sweepExpired(clock.now());
      sweep();
    });
  }

  async function recover(): Promise<void> {
    if (coordinator === undefined || checkpointing === undefined) {
      // Without checkpoints nothing survives a stop: a backend drops what it may have kept.
      backend.resume?.(undefined);
      return;
    }
    const targets = {
      backend,
      dispatcher,
      egress: router,
      components: [...sinks, ...sources],
      logger,
      clock,
    };
    const savepoint = resolved.fromSavepoint;
    if (savepoint !== undefined) {
      const existing = await checkpointing.storage.list(CHECKPOINT_PREFIX);
      if (existing.length > 0) {
        throw new StatefunError(
          "invalid-config",
          `cannot start from savepoint ${savepoint.name}: ${checkpointing.storage.location} already holds checkpoints; use an empty state directory`,
        );
      }
      backend.resume?.(undefined);
      const loaded = await restoreSavepoint(
        savepoint.storage,
        savepoint.name,
        checkpointing.storage,
        targets,
        resolved.maxKeyGroups,
      );
      restored = loaded.summary;
      coordinator.resumeFrom(loaded.resume);
    } else {
      const recovered = await recoverLatest(checkpointing.storage, targets, resolved.maxKeyGroups);
      if (recovered === undefined) {
        backend.resume?.(undefined);
        return;
      }
      restored = recovered.summary;
      coordinator.resumeFrom(recovered.resume);
    }
    logger.info({ ...restored, storage: checkpointing.storage.location }, "restored");
  }

  async function stopComponents(): Promise<void> {
    for (const ingress of started.ingresses.splice(0).reverse()) {
      await ingress.stop().catch((error: unknown) => {
        logger.error({ ingress: ingress.id, ...errorFields(error) }, "ingress failed to stop");
      });
    }
    // A process-lifecycle bound, not application time: a real timer even on a manual clock.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      dispatcher.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), resolved.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      logger.warn(
        { backlog: dispatcher.backlog, inflight: dispatcher.inflight },
        "shutdown timeout reached with work in flight",
      );
    }
    let last: CheckpointRef | undefined;
    if (coordinator !== undefined && state === "stopping") {
      last = await coordinator.checkpointNow().then(
        () => {
          const id = coordinator.stats.lastCompletedId;
          return { id, name: checkpointName(id) };
        },
        (error: unknown) => {
          logger.error(
            { ...errorFields(error) },
            "the last checkpoint failed; recovery uses the one before",
          );
          return undefined;
        },
      );
      await coordinator.stop();
    }
    if (lease !== undefined) {
      await lease.release().catch((error: unknown) => {
        logger.warn({ ...errorFields(error) }, "failed to release the checkpoint storage lease");
      });
    }
    sweepTimer?.cancel();
    dispatcher.stop();
    for (const egress of started.egresses.splice(0).reverse()) {
      await egress.stop().catch((error: unknown) => {
        logger.error({ egress: egress.id, ...errorFields(error) }, "egress failed to stop");
      });
    }
    // The backend may keep its state for the next start only if it is exactly the last
    // checkpoint's: nothing changed after that checkpoint's cut.
    const keep = last !== undefined && backend.changedSinceCapture?.() === false ? last : undefined;
    await backend.close(keep);
  }

  const runtime: Runtime = {
    get state() {
      return state;
    },
    get restored() {
      return restored;
    },
    options: resolved,
    logger,
    backend,
    async start() {
      expect("created", "start");
      state = "starting";
      try {
        // Every change from here on — restored savepoint state, the schema registry, messages
        // processed while components start — must reach the next (incremental) checkpoint.
        if (coordinator !== undefined) {
          backend.trackChanges();
          for (const component of [...sinks, ...sources]) {
            component.useStore?.(createComponentStore(backend, component.id, clock), logger);
          }
        }
        if (leasedOptions !== undefined && leasedOptions.leaseTtlMs > 0) {
          lease = await acquireWriterLease(leasedOptions.storage, {
            ttlMs: leasedOptions.leaseTtlMs,
            logger: logger.child({ component: "checkpoints" }),
            onLost: fail,
          });
        }
        await recover();
        schemas.admitDeclared(declaredSchemas(resolved.functions));
        for (const egress of resolved.egresses) {
          await egress.start(egressContext);
          started.egresses.push(egress);
        }
        for (const ingress of resolved.ingresses) {
          await ingress.start(ingressContext(ingress.id));
          started.ingresses.push(ingress);
        }
      } catch (error) {
        state = "stopped";
        await stopComponents();
        throw error;
      }
      coordinator?.start();
      state = "running";
      sweep();
      logger.info(
        {
          ingresses: resolved.ingresses.map((i) => ({ id: i.id, ...i.describe() })),
          egresses: resolved.egresses.map((e) => ({ id: e.id, ...e.describe() })),
          stateBackend: backend.kind,
          checkpoints:
            checkpointing === undefined
              ? null
              : {
                  storage: checkpointing.storage.location,
                  intervalMs: checkpointing.intervalMs,
                  mode: checkpointing.mode,
                },
        },
        "runtime started",
      );
    },
    async stop() {
      if (state === "stopped" || state === "stopping") return;
      if (state === "created") {
        state = "stopped";
        dispatcher.stop();
        await backend.close();
        return;
      }
      state = "stopping";
      await stopComponents();
      state = "stopped";
      logger.info({}, "runtime stopped");
    },
    submit: (target, value) => dispatcher.submit(target, value),
    offer: (target, value) => dispatcher.offer(target, value),
    ingressContext,
    whenDurable,
    whenFailed: () => failed,
    get failure() {
      return failure;
    },
    hasFunctionType: (typename) => dispatcher.functionType(typename) !== undefined,
    whenIdle: () => dispatcher.whenIdle(),
    failures: () => dispatcher.failures(),
    functionStats: () => dispatcher.functionTypes().map(statsOf),
    onIngressSubmission(listener) {
      ingressListeners.add(listener);
      return () => void ingressListeners.delete(listener);
    },
    load: () => ({
      backlog: dispatcher.backlog,
      queuedAddresses: dispatcher.queuedAddresses,
      inflight: dispatcher.inflight,
      delayed: dispatcher.delayed.size,
    }),
    components: () => ({ ingresses: resolved.ingresses, egresses: resolved.egresses }),
    checkpointStats: () => coordinator?.stats,
    onCheckpoint: (listener) => coordinator?.onAttempt(listener) ?? (() => undefined),
    async savepoint(storage, name) {
      if (coordinator === undefined || checkpointing === undefined) {
        throw new StatefunError("illegal-state", "savepoints need checkpointing to be configured");
      }
      expect("running", "take a savepoint of");
      const result = await takeSavepoint(
        coordinator,
        checkpointing.storage,
        storage,
        name,
        resolved.maxKeyGroups,
      );
      logger.info({ ...result }, "savepoint written");
      return result;
    },
  };
  return runtime;
}
