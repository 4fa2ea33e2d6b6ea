/**
 * The public entry points of module.yaml loading: read every file, parse each multi-document
 * stream with the registered binders, check the application as a whole, and either return the
 * resolved {@link ModuleDefinition} or throw one `invalid-config` error listing every problem.
 */
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findDuplicates, findMissingProvider } from "./application-checks.js";
import { indexBinders } from "./binder.js";
import type { ComponentBinder } from "./binder.js";
import { embeddedModuleBinder } from "./embedded.js";
import { httpEndpointV1Binder, httpEndpointV2Binder } from "./http-endpoint.js";
import { playgroundEgressBinder, playgroundIngressBinder } from "./playground.js";
import { createConfigError } from "./problems.js";
import type { ConfigProblem } from "./problems.js";
import { createAccumulator, parseModuleStream } from "./stream-parser.js";
import type { ModuleAccumulator } from "./stream-parser.js";
import type { ModuleDefinition } from "./types.js";

/** The binders of the kinds every runtime understands. */
export const BUILTIN_BINDERS: readonly ComponentBinder[] = Object.freeze([
  httpEndpointV2Binder,
  httpEndpointV1Binder,
  playgroundIngressBinder,
  playgroundEgressBinder,
  embeddedModuleBinder,
]);

/** Options of {@link loadModules} and {@link parseModuleText}. */
export interface ModuleLoadOptions {
  /**
   * Binders of further kinds (Kafka, NATS, ...), added to {@link BUILTIN_BINDERS}. A kind may be
   * handled by one binder only. Default: none.
   */
  readonly binders?: readonly ComponentBinder[];
}

function fileExists(absolutePath: string): boolean {
  return statSync(absolutePath, { throwIfNoEntry: false })?.isFile() ?? false;
}

function fileProblem(file: string, expected: string, found: string): ConfigProblem {
  const none = undefined;
  return { file, document: none, kind: none, path: "", expected, found, line: none, column: none };
}

const FILE_EXPECTED = "a file path or a file:// URL";

/**
 * Resolves a module file name: a `file://` URL or a bare path (relative to the working
 * directory). Other schemes (`classpath:`, `http:`) have no meaning here.
 */
function resolveModuleFile(file: string): string | ConfigProblem {
  if (file.startsWith("file:")) {
    try {
      return fileURLToPath(file);
    } catch (error) {
      return fileProblem(file, FILE_EXPECTED, `an unusable URL (${(error as Error).message})`);
    }
  }
  // Two letters at least, so that Windows drive letters (C:\...) stay paths.
  const scheme = /^([a-z][a-z0-9+.-]+):/iu.exec(file)?.[1];
  if (scheme !== undefined) {
    const found = `${JSON.stringify(file)} (the ${scheme}: scheme is not supported)`;
    return fileProblem(file, FILE_EXPECTED, found);
  }
  return resolve(file);
}

function parseInto(
  text: string,
  file: string,
  absolutePath: string,
  binders: ReadonlyMap<string, ComponentBinder>,
  into: ModuleAccumulator,
): void {
  parseModuleStream(text, { file, baseDir: dirname(absolutePath), binders, fileExists }, into);
}

function definitionOf(files: readonly string[], parts: ModuleAccumulator): ModuleDefinition {
  return {
    files,
    endpoints: parts.endpoints,
    ingresses: parts.ingresses,
    egresses: parts.egresses,
    embeddedModules: parts.embeddedModules,
    warnings: parts.warnings,
  };
}

/**
 * Parses the text of one module file. Checks everything `loadModules` checks except what needs
 * the whole application (a function provider must exist); duplicates within the file are
 * reported. Reads nothing but the existence of embedded module files.
 *
 * @param text the YAML stream.
 * @param file the file's name, for messages; relative paths in specs resolve against its
 *   directory (relative to the working directory).
 * @throws StatefunError `invalid-config` listing every problem.
 */
export function parseModuleText(
  text: string,
  file: string,
  options: ModuleLoadOptions = {},
): ModuleDefinition {
  const binders = indexBinders([...BUILTIN_BINDERS, ...(options.binders ?? [])]);
  const absolutePath = resolveModuleFile(file);
  if (typeof absolutePath !== "string") throw createConfigError([absolutePath]);
  const parts = createAccumulator();
  parseInto(text, file, absolutePath, binders, parts);
  const definition = definitionOf([absolutePath], parts);
  const problems = [...parts.problems, ...findDuplicates(definition)];
  if (problems.length > 0) throw createConfigError(problems);
  return definition;
}

/**
 * Loads an application's module files (`file://` URLs or paths, relative to the working
 * directory), in order. Besides each file's own checks, the application must declare at least
 * one function provider (an HTTP endpoint or an embedded module), and ingress ids, egress ids,
 * exact function types and namespace patterns must be unique across all files. An application
 * without ingress is accepted (unlike the JVM runtime, see `findMissingProvider`).
 *
 * @returns the resolved definitions; `warnings` lists accepted but surprising settings.
 * @throws StatefunError `invalid-config` listing every problem of every file (unreadable files
 *   included; the first read error is the `cause`).
 * @throws StatefunError `invalid-argument` when two binders handle the same kind.
 */
export async function loadModules(
  paths: readonly string[],
  options: ModuleLoadOptions = {},
): Promise<ModuleDefinition> {
  const binders = indexBinders([...BUILTIN_BINDERS, ...(options.binders ?? [])]);
  if (paths.length === 0) {
    throw createConfigError([fileProblem("module files", "at least one module file", "none")]);
  }
  const reads = await Promise.all(
    paths.map(async (file) => {
      const absolutePath = resolveModuleFile(file);
      if (typeof absolutePath !== "string") return { file, problem: absolutePath };
      try {
        return { file, absolutePath, text: await readFile(absolutePath, "utf8") };
      } catch (error) {
        const { code, message } = error as NodeJS.ErrnoException;
        const found =
          code === "ENOENT"
            ? `no file at ${absolutePath}`
            : code === "EISDIR"
              ? `a directory at ${absolutePath}`
              : message;
        return { file, problem: fileProblem(file, "a readable module file", found), error };
      }
    }),
  );
  const parts = createAccumulator();
  const files: string[] = [];
  let cause: unknown;
  for (const read of reads) {
    if ("problem" in read) {
      parts.problems.push(read.problem);
      cause ??= read.error;
      continue;
    }
    files.push(read.absolutePath);
    parseInto(read.text, read.file, read.absolutePath, binders, parts);
  }
  const definition = definitionOf(files, parts);
  const missingProvider = reads.some((read) => "problem" in read)
    ? undefined
    : findMissingProvider(paths, parts.declaredProviders);
  const problems = [
    ...parts.problems,
    ...findDuplicates(definition),
    ...(missingProvider === undefined ? [] : [missingProvider]),
  ];
  if (problems.length > 0) throw createConfigError(problems, cause);
  return definition;
}
