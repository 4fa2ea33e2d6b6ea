/**
 * Options of `statefun run`: the flags as commander parsed them (raw strings, all optional), and
 * the pure {@link resolveCliOptions} that merges them with `STATEFUN_*` environment variables
 * (flags win), fills in defaults and validates, reporting every bad value at once.
 */
import { resolve } from "node:path";
import { LOG_LEVELS } from "../observability/pino-logger.js";
import type { LogLevel } from "../observability/pino-logger.js";
import { resolveRuntimeOptions } from "../options.js";
import type { ResolvedStateBackendFlags, StateBackendFlags } from "./state-backend-options.js";
import { STATE_BACKEND_ENV, resolveStateBackendFlags } from "./state-backend-options.js";
import { CHECKPOINT_ENV, resolveCheckpointFlags } from "./checkpoint-options.js";
import type { CheckpointFlags, ResolvedCheckpointFlags } from "./checkpoint-options.js";
import { createProblems, fromEnv, pick } from "./option-values.js";
import type { Env } from "./option-values.js";

/** The default admin API port. */
export const DEFAULT_ADMIN_PORT = 8081;
/** The default interface of the admin API: all IPv4 interfaces. */
export const DEFAULT_ADMIN_HOST = "0.0.0.0";
/** The default state directory, relative to the working directory. */
export const DEFAULT_STATE_DIR = ".statefun";
/** The log formats: one JSON object per line, or human-readable lines. */
export const LOG_FORMATS = ["json", "pretty"] as const;

/** A value of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The environment variables `statefun run` reads, by option. */
export const CLI_ENV = {
  adminPort: "STATEFUN_ADMIN_PORT",
  adminHost: "STATEFUN_ADMIN_HOST",
  admin: "STATEFUN_ADMIN",
  logLevel: "STATEFUN_LOG_LEVEL",
  logFormat: "STATEFUN_LOG_FORMAT",
  stateDir: "STATEFUN_STATE_DIR",
  maxBacklog: "STATEFUN_MAX_BACKLOG",
  maxQueuedAddresses: "STATEFUN_MAX_QUEUED_ADDRESSES",
  ...CHECKPOINT_ENV,
  ...STATE_BACKEND_ENV,
} as const;

/** The flags of `statefun run` as given on the command line; `undefined` when absent. */
export interface CliFlags extends CheckpointFlags, StateBackendFlags {
  /** `--admin-port <port>`. */
  readonly adminPort?: string | undefined;
  /** `--admin-host <host>`. */
  readonly adminHost?: string | undefined;
  /** `false` for `--no-admin`. */
  readonly admin?: boolean | undefined;
  /** `--log-level <level>`. */
  readonly logLevel?: string | undefined;
  /** `--log-format <format>`. */
  readonly logFormat?: string | undefined;
  /** `--state-dir <dir>`. */
  readonly stateDir?: string | undefined;
  /** `--max-backlog <n>`. */
  readonly maxBacklog?: string | undefined;
  /** `--max-queued-addresses <n>`. */
  readonly maxQueuedAddresses?: string | undefined;
}

/** The options of `statefun run` with every field set. */
export interface ResolvedCliOptions extends ResolvedCheckpointFlags, ResolvedStateBackendFlags {
  /** The module files, as given (paths or `file://` URLs, relative to the working directory). */
  readonly moduleFiles: readonly string[];
  /** Where the admin API listens, or `undefined` for `--no-admin` (`STATEFUN_ADMIN=false`). */
  readonly admin: { readonly port: number; readonly host: string } | undefined;
  /** Least severe level logged. Default `info`. */
  readonly logLevel: LogLevel;
  /** Log line format. Default `json`. */
  readonly logFormat: LogFormat;
  /**
   * Absolute state directory (nothing is created yet): the default checkpoint storage, and where
   * savepoints go by default (`savepoints/`). Default `<cwd>/.statefun`.
   */
  readonly stateDir: string;
  /** Queued messages at which ingress waits. Default: the runtime's (100000). */
  readonly maxBacklog: number;
  /**
   * Addresses waiting to run at which ingress to yet another address waits, while ingress seldom
   * repeats an address. Default: the runtime's (4096).
   */
  readonly maxQueuedAddresses: number;
}

