/**
 * An application assembled from module definitions: embedded modules imported, ingresses,
 * egresses and the remote endpoint provider built by registered factories, a runtime, and an
 * optional admin server, run through one explicit lifecycle
 * (created → starting → running → stopping → stopped), changed only here.
 *
 * Invariants:
 *  1. Nothing listens before `start()`; assembly problems are all reported by `createApplication`.
 *  2. Start order is runtime, then admin server; stop order is the reverse, so the admin API
 *     reports on a runtime that exists. Remote endpoint providers are closed last, once no
 *     invocation can use them.
 *  3. A failed `start()` leaves nothing running: what started is stopped before the error is
 *     rethrown, and the application is `stopped`.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { createAdminServer } from "../admin/admin-server.js";
import type { AdminServer } from "../admin/admin-server.js";
import { systemClock } from "../core/clock.js";
import { createConfigError } from "../config/module/problems.js";
import type { ModuleDefinition } from "../config/module/types.js";
import { errorFields, noopLogger } from "../observability/logger.js";
import type { RuntimeOptions } from "../options.js";
import { createRuntime } from "../runtime.js";
import type { Runtime } from "../runtime.js";
import {
  buildComponents,
  builtinComponentFactories,
  closeProviders,
  findMissingFactories,
} from "./component-factories.js";
import type { ComponentFactories, EndpointProvider } from "./component-factories.js";
import { loadEmbeddedModules } from "./embedded-modules.js";

/** Runtime options of an application: everything but what the module definition supplies. */
export type ApplicationRuntimeOptions = Omit<
  RuntimeOptions,
  "functions" | "providers" | "ingresses" | "egresses"
>;

/** Where the admin HTTP API listens. */
export interface ApplicationAdminOptions {
  /** TCP port, 0–65535; 0 picks a free port. */
  readonly port: number;
  /** Interface to bind. Default: `"0.0.0.0"`. */
  readonly host?: string;
  /**
   * Absolute directory where `POST /v1/savepoints` writes when the request names no path.
   * Default: none (a path is then required).
   */
  readonly savepointDirectory?: string;
}

/** Options of {@link createApplication}. Every field is optional. */
export interface ApplicationOptions {
  /** Runtime options (logger, backlog bounds, clock, ...). Default: the runtime's defaults. */
  readonly runtime?: ApplicationRuntimeOptions;
  /** The admin server's address. Default: `undefined`, no admin server. */
  readonly admin?: ApplicationAdminOptions | undefined;
  /** Factories of ingresses, egresses and remote endpoints. Default: {@link builtinComponentFactories}. */
  readonly factories?: ComponentFactories;
}

/** Lifecycle states of an {@link Application}. */
export type ApplicationState = "created" | "starting" | "running" | "stopping" | "stopped";

/** A runtime with its components and admin server, assembled from module definitions. */
export interface Application {
  /** The current lifecycle state. */
  readonly state: ApplicationState;
  /** The runtime. */
  readonly runtime: Runtime;
  /** The admin server, or `undefined` when none was asked for. */
  readonly admin: AdminServer | undefined;
  /** The definition the application was assembled from. */
  readonly definition: ModuleDefinition;
  /**
   * Logs the definition's warnings, starts the runtime, then the admin server.
   *
   * @throws StatefunError `illegal-state` unless created; whatever a component's start threw
   *   (e.g. `invalid-config` for a port in use), after stopping what had started.
   */
  start(): Promise<void>;
  /**
   * Stops the admin server, then the runtime, then closes the remote endpoint provider.
   * Idempotent; waits for a `start()` in progress.
   */
  stop(): Promise<void>;
}

/**
 * Assembles an application: imports the embedded modules, builds every ingress and egress with
 * the factory of its kind and the remote endpoints with the endpoint provider factory, and
 * creates the runtime and the admin server. Nothing listens until {@link Application.start}.
 *
 * @throws StatefunError `invalid-config` listing every problem, each with the file and document
 *   it comes from: a kind without factory, endpoints without endpoint provider factory, an
 *   embedded module that cannot be imported (the first import error is the `cause`), an export
 *   that is not a registry, a function type bound twice; or invalid runtime or admin options.
 */
export async function createApplication(
  definition: ModuleDefinition,
  options: ApplicationOptions = {},
): Promise<Application> {
  const runtimeOptions = options.runtime ?? {};
  const factories = options.factories ?? builtinComponentFactories();
  const context = {
    logger: runtimeOptions.logger ?? noopLogger,
    clock: runtimeOptions.clock ?? systemClock,
  };
  const missing = findMissingFactories(definition, factories);
  // Import embedded modules only when everything else is known to be fine: importing runs code.
  const embedded =
    missing.length > 0
      ? { registries: [], problems: [], cause: undefined }
      : await loadEmbeddedModules(definition.embeddedModules, definition.endpoints);
  const problems = [...missing, ...embedded.problems];
  if (problems.length > 0) throw createConfigError(problems, embedded.cause);
  const components = await buildComponents(definition, factories, context);
  let runtime: Runtime;
  let admin: AdminServer | undefined;
  try {
    runtime = createRuntime({
      ...runtimeOptions,
      functions: embedded.registries,
      providers: components.providers,
      ingresses: components.ingresses,
      egresses: components.egresses,
    });
    admin =
      options.admin === undefined
        ? undefined
        : createAdminServer({
            runtime,
            port: options.admin.port,
            ...(options.admin.host === undefined ? {} : { host: options.admin.host }),
            ...(options.admin.savepointDirectory === undefined
              ? {}
              : { savepointDirectory: options.admin.savepointDirectory }),
          });
  } catch (error) {
    await closeProviders(components.providers);
    throw error;
  }
  return assemble(definition, runtime, admin, components.providers);
}

function assemble(
  definition: ModuleDefinition,
  runtime: Runtime,
  admin: AdminServer | undefined,
  providers: readonly EndpointProvider[],
): Application {
  const logger = runtime.logger;
  let state: ApplicationState = "created";
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  async function open(): Promise<void> {
    for (const warning of definition.warnings) logger.warn({ files: definition.files }, warning);
    try {
      await runtime.start();
      await admin?.start();
    } catch (error) {
      state = "stopping";
      await close().catch((stopError: unknown) => {
        logger.error(errorFields(stopError), "application failed to stop after a failed start");
      });
      state = "stopped";
      throw error;
    }
    state = "running";
  }

  async function close(): Promise<void> {
    try {
      await admin?.stop();
    } finally {
      try {
        await runtime.stop();
      } finally {
        await closeProviders(providers);
      }
    }
  }

  async function shutDown(): Promise<void> {
    if (state === "starting") await starting?.catch(() => undefined);
    if (state === "stopped") return;
    state = "stopping";
    try {
      await close();
    } finally {
      state = "stopped";
    }
  }

  return {
    get state() {
      return state;
    },
    runtime,
    admin,
    definition,
    start() {
      if (state !== "created") {
        return Promise.reject(
          new StatefunError(
            "illegal-state",
            `cannot start an application that is ${state} (expected created)`,
          ),
        );
      }
      state = "starting";
      starting = open();
      return starting;
    },
    stop() {
      stopping ??= shutDown();
      return stopping;
    },
  };
}
