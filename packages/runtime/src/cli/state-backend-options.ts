/**
 * The state backend options of `statefun run`: `--state-backend memory|disk`, the disk
 * backend's cache size and bound on tracked changes, their `STATEFUN_*` variables, and opening
 * the backend. The disk backend lives in its own package (`@statefun-ts/state-disk`, on LMDB),
 * imported only when chosen.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import type { ModuleImporter } from "../admin/storage-location.js";
import type { Logger } from "../observability/logger.js";
import type { StateBackend } from "../state/backend.js";
import type { Env, Problems } from "./option-values.js";
import { pick } from "./option-values.js";

/** The state backends. */
export const STATE_BACKENDS = ["memory", "disk"] as const;
/** A value of {@link STATE_BACKENDS}. */
export type StateBackendKind = (typeof STATE_BACKENDS)[number];

/** The package of the disk backend. */
export const DISK_BACKEND_PACKAGE = "@statefun-ts/state-disk";
/** The folder of the state directory holding the disk backend's database. */
export const DISK_BACKEND_FOLDER = "db";

/** The environment variables of the state backend options. */
export const STATE_BACKEND_ENV = {
  stateBackend: "STATEFUN_STATE_BACKEND",
  stateCacheAddresses: "STATEFUN_STATE_CACHE_ADDRESSES",
  stateMaxTrackedChanges: "STATEFUN_STATE_MAX_TRACKED_CHANGES",
} as const;

/** The flags as given on the command line; `undefined` when absent. */
export interface StateBackendFlags {
  /** `--state-backend <memory|disk>`. */
  readonly stateBackend?: string | undefined;
  /** `--state-cache-addresses <n>`. */
  readonly stateCacheAddresses?: string | undefined;
  /** `--state-max-tracked-changes <n>`. */
  readonly stateMaxTrackedChanges?: string | undefined;
}

/** The resolved state backend options. */
export interface ResolvedStateBackendFlags {
  /** Where live state is kept. Default `memory`. */
  readonly stateBackend: StateBackendKind;
  /** Addresses the disk backend caches in memory. Default 100000. */
  readonly stateCacheAddresses: number;
  /**
   * Changed addresses out of the disk backend's cache tracked by id between checkpoints, at
   * least; past it (and a quarter of all addresses) the next checkpoint is full. Default 1000000.
   */
  readonly stateMaxTrackedChanges: number;
}

/** Validates the state backend flags (problems are collected, not thrown). */
export function resolveStateBackendFlags(
  flags: StateBackendFlags,
  env: Env,
  problems: Problems,
): ResolvedStateBackendFlags {
  const kind = problems.oneOf(
    pick("--state-backend", flags.stateBackend, env, STATE_BACKEND_ENV.stateBackend),
    STATE_BACKENDS,
  );
  const cache = problems.integer(
    pick(
      "--state-cache-addresses",
      flags.stateCacheAddresses,
      env,
      STATE_BACKEND_ENV.stateCacheAddresses,
    ),
    1,
    Number.MAX_SAFE_INTEGER,
    "an integer ≥ 1 (addresses)",
  );
  const tracked = problems.integer(
    pick(
      "--state-max-tracked-changes",
      flags.stateMaxTrackedChanges,
      env,
      STATE_BACKEND_ENV.stateMaxTrackedChanges,
    ),
    1,
    Number.MAX_SAFE_INTEGER,
    "an integer ≥ 1 (addresses)",
  );
  return {
    stateBackend: kind ?? "memory",
    stateCacheAddresses: cache ?? 100_000,
    stateMaxTrackedChanges: tracked ?? 1_000_000,
  };
}

interface DiskModule {
  createDiskStateBackend(options: {
    directory: string;
    maxKeyGroups?: number;
    maxCachedAddresses?: number;
    maxTrackedChanges?: number;
    logger?: Logger;
  }): StateBackend;
}

/**
 * Opens the chosen backend: `undefined` for memory (the runtime's default), the disk backend in
 * `<stateDir>/db` otherwise.
 *
 * @throws StatefunError `invalid-config` when the disk backend's package cannot be imported.
 */
export async function openStateBackend(
  options: ResolvedStateBackendFlags,
  stateDir: string,
  logger: Logger,
  importer: ModuleImporter = (specifier) => import(specifier),
): Promise<StateBackend | undefined> {
  if (options.stateBackend === "memory") return undefined;
  let loaded: Partial<DiskModule> | null;
  try {
    loaded = (await importer(DISK_BACKEND_PACKAGE)) as Partial<DiskModule> | null;
  } catch (error) {
    throw new StatefunError(
      "invalid-config",
      `--state-backend disk needs the package ${DISK_BACKEND_PACKAGE}, which cannot be imported (${error instanceof Error ? error.message : String(error)}); install it next to @statefun-ts/runtime`,
      { cause: error },
    );
  }
  if (typeof loaded?.createDiskStateBackend !== "function") {
    throw new StatefunError(
      "invalid-config",
      `the package ${DISK_BACKEND_PACKAGE} does not export createDiskStateBackend; install a version matching @statefun-ts/runtime`,
    );
  }
  await mkdir(stateDir, { recursive: true });
  return loaded.createDiskStateBackend({
    directory: join(stateDir, DISK_BACKEND_FOLDER),
    maxCachedAddresses: options.stateCacheAddresses,
    maxTrackedChanges: options.stateMaxTrackedChanges,
    logger: logger.child({ component: "state" }),
  });
}
