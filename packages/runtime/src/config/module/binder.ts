/**
 * Component binders: one per module.yaml `kind`, turning a document's `spec` into a resolved
 * definition. The built-in kinds are registered by the loader; connector packages (Kafka, NATS)
 * pass their own binders to `loadModules`.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { ZodType } from "zod";
import type { FieldPath } from "./problems.js";
import type {
  EgressDefinition,
  EmbeddedModuleDefinition,
  HttpEndpointDefinition,
  IngressDefinition,
  SourceLocation,
} from "./types.js";

/** What a component contributes to the application. */
export type ComponentCategory = "endpoint" | "ingress" | "egress" | "embedded";

/**
 * What a binder may use while parsing one document's spec. Problems are reported, not thrown,
 * so that one load reports every problem of every file at once.
 */
export interface SpecContext {
  /** Where the document is. */
  readonly source: SourceLocation;
  /** The document's `kind`. */
  readonly kind: string;
  /** Absolute directory of the module file; relative paths in the spec resolve against it. */
  readonly baseDir: string;
  /**
   * Validates the document's whole `spec` with a zod schema. Every issue is reported as a
   * problem (the schema's error message is the *expected* phrase); returns `undefined` if any.
   */
  validate<T>(schema: ZodType<T>): T | undefined;
  /**
   * Reports a problem at `path` (relative to `spec`). `found` defaults to a description of the
   * YAML value at that path.
   */
  problem(path: FieldPath, expected: string, found?: string): void;
  /** Records a warning about an accepted but surprising setting at `path` (relative to `spec`). */
  warn(path: FieldPath, message: string): void;
  /** True when `absolutePath` names an existing regular file. */
  fileExists(absolutePath: string): boolean;
}

interface BinderOf<Category extends ComponentCategory, Definition> {
  /** The module.yaml `kind` handled, e.g. `io.statefun.kafka.v1/ingress`. */
  readonly kind: string;
  /** What the definitions contribute. */
  readonly category: Category;
  /**
   * Parses and resolves a spec (already known to be a mapping). Returns `undefined` after
   * reporting problems through `at`; a returned definition must carry `source: at.source`.
   */
  parse(spec: Readonly<Record<string, unknown>>, at: SpecContext): Definition | undefined;
}

/** A binder of remote function endpoints. */
export type EndpointBinder = BinderOf<"endpoint", HttpEndpointDefinition>;
/**
 * A binder of ingresses. Its definition kind must be declared in `IngressDefinitionsByKind`
 * (module augmentation) so that it belongs to {@link IngressDefinition}.
 */
export type IngressBinder = BinderOf<"ingress", IngressDefinition>;
/** A binder of egresses; its kind is declared in `EgressDefinitionsByKind`. */
export type EgressBinder = BinderOf<"egress", EgressDefinition>;
/** A binder of embedded function modules. */
export type EmbeddedBinder = BinderOf<"embedded", EmbeddedModuleDefinition>;

/** A component binder: handles one `kind`, produces definitions of one category. */
export type ComponentBinder = EndpointBinder | IngressBinder | EgressBinder | EmbeddedBinder;

/**
 * Indexes binders by kind.
 *
 * @throws StatefunError `invalid-argument` when two binders claim the same kind.
 */
export function indexBinders(
  binders: readonly ComponentBinder[],
): ReadonlyMap<string, ComponentBinder> {
  const byKind = new Map<string, ComponentBinder>();
  for (const binder of binders) {
    if (byKind.has(binder.kind)) {
      throw new StatefunError(
        "invalid-argument",
        `two component binders handle the kind ${JSON.stringify(binder.kind)}; expected one`,
        { details: { kind: binder.kind } },
      );
    }
    byKind.set(binder.kind, binder);
  }
  return byKind;
}
