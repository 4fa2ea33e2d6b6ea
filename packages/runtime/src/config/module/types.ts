/**
 * The parsed and resolved model of an application's module.yaml files: every default filled in,
 * every duration in milliseconds, every relative path made absolute. Produced by the loader and
 * read by the runtime; nothing here refers back to YAML.
 */

/** Where a component was declared. */
export interface SourceLocation {
  /** The module file as the user named it (a path or a `file://` URL); used in messages. */
  readonly file: string;
  /** 0-based index of the YAML document in the file's stream (messages print it 1-based). */
  readonly documentIndex: number;
}

/**
 * The function types an endpoint serves: one exact type (`<namespace>/<name>`) or every type of a
 * namespace (`<namespace>/*`, then `name` is `undefined`).
 */
export interface FunctionPattern {
  /** The namespace; never contains `*`. */
  readonly namespace: string;
  /** The exact name, or `undefined` for the whole namespace; never contains `*`. */
  readonly name: string | undefined;
}

/** TLS settings of the async transport. Values are passed on as written (file paths or URLs). */
export interface TlsOptions {
  /** `trust_cacerts`: CA certificates to trust instead of the defaults. */
  readonly trustCaCerts: string | undefined;
  /** `client_cert`: client certificate for mutual TLS; set together with `clientKey`. */
  readonly clientCert: string | undefined;
  /** `client_key`: PKCS8 client key for mutual TLS; set together with `clientCert`. */
  readonly clientKey: string | undefined;
  /** `client_key_password`: a file containing the client key's password. */
  readonly clientKeyPassword: string | undefined;
}

/** The async transport (`io.statefun.transports.v1/async`), StateFun's default for v2 endpoints. */
export interface AsyncTransportOptions {
  readonly type: "async";
  /** Total budget of one call, retries included, in ms. Default 2 min (1 min under `timeouts`). */
  readonly callTimeoutMs: number;
  /** Connect (and pool-acquire) timeout in ms. Default 20 s (10 s under `timeouts`). */
  readonly connectTimeoutMs: number;
  /** Idle/lifetime TTL of pooled connections in ms; 0 disables. Default 15 s. */
  readonly poolTtlMs: number;
  /** Maximum connections per function type. Default 1024. */
  readonly poolSize: number;
  /** Maximum size of a response in bytes. Default 33554432 (32 MiB). */
  readonly payloadMaxBytes: number;
  /** TLS settings, or `undefined` when none of the TLS fields is set. */
  readonly tls: TlsOptions | undefined;
}

/** The OkHttp transport (`io.statefun.transports.v1/okhttp`); always used by v1 endpoints. */
export interface OkHttpTransportOptions {
  readonly type: "okhttp";
  /** Timeout of one attempt in ms. Default 1 min. */
  readonly callTimeoutMs: number;
  /** Connect timeout in ms, at most `callTimeoutMs`. Default 10 s. */
  readonly connectTimeoutMs: number;
  /**
   * Read timeout in ms, at most `callTimeoutMs`. Default 10 s. Like every timeout over 1 s, it
   * fires up to about 0.5 s late (the HTTP client's timers check every half second).
   */
  readonly readTimeoutMs: number;
  /** Write timeout in ms, at most `callTimeoutMs`. Default 10 s. */
  readonly writeTimeoutMs: number;
}

/** The HTTP transport of an endpoint. */
export type TransportOptions = AsyncTransportOptions | OkHttpTransportOptions;

/** A remote function endpoint (`io.statefun.endpoints.v2/http` or `.v1/http`). */
export interface HttpEndpointDefinition {
  readonly kind: "io.statefun.endpoints.v2/http" | "io.statefun.endpoints.v1/http";
  readonly source: SourceLocation;
  /** The function types served. */
  readonly functions: FunctionPattern;
  /** The URL, possibly with the `{function.name}` placeholder, as written. */
  readonly urlPathTemplate: string;
  /** Per-address backlog bound; ≤ 0 disables backpressure. Default 1000. */
  readonly maxNumBatchRequests: number;
  /** The HTTP transport. */
  readonly transport: TransportOptions;
}

