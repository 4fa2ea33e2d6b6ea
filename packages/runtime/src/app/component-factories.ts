/**
 * The registry of component factories an application is assembled with: one factory per ingress
 * kind, one per egress kind, and at most one factory of the provider of remote function
 * endpoints. Connector packages add their kinds here; the built-in registry knows the playground
 * ingress and egress. Building components from definitions reports a kind without a factory as a
 * configuration problem, never by throwing half-way.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { Clock } from "../core/clock.js";
import type { FunctionProvider } from "../core/function-invoker.js";
import type { ConfigProblem } from "../config/module/problems.js";
import { PLAYGROUND_EGRESS_KIND, PLAYGROUND_INGRESS_KIND } from "../config/module/playground.js";
import type {
  EgressDefinition,
  EgressDefinitionsByKind,
  HttpEndpointDefinition,
  IngressDefinition,
  IngressDefinitionsByKind,
  SourceLocation,
} from "../config/module/types.js";
import type { Egress } from "../io/egress.js";
import type { Ingress } from "../io/ingress.js";
import { createPlaygroundEgress } from "../io/playground/egress.js";
import { createPlaygroundIngress } from "../io/playground/ingress.js";
import { createHttpEndpointProvider } from "../remote/endpoint-provider.js";
import type { Logger } from "../observability/logger.js";

/** What a factory may use while building a component. */
export interface ComponentContext {
  /** The application's logger. */
  readonly logger: Logger;
  /** The application's time source. */
  readonly clock: Clock;
}

/** Builds the ingress of one definition. Must not open sockets: that is `Ingress.start`'s job. */
export type IngressFactory = (definition: IngressDefinition, context: ComponentContext) => Ingress;

/** Builds the egress of one definition. Must not open sockets: that is `Egress.start`'s job. */
export type EgressFactory = (definition: EgressDefinition, context: ComponentContext) => Egress;

/** The provider of remote functions; `close`, when present, is called after the runtime stopped. */
export interface EndpointProvider extends FunctionProvider {
  /** Releases what the provider holds (connection pools). */
  close?(): Promise<void>;
}

/**
 * Builds the provider of every remote function endpoint of the application (all endpoints at
 * once, in declaration order, so that it can share connection pools between them).
 */
export type EndpointProviderFactory = (
  endpoints: readonly HttpEndpointDefinition[],
  context: ComponentContext,
) => EndpointProvider;

/** The factories an application is assembled with, keyed by module.yaml `kind`. */
export interface ComponentFactories {
  /** Ingress factories by kind (e.g. `io.statefun.playground.v1/ingress`). */
  readonly ingressFactories: ReadonlyMap<string, IngressFactory>;
  /** Egress factories by kind (e.g. `io.statefun.playground.v1/egress`). */
  readonly egressFactories: ReadonlyMap<string, EgressFactory>;
  /**
   * The provider of remote endpoints. When absent, an application that declares an endpoint
   * fails to assemble with an `invalid-config` error.
   */
  readonly endpointProviderFactory?: EndpointProviderFactory;
}

/**
 * Wraps a factory of one ingress kind so that it can sit in {@link ComponentFactories}: the
 * wrapper receives any ingress definition, checks the kind, and hands the narrowed definition on.
 */
export function ingressFactoryOf<K extends keyof IngressDefinitionsByKind>(
  kind: K,
  create: (definition: IngressDefinitionsByKind[K], context: ComponentContext) => Ingress,
): IngressFactory {
  return (definition, context) => {
    if (definition.kind !== kind) throw misrouted("ingress", kind, definition.kind);
    // Unnecessary while the playground is the only kind; connector packages widen the union.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    return create(definition as IngressDefinitionsByKind[K], context);
  };
}

/** The egress counterpart of {@link ingressFactoryOf}. */
export function egressFactoryOf<K extends keyof EgressDefinitionsByKind>(
  kind: K,
  create: (definition: EgressDefinitionsByKind[K], context: ComponentContext) => Egress,
): EgressFactory {
  return (definition, context) => {
    if (definition.kind !== kind) throw misrouted("egress", kind, definition.kind);
    // Unnecessary while the playground is the only kind; connector packages widen the union.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    return create(definition as EgressDefinitionsByKind[K], context);
  };
}

function misrouted(category: string, expected: string, found: string): StatefunError {
  return new StatefunError(
    "illegal-state",
    `the ${category} factory of kind ${expected} was given a definition of kind ${found}`,
  );
}

