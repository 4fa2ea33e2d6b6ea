/**
 * Checkpoint storage locations as users write them (on the command line, in admin API requests):
 * a local directory, or an `s3://bucket/prefix?endpoint=...` URL served by the optional package
 * `@statefun-ts/checkpoint-s3`, which is imported only when such a URL is opened, so that the
 * runtime does not depend on it. An *object* location (a savepoint file) is a storage location
 * plus the object's name: the last path segment.
 */
import { mkdir } from "node:fs/promises";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StatefunError } from "@statefun-ts/protocol";
import { createLocalCheckpointStorage } from "../checkpoint/local-storage.js";
import { checkObjectName } from "../checkpoint/object-name.js";
import type { CheckpointStorage } from "../checkpoint/storage.js";
import { createSavepointFileReader } from "./savepoint-files.js";

/** The package that implements `s3://` locations. */
export const S3_PACKAGE = "@statefun-ts/checkpoint-s3";

/** Where checkpoint objects are: an absolute local directory, or an `s3://` URL (query kept). */
export type StorageLocation =
  | { readonly kind: "local"; readonly directory: string }
  | { readonly kind: "s3"; readonly url: string };

/** One object (a savepoint file): its storage and its name in that storage. */
export interface ObjectLocation {
  readonly storage: StorageLocation;
  readonly name: string;
  /** The location as a user can give it again: an absolute file path or the `s3://` URL. */
  readonly path: string;
}

/** What a location may look like, as the *expected* phrase of error messages. */
export const STORAGE_LOCATION_EXPECTED = "a directory path or an s3://bucket/prefix URL";
/** What an object location may look like, as the *expected* phrase of error messages. */
export const OBJECT_LOCATION_EXPECTED = "a file path or an s3://bucket/prefix/name URL";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//u;

/** `file://` URLs become paths; other schemes but `s3:` are refused (`undefined`). */
function localPath(text: string, cwd: string): string | undefined {
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return resolve(cwd, text);
  if (scheme !== "file") return undefined;
  try {
    return fileURLToPath(text);
  } catch {
    return undefined;
  }
}

function isS3(text: string): boolean {
  return SCHEME.exec(text)?.[1]?.toLowerCase() === "s3";
}

/**
 * Parses a storage location; a relative directory resolves against `cwd`.
 *
 * @returns the location, or `undefined` when `text` is neither a path nor an `s3://` or
 *   `file://` URL (the caller reports it with {@link STORAGE_LOCATION_EXPECTED}).
 */
export function parseStorageLocation(text: string, cwd: string): StorageLocation | undefined {
  if (text.trim() === "" || text.includes("\0")) return undefined;
  if (isS3(text)) return { kind: "s3", url: text };
  const directory = localPath(text, cwd);
  return directory === undefined ? undefined : { kind: "local", directory };
}

/**
 * Parses an object location: a file path (relative to `cwd`) or an `s3://bucket/prefix/name`
 * URL. The name is the last path segment; the storage is what comes before it (with the URL's
 * query, which configures the S3 client).
 *
 * @returns the location, or what was expected instead, as a phrase for an error message
 *   (`expected <phrase>, found ...`).
 */
export function parseObjectLocation(text: string, cwd: string): ObjectLocation | string {
  if (text.trim() === "" || text.includes("\0")) return OBJECT_LOCATION_EXPECTED;
  if (isS3(text)) {
    if (!URL.canParse(text)) return OBJECT_LOCATION_EXPECTED;
    const url = new URL(text);
    const slash = url.pathname.lastIndexOf("/");
    const name = slash < 0 ? "" : url.pathname.slice(slash + 1);
    if (name === "") return "an s3://bucket/prefix/name URL with an object name after the prefix";
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return "an s3:// URL whose object name is valid percent-encoding";
    }
    url.pathname = url.pathname.slice(0, slash);
    return (
      nameProblem(decoded, text) ?? {
        storage: { kind: "s3", url: url.toString() },
        name: decoded,
        path: text,
      }
    );
  }
  if (/[/\\]$/u.test(text)) return "a file path, not a directory (it ends with /)";
  const path = localPath(text, cwd);
  if (path === undefined) return OBJECT_LOCATION_EXPECTED;
  return (
    nameProblem(basename(path), path) ?? {
      storage: { kind: "local", directory: dirname(path) },
      name: basename(path),
      path,
    }
  );
}