/** The playground ingress: HTTP on `spec.port`, path `/<namespace>/<type>/<id>`. */
export interface PlaygroundIngressDefinition {
  readonly kind: "io.statefun.playground.v1/ingress";
  /** Fixed by StateFun, so an application has at most one. */
  readonly id: "io.statefun.playground/ingress";
  readonly source: SourceLocation;
  /** TCP port, 1..65535, or 0 for an ephemeral port (a statefun-ts extension for tests). */
  readonly port: number;
}

/** The playground egress: HTTP on `spec.port`, `GET /<topic>` pops the oldest record. */
export interface PlaygroundEgressDefinition {
  readonly kind: "io.statefun.playground.v1/egress";
  /** Fixed by StateFun, so an application has at most one. */
  readonly id: "io.statefun.playground/egress";
  readonly source: SourceLocation;
  /** TCP port, 1..65535, or 0 for an ephemeral port (a statefun-ts extension for tests). */
  readonly port: number;
  /** Topics functions may publish to; records for other topics are refused. */
  readonly topics: readonly string[];
}

/** A module of embedded (in-process) functions (`io.statefun-ts.v1/embedded`). */
export interface EmbeddedModuleDefinition {
  readonly kind: "io.statefun-ts.v1/embedded";
  readonly source: SourceLocation;
  /** Absolute path of the ES module file, resolved against the YAML file's directory. */
  readonly modulePath: string;
  /** The export holding the module's functions. Default `"default"`. */
  readonly exportName: string;
}

/**
 * The generic shape of an ingress or egress added by a connector package (Kafka, NATS, ...):
 * its kind, its id, and its spec as parsed by the connector's binder.
 */
export interface ConnectorDefinition<Kind extends string, Spec> {
  readonly kind: Kind;
  /** The ingress or egress id (a typename); unique per category in an application. */
  readonly id: string;
  readonly source: SourceLocation;
  /** The spec, validated and resolved by the connector's binder. */
  readonly spec: Spec;
}

/**
 * Ingress definitions by kind. Connector packages add their kinds by module augmentation:
 *
 * ```ts
 * declare module "@statefun-ts/runtime" {
 *   interface IngressDefinitionsByKind {
 *     "io.statefun.kafka.v1/ingress": ConnectorDefinition<"io.statefun.kafka.v1/ingress", KafkaIngressSpec>;
 *   }
 * }
 * ```
 *
 * and register a {@link ComponentBinder} for it. Because the union grows outside this package,
 * runtime code dispatches on ingress kinds through a registry, never with an exhaustive switch.
 */
export interface IngressDefinitionsByKind {
  "io.statefun.playground.v1/ingress": PlaygroundIngressDefinition;
}

/** Egress definitions by kind; extended like {@link IngressDefinitionsByKind}. */
export interface EgressDefinitionsByKind {
  "io.statefun.playground.v1/egress": PlaygroundEgressDefinition;
}

/** Any ingress definition; narrow it with `kind`. */
export type IngressDefinition = IngressDefinitionsByKind[keyof IngressDefinitionsByKind];

/** Any egress definition; narrow it with `kind`. */
export type EgressDefinition = EgressDefinitionsByKind[keyof EgressDefinitionsByKind];

/** Everything declared by an application's module files, in file and document order. */
export interface ModuleDefinition {
  /** Absolute paths of the files read. */
  readonly files: readonly string[];
  /** Remote function endpoints. */
  readonly endpoints: readonly HttpEndpointDefinition[];
  /** Ingresses; ids are unique. */
  readonly ingresses: readonly IngressDefinition[];
  /** Egresses; ids are unique. */
  readonly egresses: readonly EgressDefinition[];
  /** Embedded function modules. */
  readonly embeddedModules: readonly EmbeddedModuleDefinition[];
  /**
   * Accepted but surprising settings the runtime should log at start, each prefixed with its
   * location (e.g. a `timeouts` object that silently resets the async call budget to 1 min).
   */
  readonly warnings: readonly string[];
}
