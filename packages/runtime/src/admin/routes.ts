/**
 * The admin API's resources: health, metrics, failing addresses, the runtime's components,
 * function types and queryable state (in state-routes.ts), checkpoints and savepoints (in
 * checkpoint-routes.ts), as JSON views of the public {@link Runtime} API. Adding a resource is
 * one line in {@link createAdminRoutes}.
 */
import { assertNever, formatAddress } from "@statefun-ts/protocol";
import type { FailingAddress } from "../core/dispatcher.js";
import { errorFields } from "../observability/logger.js";
import type { RuntimeMetrics } from "../observability/metrics.js";
import type { Runtime, RuntimeState } from "../runtime.js";
import { checkpointsView, savepointHandler } from "./checkpoint-routes.js";
import type { SavepointRouteOptions } from "./checkpoint-routes.js";
import type { AdminResult, AdminRoutes } from "./router.js";
import { functionsHandler, idsHandler, stateHandler } from "./state-routes.js";

/** Body of `GET /v1/health`. */
export interface HealthView {
  /**
   * `ok` while running; `failed` while running but unable to go on safely (see
   * `Runtime.failure`); otherwise where the runtime is in its lifecycle (`created` reads
   * `starting`).
   */
  readonly status: "ok" | "failed" | "starting" | "stopping" | "stopped";
  readonly state: RuntimeState;
  /** Why the runtime failed, when it did. */
  readonly reason?: string;
  /** Addresses whose batch is failing and being retried (they do not make the runtime unhealthy). */
  readonly failingAddresses: number;
}

/** One entry of `GET /v1/failures`. */
export interface FailureView {
  /** `namespace/type/id`. */
  readonly address: string;
  /** Failed attempts of the current batch. */
  readonly attempts: number;
  /** When the first of these attempts failed, ISO-8601. */
  readonly failingSince: string;
  /** Messages waiting behind the failing batch. */
  readonly queued: number;
  /** The last failure: message, error code (or null) and the messages of its causes. */
  readonly error: {
    readonly message: string;
    readonly code: string | null;
    readonly causes: readonly string[];
  };
}

function healthStatus(state: RuntimeState): HealthView["status"] {
  switch (state) {
    case "running":
      return "ok";
    case "created":
    case "starting":
      return "starting";
    case "stopping":
      return "stopping";
    case "stopped":
      return "stopped";
    default:
      return assertNever(state, "runtime state");
  }
}

/** The health of a runtime; HTTP 200 while running and not failed, 503 otherwise. */
export function healthView(runtime: Runtime): {
  readonly status: number;
  readonly json: HealthView;
} {
  const state = runtime.state;
  const failure = runtime.failure;
  const lifecycle = healthStatus(state);
  const status = lifecycle === "ok" && failure !== undefined ? "failed" : lifecycle;
  const failingAddresses = runtime.failures().length;
  return {
    status: status === "ok" ? 200 : 503,
    json:
      failure === undefined
        ? { status, state, failingAddresses }
        : { status, state, failingAddresses, reason: failure.message },
  };
}

/** One failing address. */
export function failureView(failure: FailingAddress): FailureView {
  const fields = errorFields(failure.error);
  return {
    address: formatAddress(failure.address),
    attempts: failure.attempts,
    failingSince: new Date(failure.failingSinceMs).toISOString(),
    queued: failure.queued,
    error: {
      message: String(fields.error),
      code: typeof fields.errorCode === "string" ? fields.errorCode : null,
      causes: Array.isArray(fields.causes) ? fields.causes.map(String) : [],
    },
  };
}

/** The runtime's state, load and components (each component's `describe()` plus its `id`). */
export function runtimeView(runtime: Runtime): Readonly<Record<string, unknown>> {
  const { ingresses, egresses } = runtime.components();
  return {
    state: runtime.state,
    load: runtime.load(),
    ingresses: ingresses.map((i) => ({ id: i.id, ...i.describe() })),
    egresses: egresses.map((e) => ({ id: e.id, ...e.describe() })),
  };
}

async function metricsText(metrics: RuntimeMetrics): Promise<AdminResult> {
  return { text: await metrics.render(), contentType: metrics.contentType };
}

/**
 * The admin API of a runtime. Function types are sorted by typename, failures by address.
 *
 * @param savepoints where `POST /v1/savepoints` writes by default; default: nowhere (a path is
 *   required).
 * @param logger where savepoints are logged. Default: the runtime's logger.
 */
export function createAdminRoutes(
  runtime: Runtime,
  metrics: RuntimeMetrics,
  savepoints: SavepointRouteOptions = {},
  logger = runtime.logger,
): AdminRoutes {
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    "/v1/health": { GET: () => healthView(runtime) },
    "/metrics": { GET: () => metricsText(metrics) },
    "/v1/functions": { GET: functionsHandler(runtime) },
    "/v1/functions/:namespace/:type/ids": { GET: idsHandler(runtime) },
    "/v1/state/:namespace/:type/:id": { GET: stateHandler(runtime) },
    "/v1/failures": {
      GET: () => ({
        json: {
          failures: runtime
            .failures()
            .map(failureView)
            .sort((a, b) => byKey(a.address, b.address)),
        },
      }),
    },
    "/v1/runtime": { GET: () => ({ json: runtimeView(runtime) }) },
    "/v1/checkpoints": { GET: () => ({ json: checkpointsView(runtime) }) },
    "/v1/savepoints": { POST: savepointHandler(runtime, savepoints, logger) },
  };
}