/** What a savepoint object name must be instead of `name`, or `undefined` when it is valid. */
function nameProblem(name: string, path: string): string | undefined {
  try {
    checkObjectName(name, path);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `a file name that checkpoint storage accepts (${message.slice(message.lastIndexOf(": ") + 2)})`;
  }
}

/** Like {@link parseObjectLocation}, but a local path must be absolute (no working directory). */
export function parseAbsoluteObjectLocation(text: string): ObjectLocation | string {
  if (!SCHEME.test(text) && !isAbsolute(text)) return "an absolute file path or an s3:// URL";
  return parseObjectLocation(text, "/");
}

/** The shape of `@statefun-ts/checkpoint-s3` that this module uses. */
interface S3Module {
  parseS3Url(url: string): unknown;
  createS3CheckpointStorage(options: unknown): CheckpointStorage;
}

/** Imports a module by name; replaced in tests. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const importModule: ModuleImporter = (specifier) => import(specifier);

async function loadS3(url: string, importer: ModuleImporter): Promise<S3Module> {
  let loaded: unknown;
  try {
    loaded = await importer(S3_PACKAGE);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatefunError(
      "invalid-config",
      `checkpoint storage ${url}: s3:// locations need the package ${S3_PACKAGE}, which cannot ` +
        `be imported (${reason}); install it next to @statefun-ts/runtime: npm install ${S3_PACKAGE}`,
      { cause: error, details: { location: url, package: S3_PACKAGE } },
    );
  }
  const module = loaded as Partial<S3Module> | null;
  if (
    typeof module?.parseS3Url !== "function" ||
    typeof module.createS3CheckpointStorage !== "function"
  ) {
    throw new StatefunError(
      "invalid-config",
      `checkpoint storage ${url}: the package ${S3_PACKAGE} does not export parseS3Url and createS3CheckpointStorage; install a version matching @statefun-ts/runtime`,
      { details: { location: url, package: S3_PACKAGE } },
    );
  }
  return module as S3Module;
}

/** Options of {@link openCheckpointStorage}. */
export interface OpenStorageOptions {
  /** How `@statefun-ts/checkpoint-s3` is imported. Default: a dynamic `import()`. */
  readonly importer?: ModuleImporter;
  /**
   * For a local directory: append small objects to a log (see
   * `LocalCheckpointStorageOptions.smallObjectLog`). Default: false.
   */
  readonly smallObjectLog?: boolean;
}

/**
 * Opens the storage of a location: a local directory (created with its parents when missing) or,
 * for an `s3://` URL, an S3 storage from `@statefun-ts/checkpoint-s3`.
 *
 * @throws StatefunError `invalid-config` for an invalid S3 URL or when the S3 package cannot be
 *   imported (the message says how to install it); `storage-failed` when the directory cannot be
 *   created.
 */
export async function openCheckpointStorage(
  location: StorageLocation,
  options: OpenStorageOptions = {},
): Promise<CheckpointStorage> {
  if (location.kind === "local") {
    try {
      await mkdir(location.directory, { recursive: true });
    } catch (error) {
      throw new StatefunError(
        "storage-failed",
        `cannot create the checkpoint directory ${location.directory}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { directory: location.directory } },
      );
    }
    return createLocalCheckpointStorage({
      directory: location.directory,
      smallObjectLog: options.smallObjectLog ?? false,
    });
  }
  const s3 = await loadS3(location.url, options.importer ?? importModule);
  return s3.createS3CheckpointStorage(s3.parseS3Url(location.url));
}

/**
 * Opens a savepoint for reading: a local file through a read-only storage of that one file (no
 * directory is created or swept), an `s3://` object through an S3 storage at its prefix.
 *
 * @throws StatefunError as {@link openCheckpointStorage} does for `s3://` URLs.
 */
export async function openSavepointForReading(
  location: ObjectLocation,
  options: OpenStorageOptions = {},
): Promise<CheckpointStorage> {
  return location.storage.kind === "local"
    ? createSavepointFileReader(location.storage.directory, location.name)
    : openCheckpointStorage(location.storage, options);
}
