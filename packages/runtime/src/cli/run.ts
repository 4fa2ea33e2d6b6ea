/**
 * `statefun run`: load the module files, open the checkpoint storage (and the savepoint to start
 * from), assemble the application with the built-in component factories, start it (recovering
 * from the latest checkpoint), log one startup line with every bound address and what was
 * restored, and stop it cleanly on the first SIGINT or SIGTERM (a second one exits at once with
 * code 130). The storages are closed once the application has stopped.
 */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { openCheckpointStorage, openSavepointForReading } from "../admin/storage-location.js";
import { builtinComponentFactories } from "../app/component-factories.js";
import { createApplication } from "../app/application.js";
import type { Application, ApplicationRuntimeOptions } from "../app/application.js";
import { loadModules } from "../config/module/loader.js";
import { errorFields } from "../observability/logger.js";
import type { LogFields, Logger } from "../observability/logger.js";
import { createLogger } from "../observability/pino-logger.js";
import type { ResolvedCliIo } from "./io.js";
import type { ResolvedCliOptions } from "./options.js";
import { listenForShutdownSignals } from "./signals.js";
import { openStateBackend } from "./state-backend-options.js";
import { lockStateDir } from "./state-dir-lock.js";

/** The message of the startup log line, whose fields give every bound address. */
export const STARTED_MESSAGE = "statefun started";
/** The message of the last log line of a clean stop. */
export const STOPPED_MESSAGE = "stopped";
/** The `restored` field of the startup line when nothing was restored. */
export const FRESH_START = "fresh start";
/** The folder of the state directory where savepoints go by default. */
export const SAVEPOINTS_FOLDER = "savepoints";

function createCliLogger(options: ResolvedCliOptions, io: ResolvedCliIo): Logger {
  return createLogger({
    level: options.logLevel,
    pretty: options.logFormat === "pretty",
    // The process's stdout is written synchronously by file descriptor: no line is lost at exit.
    destination: io.stdout === process.stdout ? 1 : io.stdout,
  });
}

/**
 * The fields of the startup line: module files, state directory, every bound address, the
 * checkpointing settings, and what was restored (from where) or {@link FRESH_START}.
 */
function startupFields(app: Application, options: ResolvedCliOptions): LogFields {
  const { ingresses, egresses } = app.runtime.components();
  const checkpointing = app.runtime.options.checkpointing;
  const restored = app.runtime.restored;
  return {
    moduleFiles: app.definition.files,
    stateDir: options.stateDir,
    stateBackend: app.runtime.backend.kind,
    admin: app.admin === undefined ? null : app.admin.address(),
    ingresses: ingresses.map((ingress) => ({ id: ingress.id, ...ingress.describe() })),
    egresses: egresses.map((egress) => ({ id: egress.id, ...egress.describe() })),
    maxBacklog: options.maxBacklog,
    maxQueuedAddresses: options.maxQueuedAddresses,
    checkpoints:
      checkpointing === undefined || options.checkpointing === undefined
        ? null
        : {
            storage: checkpointing.storage.location,
            intervalMs: options.checkpointing.intervalMs,
            mode: options.checkpointing.mode,
          },
    restored:
      restored === undefined
        ? FRESH_START
        : {
            from: options.fromSavepoint?.path ?? checkpointing?.storage.location ?? null,
            ...restored,
          },
  };
}

/** Something to close or release once the application has stopped. */
interface Held {
  readonly what: string;
  close(): Promise<void>;
}

/**
 * Creates the state directory and takes its lock, when anything uses it (checkpoints, the disk
 * backend); the lock goes into `held` (to release later).
 */
