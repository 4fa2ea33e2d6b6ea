/**
 * Parses one module file's multi-document YAML stream: YAML syntax, the `kind`/`spec` envelope
 * of each document (or StateFun's older single-root format of version 3.0), and dispatch of each
 * spec to its binder. Every problem is collected with its location (file, document, field path,
 * line and column); nothing is thrown for bad input.
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
    parseDocument(document, documentIndex, lineCounter, source, into, documents.length === 1);
  });
}

/** Where a document's parts are reported. */
interface DocumentSite {
  readonly document: Document.Parsed;
  readonly documentIndex: number;
  readonly lineCounter: LineCounter;
  readonly source: StreamSource;
  readonly into: ModuleAccumulator;
}

/** Reports a problem at `path` (from the document's root) of the component of kind `kind`. */
type Report = (
  kind: string | undefined,
  path: FieldPath,
  expected: string,
  found: string,
  hint?: string,
) => void;

function reporter(site: DocumentSite): Report {
  const { document, documentIndex, lineCounter, source, into } = site;
  return (kind, path, expected, found, hint) => {
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
}

function parseDocument(
  document: Document.Parsed,
  documentIndex: number,
  lineCounter: LineCounter,
  source: StreamSource,
  into: ModuleAccumulator,
  single: boolean,
): void {
  const site: DocumentSite = { document, documentIndex, lineCounter, source, into };
  const report = reporter(site);
  for (const warning of document.warnings) {
    into.warnings.push(`${source.file}: document ${documentIndex + 1}: YAML: ${warning.message}`);
  }

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    report(undefined, [], "valid YAML", `an unusable document: ${(error as Error).message}`);
    return;
  }
  if (value === null || value === undefined) return; // null and empty documents are skipped
  if (!isMapping(value)) {
    report(undefined, [], "a mapping with the keys kind and spec", describeValue(value));
    return;
  }
  // StateFun's single-root format of version 3.0: one document with a version and no kind.
  if (single && "version" in value && !("kind" in value)) {
    parseLegacyModule(value, site, report);
    return;
  }
  const kindValue = value.kind;
  if (typeof kindValue !== "string") {
    report(
      undefined,
      ["kind"],
      "a component kind such as io.statefun.endpoints.v2/http",
      describeValue(kindValue),
    );
  }
  parseComponent(kindValue, value.spec, { kind: ["kind"], spec: ["spec"] }, site, report);
}

/** The paths of a component's kind and spec, from the document's root. */
interface ComponentPaths {
  readonly kind: FieldPath;
  readonly spec: FieldPath;
}

/** Binds one component: a known `kind` (a string, checked already) and a mapping `spec`. */
function parseComponent(
  kindValue: unknown,
  spec: unknown,
  paths: ComponentPaths,
  site: DocumentSite,
  report: Report,
): void {
  const { source, into, documentIndex } = site;
  const binder = typeof kindValue === "string" ? source.binders.get(kindValue) : undefined;
  let kind: string | undefined;
  if (typeof kindValue === "string" && binder === undefined) {
    const known = [...source.binders.keys()].sort().join(", ");
    report(
      undefined,
      paths.kind,
      `a known component kind (one of: ${known})`,
      describeValue(kindValue),
    );
  } else if (binder !== undefined) {
    kind = kindValue as string;
  }
  if (!isMapping(spec)) {
    report(kind, paths.spec, "a mapping with the component's settings", describeValue(spec));
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
        report(kind, [...paths.spec, ...path], expected, found, hint);
      }
      return undefined;
    },
    problem(path, expected, found) {
      report(kind, [...paths.spec, ...path], expected, found ?? describeValue(valueAt(spec, path)));
    },
    warn(path, message) {
      const field = formatPath([...paths.spec, ...path]);
      into.warnings.push(
        `${source.file}: document ${documentIndex + 1} (kind ${kind}): ${field}: ${message}`,
      );
    },
    fileExists: source.fileExists,
  };
  let accepted = false;
  try {
    accepted = bind(binder, spec, at, into);
  } catch (error) {
    if (!(error instanceof StatefunError)) throw error;
    report(kind, paths.spec, `a spec accepted by the ${kind} binder`, error.message);
  }
  if (!accepted && into.problems.length === problemsBefore) {
    report(kind, paths.spec, `a spec accepted by the ${kind} binder`, "a spec it rejected");
  }
}

