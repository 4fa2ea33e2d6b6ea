/**
 * Parses one module file's multi-document YAML stream: YAML syntax, the `kind`/`spec` envelope
 * of each document, and dispatch of each spec to its binder. Every problem is collected with its
 * location (file, document, field path, line and column); nothing is thrown for bad input.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { LineCounter, isNode, parseAllDocuments } from "yaml";
import type { Document, YAMLError } from "yaml";
import type { ComponentBinder, SpecContext } from "./binder.js";
import { validateSpec, valueAt } from "./fields.js";
import { describeValue, formatPath } from "./problems.js";
import type { ConfigProblem, FieldPath } from "./problems.js";
import type {
  EgressDefinition,
  EmbeddedModuleDefinition,
  HttpEndpointDefinition,
  IngressDefinition,
} from "./types.js";

/** Everything gathered while parsing module files, in order. */
export interface ModuleAccumulator {
  readonly problems: ConfigProblem[];
  readonly warnings: string[];
  readonly endpoints: HttpEndpointDefinition[];
  readonly ingresses: IngressDefinition[];
  readonly egresses: EgressDefinition[];
  readonly embeddedModules: EmbeddedModuleDefinition[];
  /** Endpoint and embedded documents seen, valid or not. */
  declaredProviders: number;
}

/** Creates an empty accumulator. */
export function createAccumulator(): ModuleAccumulator {
  return {
    problems: [],
    warnings: [],
    endpoints: [],
    ingresses: [],
    egresses: [],
    embeddedModules: [],
    declaredProviders: 0,
  };
}

/** Where a stream comes from and what parsing it may use. */
export interface StreamSource {
  /** The file as the user named it (for messages). */
  readonly file: string;
  /** Absolute directory of the file. */
  readonly baseDir: string;
  readonly binders: ReadonlyMap<string, ComponentBinder>;
  readonly fileExists: (absolutePath: string) => boolean;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses the YAML stream `text` into `into`. */
export function parseModuleStream(
  text: string,
  source: StreamSource,
  into: ModuleAccumulator,
): void {
  const lineCounter = new LineCounter();
  // `merge: true`: `<<` merge keys, as SnakeYAML (used by StateFun) reads them.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  const yamlProblem = (error: YAMLError, document: number | undefined): ConfigProblem => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return {
      file: source.file,
      document,
      kind: undefined,
      path: "",
      expected: "valid YAML",
      found: `a syntax error: ${error.message}`,
      line,
      column: col,
    };
  };
  if ("empty" in documents) {
    into.problems.push(...documents.errors.map((error) => yamlProblem(error, undefined)));
    return;
  }
  documents.forEach((document, documentIndex) => {
    if (document.errors.length > 0) {
      into.problems.push(...document.errors.map((error) => yamlProblem(error, documentIndex + 1)));
      return;
    }
    parseDocument(document, documentIndex, lineCounter, source, into);
  });
}

function parseDocument(
  document: Document.Parsed,
  documentIndex: number,
  lineCounter: LineCounter,
  source: StreamSource,
  into: ModuleAccumulator,
): void {
  let kind: string | undefined;
  const prefix = (): string =>
    `${source.file}: document ${documentIndex + 1}${kind === undefined ? "" : ` (kind ${kind})`}`;
  const report = (path: FieldPath, expected: string, found: string, hint?: string): void => {
    const position = positionOf(document, path, lineCounter);
    into.problems.push({
      file: source.file,
      document: documentIndex + 1,
      kind,
      path: formatPath(path),
      expected,
      found,
      line: position?.line,
      column: position?.col,
      ...(hint === undefined ? {} : { hint }),
    });
  };
  for (const warning of document.warnings) {
    into.warnings.push(`${prefix()}: YAML: ${warning.message}`);
  }

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    report([], "valid YAML", `an unusable document: ${(error as Error).message}`);
    return;
  }
  if (value === null || value === undefined) return; // null and empty documents are skipped
  if (!isMapping(value)) {
    report([], "a mapping with the keys kind and spec", describeValue(value));
    return;
  }
  const { kind: kindValue, spec } = value;
  const binder = typeof kindValue === "string" ? source.binders.get(kindValue) : undefined;
  if (typeof kindValue !== "string") {
    report(
      ["kind"],
      "a component kind such as io.statefun.endpoints.v2/http",
      describeValue(kindValue),
    );
  } else if (binder === undefined) {
    const known = [...source.binders.keys()].sort().join(", ");
    report(["kind"], `a known component kind (one of: ${known})`, describeValue(kindValue));
  } else {
    kind = kindValue;
  }
  if (!isMapping(spec)) {
    report(["spec"], "a mapping with the component's settings", describeValue(spec));
    return;
  }
  if (binder === undefined || kind === undefined) return;

  const problemsBefore = into.problems.length;
  const at: SpecContext = {
    source: { file: source.file, documentIndex },
    kind,
    baseDir: source.baseDir,
    validate(schema) {
      const result = validateSpec(schema, spec);
      if (result.ok) return result.value;
      for (const { path, expected, found, hint } of result.issues) {
        report(["spec", ...path], expected, found, hint);
      }
      return undefined;
    },
    problem(path, expected, found) {
      report(["spec", ...path], expected, found ?? describeValue(valueAt(spec, path)));
    },
    warn(path, message) {
      const field = formatPath(["spec", ...path]);
      into.warnings.push(`${prefix()}: ${field}: ${message}`);
    },
    fileExists: source.fileExists,
  };
  let accepted = false;
  try {
    accepted = bind(binder, spec, at, into);
  } catch (error) {
    if (!(error instanceof StatefunError)) throw error;
    report(["spec"], `a spec accepted by the ${kind} binder`, error.message);
  }
  if (!accepted && into.problems.length === problemsBefore) {
    report(["spec"], `a spec accepted by the ${kind} binder`, "a spec it rejected");
  }
}

/**
 * The 1-based position of the node at `path`, or of its nearest existing ancestor when the
 * field is missing (that is where it must be added); `undefined` for an empty document.
 */
function positionOf(
  document: Document.Parsed,
  path: FieldPath,
  lineCounter: LineCounter,
): { line: number; col: number } | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
  }
  return undefined;
}

/** Runs the binder and files its definition by category; false when it produced none. */
function bind(
  binder: ComponentBinder,
  spec: Record<string, unknown>,
  at: SpecContext,
  into: ModuleAccumulator,
): boolean {
  const add = <T>(list: T[], definition: T | undefined): boolean => {
    if (definition !== undefined) list.push(definition);
    return definition !== undefined;
  };
  switch (binder.category) {
    case "endpoint":
      into.declaredProviders += 1;
      return add(into.endpoints, binder.parse(spec, at));
    case "embedded":
      into.declaredProviders += 1;
      return add(into.embeddedModules, binder.parse(spec, at));
    case "ingress":
      return add(into.ingresses, binder.parse(spec, at));
    case "egress":
      return add(into.egresses, binder.parse(spec, at));
  }
}