async function lockState(options: ResolvedCliOptions, held: Held[]): Promise<void> {
  if (options.checkpointing === undefined && options.stateBackend === "memory") return;
  try {
    await mkdir(options.stateDir, { recursive: true });
  } catch (error) {
    throw new StatefunError(
      "invalid-config",
      `cannot create the state directory ${options.stateDir}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { stateDir: options.stateDir } },
    );
  }
  const lock = await lockStateDir(options.stateDir);
  held.push({ what: `lock of ${options.stateDir}`, close: () => lock.release() });
}

/**
 * Opens what checkpointing needs — the checkpoint storage, the savepoint to start from —
 * recording each in `opened` (to close later).
 */
async function openCheckpointing(
  options: ResolvedCliOptions,
  opened: Held[],
): Promise<Pick<ApplicationRuntimeOptions, "checkpointing" | "fromSavepoint">> {
  if (options.checkpointing === undefined) return {};
  const { storage: location, ...settings } = options.checkpointing;
  // Group commit writes many small checkpoints: the log makes each one append and one sync.
  const storage = await openCheckpointStorage(location, { smallObjectLog: true });
  opened.push({ what: storage.location, close: () => storage.close() });
  const savepoint = options.fromSavepoint;
  if (savepoint === undefined) return { checkpointing: { storage, ...settings } };
  if (savepoint.storage.kind === "local") {
    const file = await stat(savepoint.path).catch(() => undefined);
    if (file === undefined || !file.isFile()) {
      throw new StatefunError(
        "invalid-config",
        `--from-savepoint ${savepoint.path}: expected a savepoint file, found ${file === undefined ? "nothing" : "a directory"}`,
        { details: { fromSavepoint: savepoint.path } },
      );
    }
  }
  const savepointStorage = await openSavepointForReading(savepoint);
  opened.push({ what: savepointStorage.location, close: () => savepointStorage.close() });
  return {
    checkpointing: { storage, ...settings },
    fromSavepoint: { storage: savepointStorage, name: savepoint.name },
  };
}

async function closeAll(held: Held[], logger: Logger): Promise<void> {
  for (const item of held.splice(0).reverse()) {
    await item.close().catch((error: unknown) => {
      logger.warn({ resource: item.what, ...errorFields(error) }, "failed to close");
    });
  }
}

/**
 * Runs an application until SIGINT or SIGTERM, then stops it.
 *
 * @returns 0 after a clean stop, 1 when stopping failed or the runtime could not go on (logged:
 *   another process took over its checkpoint storage).
 * @throws StatefunError `invalid-config` for invalid module files, an assembly problem or a port
 *   that cannot be bound; the application is then not running.
 */
export async function runApplication(
  options: ResolvedCliOptions,
  io: ResolvedCliIo,
): Promise<number> {
  const logger = createCliLogger(options, io);
  const signals = listenForShutdownSignals({
    source: io.signals,
    exit: io.exit,
    onForcedExit: (signal) => logger.warn({ signal }, "second signal while stopping: exiting now"),
  });
  const storages: Held[] = [];
  try {
    const definition = await loadModules(options.moduleFiles);
    await lockState(options, storages);
    const checkpointing = await openCheckpointing(options, storages);
    const stateBackend = await openStateBackend(options, options.stateDir, logger);
    const app = await createApplication(definition, {
      // Every value resolved here, so that the runtime does not read the environment again.
      runtime: {
        logger,
        maxBacklog: options.maxBacklog,
        maxQueuedAddresses: options.maxQueuedAddresses,
        idempotencyWindowMs: options.idempotencyWindowMs,
        ...(stateBackend === undefined ? {} : { stateBackend }),
        ...checkpointing,
      },
      admin:
        options.admin === undefined
          ? undefined
          : { ...options.admin, savepointDirectory: join(options.stateDir, SAVEPOINTS_FOLDER) },
      factories: builtinComponentFactories(),
    });
    await app.start();
    logger.info(startupFields(app, options), STARTED_MESSAGE);
    const reason = await Promise.race([signals.received, app.runtime.whenFailed()]);
    const signal = typeof reason === "string" ? reason : undefined;
    if (signal === undefined) logger.error({ ...errorFields(reason) }, "cannot go on: stopping");
    else logger.info({ signal }, "stopping");
    try {
      await app.stop();
    } catch (error) {
      logger.error({ signal, ...errorFields(error) }, "failed to stop cleanly");
      return 1;
    }
    await closeAll(storages, logger);
    logger.info({ signal }, STOPPED_MESSAGE);
    return signal === undefined ? 1 : 0;
  } finally {
    signals.dispose();
    await closeAll(storages, logger);
  }
}