/**
 * The built-in factories: the playground ingress and egress (bound to all interfaces, as the
 * official playground). No endpoint provider: register one to serve remote endpoints. Returns a
 * fresh registry each time; extend it by copying its maps.
 */
export function builtinComponentFactories(): ComponentFactories {
  return {
    ingressFactories: new Map([
      [
        PLAYGROUND_INGRESS_KIND,
        ingressFactoryOf(PLAYGROUND_INGRESS_KIND, (definition) =>
          createPlaygroundIngress({ port: definition.port }),
        ),
      ],
    ]),
    egressFactories: new Map([
      [
        PLAYGROUND_EGRESS_KIND,
        egressFactoryOf(PLAYGROUND_EGRESS_KIND, (definition) =>
          createPlaygroundEgress({ port: definition.port, topics: definition.topics }),
        ),
      ],
    ]),
    endpointProviderFactory: (endpoints, context) =>
      createHttpEndpointProvider(endpoints, { logger: context.logger }),
  };
}

/** The components built from a module definition. */
export interface BuiltComponents {
  readonly ingresses: readonly Ingress[];
  readonly egresses: readonly Egress[];
  readonly providers: readonly EndpointProvider[];
}

/** The component definitions of a module definition. */
interface ComponentDefinitions {
  readonly ingresses: readonly IngressDefinition[];
  readonly egresses: readonly EgressDefinition[];
  readonly endpoints: readonly HttpEndpointDefinition[];
}

function noFactory(source: SourceLocation, kind: string, what: string): ConfigProblem {
  return {
    file: source.file,
    document: source.documentIndex + 1,
    kind,
    path: "kind",
    expected: `a kind with a registered ${what} factory`,
    found: `no ${what} factory for ${kind}`,
    line: undefined,
    column: undefined,
  };
}

/**
 * Reports every ingress and egress whose kind has no factory, and the first remote endpoint
 * when there are endpoints but no endpoint provider factory.
 */
export function findMissingFactories(
  definitions: ComponentDefinitions,
  factories: ComponentFactories,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { kind, source } of definitions.ingresses) {
    if (!factories.ingressFactories.has(kind)) problems.push(noFactory(source, kind, "ingress"));
  }
  for (const { kind, source } of definitions.egresses) {
    if (!factories.egressFactories.has(kind)) problems.push(noFactory(source, kind, "egress"));
  }
  const [firstEndpoint] = definitions.endpoints;
  if (firstEndpoint !== undefined && factories.endpointProviderFactory === undefined) {
    problems.push({
      ...noFactory(firstEndpoint.source, firstEndpoint.kind, "remote endpoint provider"),
      expected: "a registered remote endpoint provider factory",
      found: "none, so the functions of remote endpoints cannot be invoked",
    });
  }
  return problems;
}

function factoryOf<F>(registry: ReadonlyMap<string, F>, kind: string): F {
  const factory = registry.get(kind);
  if (factory === undefined) {
    throw new StatefunError(
      "illegal-state",
      `no factory for ${kind}; check findMissingFactories first`,
    );
  }
  return factory;
}

/**
 * Builds ingresses, egresses and (when there are endpoints) the remote endpoint provider with
 * `factories`. Call {@link findMissingFactories} first. Errors thrown by factories (invalid
 * options) propagate; a provider built before such an error is closed first.
 */
export async function buildComponents(
  definitions: ComponentDefinitions,
  factories: ComponentFactories,
  context: ComponentContext,
): Promise<BuiltComponents> {
  const providerFactory = factories.endpointProviderFactory;
  const providers =
    definitions.endpoints.length === 0 || providerFactory === undefined
      ? []
      : [providerFactory(definitions.endpoints, context)];
  try {
    return {
      ingresses: definitions.ingresses.map((d) =>
        factoryOf(factories.ingressFactories, d.kind)(d, context),
      ),
      egresses: definitions.egresses.map((d) =>
        factoryOf(factories.egressFactories, d.kind)(d, context),
      ),
      providers,
    };
  } catch (error) {
    await closeProviders(providers);
    throw error;
  }
}

/** Closes providers that have a `close`, one after the other. */
export async function closeProviders(providers: readonly EndpointProvider[]): Promise<void> {
  for (const provider of providers) await provider.close?.();
}