/** Kinds of StateFun's version 3.0 format, and the kinds that replaced them. */
const LEGACY_KINDS: Readonly<Record<string, string>> = {
  http: "io.statefun.endpoints.v1/http",
  "io.statefun.kafka/ingress": "io.statefun.kafka.v1/ingress",
  "io.statefun.kafka/egress": "io.statefun.kafka.v1/egress",
  "io.statefun.kinesis/ingress": "io.statefun.kinesis.v1/ingress",
  "io.statefun.kinesis/egress": "io.statefun.kinesis.v1/egress",
};

/** The lists of a version 3.0 module: where each lists its components, and how they are named. */
const LEGACY_LISTS = [
  { list: "endpoints", item: "endpoint", kindKey: "kind", withId: false },
  { list: "ingresses", item: "ingress", kindKey: "type", withId: true },
  { list: "egresses", item: "egress", kindKey: "type", withId: true },
] as const;

/**
 * StateFun's single-root format of version 3.0 (`version: "3.0"`, `module.meta.type: remote`,
 * `module.spec.{endpoints,ingresses,egresses}`): each component is bound as the document of its
 * current kind would be (legacy kinds renamed, an ingress's or egress's `meta.id` as its
 * `spec.id`), endpoints first, then ingresses, then egresses.
 */
function parseLegacyModule(
  root: Record<string, unknown>,
  site: DocumentSite,
  report: Report,
): void {
  const version = root.version;
  if (version !== "3.0") {
    const found =
      typeof version === "number"
        ? `a number (write it as the string "${version.toFixed(1)}")`
        : version === "1.0" || version === "2.0"
          ? `${JSON.stringify(version)}, a version no longer supported`
          : describeValue(version);
    report(undefined, ["version"], 'the string "3.0" (the single-root module format)', found);
    return;
  }
  const module = isMapping(root.module) ? root.module : undefined;
  const meta = isMapping(module?.meta) ? module.meta : undefined;
  const type = meta?.type;
  if (typeof type !== "string" || type.toLowerCase() !== "remote") {
    report(undefined, ["module", "meta", "type"], '"remote"', describeValue(type));
  }
  const spec = module?.spec;
  if (!isMapping(spec)) {
    report(
      undefined,
      ["module", "spec"],
      "a mapping with endpoints, ingresses and egresses",
      describeValue(spec),
    );
    return;
  }
  for (const { list, item, kindKey, withId } of LEGACY_LISTS) {
    const components = spec[list];
    const listPath = ["module", "spec", list];
    if (components === undefined || components === null) continue;
    if (!Array.isArray(components)) {
      report(undefined, listPath, `a list of ${item} entries`, describeValue(components));
      continue;
    }
    components.forEach((entry: unknown, index) => {
      const itemPath = [...listPath, index, item];
      const component = isMapping(entry) ? entry[item] : undefined;
      if (!isMapping(component)) {
        report(undefined, itemPath, `a mapping with meta and spec`, describeValue(component));
        return;
      }
      const componentMeta = isMapping(component.meta) ? component.meta : {};
      const legacyKind = componentMeta[kindKey];
      const kindPath = [...itemPath, "meta", kindKey];
      if (typeof legacyKind !== "string") {
        report(
          undefined,
          kindPath,
          `the ${item}'s ${kindKey}, such as ${item === "endpoint" ? "http" : `io.statefun.kafka/${item}`}`,
          describeValue(legacyKind),
        );
        return;
      }
      let componentSpec = component.spec;
      if (withId) {
        const id = componentMeta.id;
        if (typeof id !== "string") {
          report(
            undefined,
            [...itemPath, "meta", "id"],
            `the ${item}'s id, such as example/names`,
            describeValue(id),
          );
          return;
        }
        if (isMapping(componentSpec)) componentSpec = { ...componentSpec, id };
      }
      const kind = LEGACY_KINDS[legacyKind] ?? legacyKind;
      parseComponent(
        kind,
        componentSpec,
        { kind: kindPath, spec: [...itemPath, "spec"] },
        site,
        report,
      );
    });
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
