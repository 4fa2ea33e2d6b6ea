/**
 * `statefun run`: load the module files, assemble the application with the built-in component
 * factories, start it, log one startup line with every bound address, and stop it cleanly on the
 * first SIGINT or SIGTERM (a second one exits at once with code 130).
 */
import { builtinComponentFactories } from "../app/component-factories.js";
import { createApplication } from "../app/application.js";
import type { Application } from "../app/application.js";
import { loadModules } from "../config/module/loader.js";
import { errorFields } from "../observability/logger.js";
import type { LogFields, Logger } from "../observability/logger.js";
import { createLogger } from "../observability/pino-logger.js";
import type { ResolvedCliIo } from "./io.js";
import type { ResolvedCliOptions } from "./options.js";
import { listenForShutdownSignals } from "./signals.js";

/** The message of the startup log line, whose fields give every bound address. */
export const STARTED_MESSAGE = "statefun started";
/** The message of the last log line of a clean stop. */
export const STOPPED_MESSAGE = "stopped";

function createCliLogger(options: ResolvedCliOptions, io: ResolvedCliIo): Logger {
  return createLogger({
    level: options.logLevel,
    pretty: options.logFormat === "pretty",
    // The process's stdout is written synchronously by file descriptor: no line is lost at exit.
    destination: io.stdout === process.stdout ? 1 : io.stdout,
  });
}

/** The fields of the startup line: module files, state directory and every bound address. */
function startupFields(app: Application, options: ResolvedCliOptions): LogFields {
  const { ingresses, egresses } = app.runtime.components();
  return {
    moduleFiles: app.definition.files,
    stateDir: options.stateDir,
    admin: app.admin === undefined ? null : app.admin.address(),
    ingresses: ingresses.map((ingress) => ({ id: ingress.id, ...ingress.describe() })),
    egresses: egresses.map((egress) => ({ id: egress.id, ...egress.describe() })),
    maxBacklog: options.maxBacklog,
  };
}

/**
 * Runs an application until SIGINT or SIGTERM, then stops it.
 *
 * @returns 0 after a clean stop, 1 when stopping failed (logged).
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
  try {
    const definition = await loadModules(options.moduleFiles);
    const app = await createApplication(definition, {
      runtime: { logger, maxBacklog: options.maxBacklog },
      admin: options.admin,
      factories: builtinComponentFactories(),
    });
    await app.start();
    logger.info(startupFields(app, options), STARTED_MESSAGE);
    const signal = await signals.received;
    logger.info({ signal }, "stopping");
    try {
      await app.stop();
    } catch (error) {
      logger.error({ signal, ...errorFields(error) }, "failed to stop cleanly");
      return 1;
    }
    logger.info({ signal }, STOPPED_MESSAGE);
    return 0;
  } finally {
    signals.dispose();
  }
}
