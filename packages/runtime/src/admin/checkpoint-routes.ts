/**
 * The admin API's checkpoint resources: `GET /v1/checkpoints` (settings, figures, what the start
 * restored) and `POST /v1/savepoints` (take a savepoint, into the state directory's savepoints
 * folder or to a file path or `s3://` URL given in the body). Built only on the public
 * {@link Runtime} API.
 */
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import type { CheckpointStats } from "../checkpoint/stats.js";
import { resolveCheckpointingOptions } from "../checkpoint/options.js";
import type { CheckpointMode } from "../checkpoint/options.js";
import type { RestoreSummary } from "../checkpoint/recovery.js";
import type { SavepointResult } from "../checkpoint/savepoint.js";
import type { CheckpointStorage } from "../checkpoint/storage.js";
import { errorFields } from "../observability/logger.js";
import type { Logger } from "../observability/logger.js";
import type { Runtime } from "../runtime.js";
import type { AdminHandler, AdminRequest, AdminResult } from "./router.js";
import { writeLocalSavepoint } from "./savepoint-files.js";
import type { ObjectLocation, OpenStorageOptions } from "./storage-location.js";
import { openCheckpointStorage, parseAbsoluteObjectLocation } from "./storage-location.js";

/** Body of `GET /v1/checkpoints`; every field but `enabled` is `null` without checkpointing. */
export interface CheckpointsView {
  readonly enabled: boolean;
  /** The checkpoint storage's location: a directory or an `s3://` URL. */
  readonly storage: string | null;
  /** Time between checkpoints, in ms. */
  readonly intervalMs: number | null;
  readonly mode: CheckpointMode | null;
  /** The checkpoint figures of this process (they start at 0 after a restart). */
  readonly stats: CheckpointStats | null;
  /** What the start restored, or `null` after a fresh start. */
  readonly restored: RestoreSummary | null;
}

/** Body of a `201` answer of `POST /v1/savepoints`. */
export interface SavepointView extends SavepointResult {
  /** The savepoint as `statefun run --from-savepoint` takes it: a file path or an `s3://` URL. */
  readonly path: string;
}

/** Options of the savepoint resource. */
export interface SavepointRouteOptions {
  /**
   * Where a savepoint goes when the request names no path, as
   * `savepoint-<checkpointId>-<ISO time, ":" replaced by "-">.sfc`. Default: none (a request
   * without path is answered 400).
   */
  readonly savepointDirectory?: string | undefined;
  /** How `s3://` storages are opened. Default: the `@statefun-ts/checkpoint-s3` package. */
  readonly storage?: OpenStorageOptions;
}

/**
 * The checkpointing view of a runtime. The runtime resolved its checkpointing options against
 * `process.env`; resolving them again is pure and gives the same settings (`statefun run` sets
 * every field, so that the environment plays no part there).
 */
export function checkpointsView(runtime: Runtime): CheckpointsView {
  const options = runtime.options.checkpointing;
  const stats = runtime.checkpointStats();
  if (options === undefined || stats === undefined) {
    const off = { storage: null, intervalMs: null, mode: null, stats: null, restored: null };
    return { enabled: false, ...off };
  }
  const settings = resolveCheckpointingOptions(options, process.env);
  return {
    enabled: true,
    storage: settings.storage.location,
    intervalMs: settings.intervalMs,
    mode: settings.mode,
    stats: { ...stats },
    restored: runtime.restored ?? null,
  };
}

/** An answer with a JSON error body, as the router writes them. */
function refusal(status: number, code: string, error: string): AdminResult {
  return { status, json: { error, code } };
}

