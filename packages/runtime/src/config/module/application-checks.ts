/**
 * Checks that span documents and files: unique ingress ids, egress ids, exact function types,
 * namespace patterns and embedded modules, and the presence of at least one function provider.
 */
import type { ConfigProblem } from "./problems.js";
import type { ModuleDefinition, SourceLocation } from "./types.js";

interface Located {
  readonly source: SourceLocation;
  readonly kind: string;
}

function where(source: SourceLocation): string {
  return `${source.file}: document ${source.documentIndex + 1}`;
}

/**
 * Reports every component whose key (from `keyOf`, worded for the message) was already taken by
 * an earlier one, naming both locations. Components with an `undefined` key are skipped.
 */
function duplicates<T extends Located>(
  components: readonly T[],
  keyOf: (component: T) => string | undefined,
  path: string,
  expected: string,
): ConfigProblem[] {
  const first = new Map<string, T>();
  const problems: ConfigProblem[] = [];
  for (const component of components) {
    const key = keyOf(component);
    if (key === undefined) continue;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, component);
      continue;
    }
    problems.push({
      file: component.source.file,
      document: component.source.documentIndex + 1,
      kind: component.kind,
      path,
      expected,
      found: `${key}, already declared in ${where(earlier.source)}`,
      line: undefined,
      column: undefined,
    });
  }
  return problems;
}

/** Problems of duplicate ids, function types, namespace patterns and embedded modules. */
export function findDuplicates(definition: ModuleDefinition): ConfigProblem[] {
  const { endpoints, ingresses, egresses, embeddedModules } = definition;
  return [
    ...duplicates(ingresses, (i) => `ingress id "${i.id}"`, "", "a unique ingress id"),
    ...duplicates(egresses, (e) => `egress id "${e.id}"`, "", "a unique egress id"),
    ...duplicates(
      endpoints,
      ({ functions: { namespace, name } }) =>
        name === undefined ? undefined : `function type "${namespace}/${name}"`,
      "spec.functions",
      "a function type served by only one endpoint",
    ),
    ...duplicates(
      endpoints,
      ({ functions: { namespace, name } }) =>
        name === undefined ? `namespace pattern "${namespace}/*"` : undefined,
      "spec.functions",
      "a namespace pattern served by only one endpoint",
    ),
    ...duplicates(
      embeddedModules,
      (m) => `export "${m.exportName}" of ${m.modulePath}`,
      "spec.module",
      "an embedded module export declared once",
    ),
  ];
}

/** The phrase for an application without functions. */
export const NO_PROVIDER_EXPECTED =
  "at least one function provider: an io.statefun.endpoints.v2/http or " +
  "io.statefun.endpoints.v1/http endpoint, or an io.statefun-ts.v1/embedded module";

/**
 * The problem of an application that declares no function provider, or `undefined`.
 * `declaredProviders` counts provider documents, valid or not, so that an endpoint with a
 * problem of its own does not also cause this one.
 *
 * Deliberate deviation from the JVM runtime (rough edge §8.20, "There are no ingress
 * defined."): an application without any ingress is accepted. It is useful in tests and for
 * applications whose messages come from the runtime's programmatic API; a module that needs an
 * ingress fails visibly anyway, because nothing reaches its functions.
 */
export function findMissingProvider(
  files: readonly string[],
  declaredProviders: number,
): ConfigProblem | undefined {
  if (declaredProviders > 0) return undefined;
  return {
    file: files.join(", "),
    document: undefined,
    kind: undefined,
    path: "",
    expected: NO_PROVIDER_EXPECTED,
    found: "none",
    line: undefined,
    column: undefined,
  };
}