/**
 * Resolves the options of `statefun run`: each flag, else its environment variable
 * ({@link CLI_ENV}), else the default. Never mutates its input and reads nothing but its
 * arguments.
 *
 * @param cwd the directory a relative `--state-dir` resolves against.
 * @throws StatefunError `invalid-config` naming, for every bad value, the flag or variable, what
 *   was expected and what was found (one problem per line when there are several).
 */
export function resolveCliOptions(
  moduleFiles: readonly string[],
  flags: CliFlags,
  env: Env,
  cwd: string,
): ResolvedCliOptions {
  const problems = createProblems();
  const { integer, oneOf, invalid } = problems;

  const adminPort = integer(
    pick("--admin-port", flags.adminPort, env, CLI_ENV.adminPort),
    0,
    65535,
    "a port from 0 to 65535 (0 picks a free port)",
  );
  const hostRaw = pick("--admin-host", flags.adminHost, env, CLI_ENV.adminHost);
  const adminHost =
    hostRaw === undefined || hostRaw.value.trim() !== ""
      ? hostRaw?.value
      : invalid(hostRaw, "a host name or IP address");
  const adminEnabled =
    flags.admin === false
      ? false
      : oneOf(fromEnv(env, CLI_ENV.admin), ["true", "false"]) !== "false";
  const logLevel = oneOf(pick("--log-level", flags.logLevel, env, CLI_ENV.logLevel), LOG_LEVELS);
  const logFormat = oneOf(
    pick("--log-format", flags.logFormat, env, CLI_ENV.logFormat),
    LOG_FORMATS,
  );
  const stateDirRaw = pick("--state-dir", flags.stateDir, env, CLI_ENV.stateDir);
  const stateDir =
    stateDirRaw === undefined || stateDirRaw.value.trim() !== ""
      ? (stateDirRaw?.value ?? DEFAULT_STATE_DIR)
      : invalid(stateDirRaw, "a directory path");
  const maxBacklog = integer(
    pick("--max-backlog", flags.maxBacklog, env, CLI_ENV.maxBacklog),
    1,
    Number.MAX_SAFE_INTEGER,
    "an integer ≥ 1 (messages)",
  );
  const maxQueuedAddresses = integer(
    pick("--max-queued-addresses", flags.maxQueuedAddresses, env, CLI_ENV.maxQueuedAddresses),
    1,
    Number.MAX_SAFE_INTEGER,
    "an integer ≥ 1 (addresses)",
  );
  const stateDirPath = resolve(cwd, stateDir ?? DEFAULT_STATE_DIR);
  const checkpoints = resolveCheckpointFlags(flags, env, cwd, stateDirPath, problems);
  const backend = resolveStateBackendFlags(flags, env, problems);
  if (moduleFiles.length === 0) problems.add("expected at least one module file, found none");
  problems.throwIfAny();
  const runtimeDefaults = resolveRuntimeOptions({}, {});
  return {
    moduleFiles: [...moduleFiles],
    admin: adminEnabled
      ? { port: adminPort ?? DEFAULT_ADMIN_PORT, host: adminHost ?? DEFAULT_ADMIN_HOST }
      : undefined,
    logLevel: logLevel ?? "info",
    logFormat: logFormat ?? "json",
    stateDir: stateDirPath,
    // The runtime's documented defaults, without reading the environment a second time.
    maxBacklog: maxBacklog ?? runtimeDefaults.maxBacklog,
    maxQueuedAddresses: maxQueuedAddresses ?? runtimeDefaults.maxQueuedAddresses,
    ...checkpoints,
    ...backend,
  };
}
