/**
 * Loading embedded function modules (`io.statefun-ts.v1/embedded`): import each ES module, take
 * the declared export, check that it is a function registry of `@statefun-ts/sdk`, and check that
 * no function type is bound twice, by two modules or by a module and a remote endpoint. Every
 * problem is reported with the file and document that declared the module.
 */
import { pathToFileURL } from "node:url";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import { isStatefulFunctions } from "@statefun-ts/sdk";
import type { ConfigProblem } from "../config/module/problems.js";
import type {
  EmbeddedModuleDefinition,
  HttpEndpointDefinition,
  SourceLocation,
} from "../config/module/types.js";

/** The registries of the embedded modules, in declaration order, or the problems found. */
export interface LoadedEmbeddedModules {
  readonly registries: readonly StatefulFunctions[];
  readonly problems: readonly ConfigProblem[];
  /** The first error thrown by an import, for the `cause` of the configuration error. */
  readonly cause: unknown;
}

const REGISTRY_EXPECTED =
  "an export holding a function registry made with createStatefulFunctions() of @statefun-ts/sdk";

function problemAt(
  definition: EmbeddedModuleDefinition,
  path: string,
  expected: string,
  found: string,
): ConfigProblem {
  return {
    file: definition.source.file,
    document: definition.source.documentIndex + 1,
    kind: definition.kind,
    path,
    expected,
    found,
    line: undefined,
    column: undefined,
  };
}

function where(source: SourceLocation): string {
  return `${source.file}: document ${source.documentIndex + 1}`;
}

/** Describes an export's value for a message: `undefined`, `an object with keys a, b`, ... */
function describeExport(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "function") return "a function (export the registry, not a factory)";
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.join(", ")}`;
  }
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

function describeExports(namespace: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(namespace);
  return names.length === 0
    ? "the module has no exports"
    : `the module exports: ${names.join(", ")}`;
}

async function importModule(
  definition: EmbeddedModuleDefinition,
): Promise<
  | { readonly namespace: Readonly<Record<string, unknown>> }
  | { readonly problem: ConfigProblem; readonly error: unknown }
> {
  try {
    const namespace = (await import(pathToFileURL(definition.modulePath).href)) as Record<
      string,
      unknown
    >;
    return { namespace };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const found = `${definition.modulePath}, whose import failed: ${reason}`;
    return {
      problem: problemAt(definition, "spec.module", "an importable ES module", found),
      error,
    };
  }
}

/**
 * Imports every embedded module (one after the other, in declaration order) and takes its
 * registry. Problems: an import that throws (`spec.module`, with the error as cause), an export
 * that is missing or not a registry (`spec.export`, listing what the module exports), and a
 * function type bound by two modules (naming both) or by a module and an HTTP endpoint's exact
 * function type. A type within an endpoint's namespace pattern is fine: the exact binding wins.
 */
export async function loadEmbeddedModules(
  definitions: readonly EmbeddedModuleDefinition[],
  endpoints: readonly HttpEndpointDefinition[],
): Promise<LoadedEmbeddedModules> {
  const registries: StatefulFunctions[] = [];
  const problems: ConfigProblem[] = [];
  let cause: unknown;
  const boundBy = new Map<string, EmbeddedModuleDefinition>();
  for (const definition of definitions) {
    const imported = await importModule(definition);
    if ("problem" in imported) {
      problems.push(imported.problem);
      cause ??= imported.error;
      continue;
    }
    const { exportName, modulePath } = definition;
    const value = imported.namespace[exportName];
    if (!isStatefulFunctions(value)) {
      const found =
        `export ${exportName} of ${modulePath} is ${describeExport(value)}; ` +
        describeExports(imported.namespace);
      problems.push(problemAt(definition, "spec.export", REGISTRY_EXPECTED, found));
      continue;
    }
    registries.push(value);
    for (const { typename } of value.list()) {
      const earlier = boundBy.get(typename);
      if (earlier === undefined) {
        boundBy.set(typename, definition);
        continue;
      }
      const found =
        `${typename}, bound by export ${exportName} of ${modulePath} and also by export ` +
        `${earlier.exportName} of ${earlier.modulePath} (${where(earlier.source)})`;
      problems.push(
        problemAt(definition, "spec.module", "function types bound by one module only", found),
      );
    }
  }
  for (const endpoint of endpoints) {
    const { namespace, name } = endpoint.functions;
    const module = name === undefined ? undefined : boundBy.get(`${namespace}/${name}`);
    if (module === undefined) continue;
    const found =
      `${namespace}/${name}, also bound by export ${module.exportName} of ${module.modulePath} ` +
      `(${where(module.source)})`;
    problems.push({
      file: endpoint.source.file,
      document: endpoint.source.documentIndex + 1,
      kind: endpoint.kind,
      path: "spec.functions",
      expected: "a function type not bound by an embedded module",
      found,
      line: undefined,
      column: undefined,
    });
  }
  return { registries, problems, cause };
}