/** The target named by the body (`undefined` for the default), or the 400 answer. */
function parseBody(body: string): ObjectLocation | undefined | AdminResult {
  if (body.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return refusal(400, "bad-request", `expected a JSON body such as {"path": "..."}: ${reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return refusal(400, "bad-request", `expected a JSON object, found ${JSON.stringify(parsed)}`);
  }
  const unknown = Object.keys(parsed).filter((key) => key !== "path");
  if (unknown.length > 0) {
    return refusal(
      400,
      "bad-request",
      `unknown field ${JSON.stringify(unknown[0])}; expected only "path"`,
    );
  }
  const path: unknown = (parsed as { path?: unknown }).path;
  if (path === undefined) return undefined;
  if (typeof path !== "string") {
    return refusal(
      400,
      "bad-request",
      `field path: expected a string, found ${JSON.stringify(path)}`,
    );
  }
  const location = parseAbsoluteObjectLocation(path);
  return typeof location === "string"
    ? refusal(400, "bad-request", `field path: expected ${location}, found ${JSON.stringify(path)}`)
    : location;
}

/** A file name from a time: ISO-8601 with `:` replaced by `-` (`2024-05-01T10-00-00.000Z`). */
export function timeForFileName(ms: number): string {
  return new Date(ms).toISOString().replaceAll(":", "-");
}

/** Takes the savepoint into `storage` (an S3 storage), refusing an existing object (409). */
async function saveToStorage(
  runtime: Runtime,
  storage: CheckpointStorage,
  target: ObjectLocation,
): Promise<SavepointView> {
  try {
    if ((await storage.list(target.name)).includes(target.name)) {
      throw new StatefunError("illegal-state", `the savepoint ${target.path} already exists`);
    }
    return { ...(await runtime.savepoint(storage, target.name)), path: target.path };
  } finally {
    await storage.close();
  }
}

/**
 * Takes the savepoint into a local `directory`: as `target`'s file, or by default as
 * `savepoint-<checkpointId>-<time>.sfc` with the time the request came.
 */
function saveToDirectory(
  runtime: Runtime,
  directory: string,
  target: ObjectLocation | undefined,
): Promise<SavepointView> {
  const time = timeForFileName(runtime.options.clock.now());
  return writeLocalSavepoint(
    directory,
    (storage, name) => runtime.savepoint(storage, name),
    (result) => target?.name ?? `savepoint-${result.checkpointId}-${time}.sfc`,
    target?.name,
  );
}

/** The S3 storage of `target`, `undefined` for a local target, or the 400 answer. */
async function openS3(
  target: ObjectLocation | undefined,
  options: SavepointRouteOptions,
): Promise<CheckpointStorage | undefined | AdminResult> {
  if (target?.storage.kind !== "s3") return undefined;
  try {
    return await openCheckpointStorage(target.storage, options.storage);
  } catch (error) {
    // A bad URL, or the S3 package is missing: the request cannot be served as given.
    if (!isStatefunError(error, "invalid-config")) throw error;
    return refusal(400, "bad-request", error.message);
  }
}

/** `POST /v1/savepoints`. */
export function savepointHandler(
  runtime: Runtime,
  options: SavepointRouteOptions,
  logger: Logger,
): AdminHandler {
  return async (request: AdminRequest): Promise<AdminResult> => {
    if (runtime.checkpointStats() === undefined) {
      return refusal(409, "checkpointing-disabled", "savepoints need checkpointing, which is off");
    }
    const target = parseBody(request.body);
    if (target !== undefined && !("storage" in target)) return target;
    const s3 = await openS3(target, options);
    if (s3 !== undefined && !("location" in s3)) return s3;
    const directory =
      target?.storage.kind === "local" ? target.storage.directory : options.savepointDirectory;
    if (s3 === undefined && directory === undefined) {
      return refusal(
        400,
        "bad-request",
        'this server has no default savepoint directory: give {"path": "..."}',
      );
    }
    try {
      const view =
        s3 !== undefined && target !== undefined
          ? await saveToStorage(runtime, s3, target)
          : await saveToDirectory(runtime, directory ?? "", target);
      logger.info({ ...view }, "savepoint taken");
      return { status: 201, json: view };
    } catch (error) {
      if (isStatefunError(error, "illegal-state")) {
        return refusal(409, "conflict", error.message);
      }
      logger.error({ ...errorFields(error) }, "savepoint failed");
      const reason = error instanceof Error ? error.message : String(error);
      return refusal(500, "savepoint-failed", `the savepoint failed: ${reason}`);
    }
  };
}
