/**
 * The runtime: wires functions, state, the dispatcher, ingresses and egresses, and runs them
 * through one explicit lifecycle (created → starting → running → stopping → stopped).
 */
import type { Address, TypedValue } from "@statefun-ts/protocol";
import { StatefunError } from "@statefun-ts/protocol";
import { EgressRouter } from "./core/egress.js";
import type { FailingAddress } from "./core/dispatcher.js";
import { Dispatcher } from "./core/dispatcher.js";
import { createEmbeddedProvider } from "./core/embedded-provider.js";
import type { FunctionTypeRuntime } from "./core/address-slot.js";
import { composeProviders } from "./core/function-invoker.js";
import type { Egress } from "./io/egress.js";
import type { Ingress, IngressContext } from "./io/ingress.js";
import { errorFields } from "./observability/logger.js";
import type { Logger } from "./observability/logger.js";
import type { RuntimeOptions, ResolvedRuntimeOptions } from "./options.js";
import { resolveRuntimeOptions } from "./options.js";
import type { StateBackend } from "./state/backend.js";
import { createMemoryStateBackend } from "./state/memory-backend.js";

/** Lifecycle states of a {@link Runtime}. */
export type RuntimeState = "created" | "starting" | "running" | "stopping" | "stopped";

/** Counters and gauges of one function type. */
export interface FunctionTypeStats {
  readonly typename: string;
  readonly kind: "embedded" | "remote";
  readonly invoker: string;
  /** Messages received. */
  readonly in: number;
  /** Messages sent to functions. */
  readonly outLocal: number;
  /** Records sent to egresses. */
  readonly outEgress: number;
  /** Batches invoked successfully. */
  readonly invocations: number;
  /** Failed batch attempts (each retry counts). */
  readonly failures: number;
  /** Batches in flight asynchronously. */
  readonly inflight: number;
  /** Messages queued behind in-flight batches. */
  readonly backlog: number;
  /** Addresses whose backlog reached `maxBacklogPerAddress`. */
  readonly blockedAddresses: number;
  /** Registered state specs. */
  readonly states: readonly { readonly name: string; readonly typename: string }[];
}

/** A running stateful-functions application. */
export interface Runtime {
  /** The current lifecycle state. */
  readonly state: RuntimeState;
  /** The resolved options. */
  readonly options: ResolvedRuntimeOptions;
  readonly logger: Logger;
  /** The state backend. */
  readonly backend: StateBackend;
  /** Starts egresses, then ingresses. */
  start(): Promise<void>;
  /** Stops ingresses, waits for in-flight work (up to `shutdownTimeoutMs`), stops egresses. */
  stop(): Promise<void>;
  /** Sends a message from outside (as an ingress would); resolves when accepted. */
  submit(target: Address, value: TypedValue): Promise<void>;
  /**
   * Sends a message from outside if the backlog has room now.
   *
   * @returns false, having enqueued nothing, when the backlog is full.
   */
  offer(target: Address, value: TypedValue): boolean;
  /** True when a function of this type exists. */
  hasFunctionType(typename: string): boolean;
  /** Resolves when no batch is ready or in flight. */
  whenIdle(): Promise<void>;
  /** Addresses whose batch is failing and being retried. */
  failures(): FailingAddress[];
  /** Per function type counters, for metrics and the admin API. */
  functionStats(): FunctionTypeStats[];
  /** Messages queued in mailboxes, and batches in flight. */
  load(): { readonly backlog: number; readonly inflight: number; readonly delayed: number };
  /** The ingresses and egresses, for the admin API. */
  components(): { readonly ingresses: readonly Ingress[]; readonly egresses: readonly Egress[] };
}

function statsOf(fn: FunctionTypeRuntime): FunctionTypeStats {
  let backlog = 0;
  let blocked = 0;
  const limit = fn.invoker.maxBacklogPerAddress;
  for (const slot of fn.slots.values()) {
    backlog += slot.queued;
    if (limit > 0 && slot.queued >= limit) blocked++;
  }
  return {
    typename: fn.typename,
    kind: fn.invoker.kind,
    invoker: fn.invoker.describe(),
    ...fn.counters,
    backlog,
    blockedAddresses: blocked,
    states: fn.specs.map((s) => ({ name: s.name, typename: s.typename })),
  };
}

/** Creates a runtime. Nothing runs until {@link Runtime.start}. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const resolved = resolveRuntimeOptions(options, process.env);
  const logger = resolved.logger;
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
  const provider = composeProviders([
    createEmbeddedProvider(resolved.functions, {
      maxBacklogPerAddress: resolved.maxBacklogPerAddress,
    }),
    ...resolved.providers,
  ]);
  const dispatcher = new Dispatcher({
    provider,
    backend,
    clock: resolved.clock,
    logger,
    egress: router,
    maxBatchSize: resolved.maxBatchSize,
    maxBacklog: resolved.maxBacklog,
    maxInflightInvocations: resolved.maxInflightInvocations,
    batchesPerSlice: resolved.batchesPerSlice,
    retry: resolved.retry,
    defer: setImmediate,
  });
  let state: RuntimeState = "created";
  const started: { ingresses: Ingress[]; egresses: Egress[] } = { ingresses: [], egresses: [] };

  function expect(expected: RuntimeState, operation: string): void {
    if (state !== expected) {
      throw new StatefunError(
        "illegal-state",
        `cannot ${operation} a runtime that is ${state} (expected ${expected})`,
      );
    }
  }

  const ingressContext: IngressContext = {
    submit: (target, value) => dispatcher.submit(target, value),
    hasFunctionType: (typename) => dispatcher.functionType(typename) !== undefined,
    logger,
  };

  async function stopComponents(): Promise<void> {
    for (const ingress of started.ingresses.splice(0).reverse()) {
      await ingress.stop().catch((error: unknown) => {
        logger.error({ ingress: ingress.id, ...errorFields(error) }, "ingress failed to stop");
      });
    }
    // A process-lifecycle bound, not application time: it uses a real timer even when the
    // runtime runs on a manual clock.
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
    dispatcher.stop();
    for (const egress of started.egresses.splice(0).reverse()) {
      await egress.stop().catch((error: unknown) => {
        logger.error({ egress: egress.id, ...errorFields(error) }, "egress failed to stop");
      });
    }
    await backend.close();
  }

  const runtime: Runtime = {
    get state() {
      return state;
    },
    options: resolved,
    logger,
    backend,
    async start() {
      expect("created", "start");
      state = "starting";
      try {
        for (const egress of resolved.egresses) {
          await egress.start(logger);
          started.egresses.push(egress);
        }
        for (const ingress of resolved.ingresses) {
          await ingress.start(ingressContext);
          started.ingresses.push(ingress);
        }
      } catch (error) {
        state = "stopping";
        await stopComponents();
        state = "stopped";
        throw error;
      }
      state = "running";
      logger.info(
        {
          ingresses: resolved.ingresses.map((i) => ({ id: i.id, ...i.describe() })),
          egresses: resolved.egresses.map((e) => ({ id: e.id, ...e.describe() })),
          stateBackend: backend.kind,
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
    hasFunctionType: (typename) => dispatcher.functionType(typename) !== undefined,
    whenIdle: () => dispatcher.whenIdle(),
    failures: () => dispatcher.failures(),
    functionStats: () => dispatcher.functionTypes().map(statsOf),
    load: () => ({
      backlog: dispatcher.backlog,
      inflight: dispatcher.inflight,
      delayed: dispatcher.delayed.size,
    }),
    components: () => ({ ingresses: resolved.ingresses, egresses: resolved.egresses }),
  };
  return runtime;
}
