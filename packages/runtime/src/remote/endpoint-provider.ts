/**
 * Remote function endpoints from module.yaml as a function provider: resolves a function type to
 * the endpoint serving it (an exact `<namespace>/<name>` binding wins over a `<namespace>/*` one,
 * reference §3.3) and builds one invoker per function type, sharing a transport per endpoint.
 */
import { StatefunError, parseTypeName } from "@statefun-ts/protocol";
import type { HttpEndpointDefinition } from "../config/module/types.js";
import type { FunctionInvoker, FunctionProvider } from "../core/function-invoker.js";
import type { Logger } from "../observability/logger.js";
import { errorFields, noopLogger } from "../observability/logger.js";
import { resolveEndpointTarget } from "./endpoint-url.js";
import type { AttemptFailure } from "./http-transport.js";
import { HttpTransport } from "./http-transport.js";
import { createRemoteInvoker } from "./remote-invoker.js";

/** Counters of the remote transports, read by metrics. */
export interface RemoteStats {
  /** Attempts that failed (each retry within a call counts). */
  failedAttempts: number;
  /** Attempts that got a reply. */
  succeededAttempts: number;
  /** Sum of attempt latencies in ms (with {@link succeededAttempts}: the mean). */
  latencyMsTotal: number;
}

/** A provider of remote functions with a lifecycle for its connection pools. */
export interface HttpEndpointProvider extends FunctionProvider {
  /** Counters across all endpoints. */
  readonly stats: RemoteStats;
  /** Closes every connection pool. */
  close(): Promise<void>;
}

/** Options of {@link createHttpEndpointProvider}. */
export interface HttpEndpointProviderOptions {
  readonly logger?: Logger;
  /** Minimum interval between two logged attempt failures of one endpoint, in ms. Default: 5000. */
  readonly attemptLogIntervalMs?: number;
}

interface Binding {
  readonly definition: HttpEndpointDefinition;
  readonly transport: HttpTransport;
}

/**
 * Creates the provider. Bindings were checked for duplicates when module.yaml was loaded.
 *
 * @throws StatefunError `invalid-config` when TLS files cannot be read.
 */
export function createHttpEndpointProvider(
  endpoints: readonly HttpEndpointDefinition[],
  options: HttpEndpointProviderOptions = {},
): HttpEndpointProvider {
  const logger = options.logger ?? noopLogger;
  const logInterval = options.attemptLogIntervalMs ?? 5000;
  const stats: RemoteStats = { failedAttempts: 0, succeededAttempts: 0, latencyMsTotal: 0 };
  const exact = new Map<string, Binding>();
  const byNamespace = new Map<string, Binding>();
  const bindings: Binding[] = [];
  for (const definition of endpoints) {
    let lastLogged = -Infinity;
    const transport = new HttpTransport({
      transport: definition.transport,
      onAttemptLatency(ms) {
        stats.succeededAttempts++;
        stats.latencyMsTotal += ms;
      },
      onAttemptFailure(failure: AttemptFailure) {
        stats.failedAttempts++;
        const now = performance.now();
        if (!failure.willRetry || now - lastLogged < logInterval) return;
        lastLogged = now;
        logger.warn(
          { endpoint: failure.target.url, attempt: failure.attempt, ...errorFields(failure.error) },
          "remote function attempt failed; retrying within the call budget",
        );
      },
    });
    const binding = { definition, transport };
    bindings.push(binding);
    const { namespace, name } = definition.functions;
    if (name === undefined) byNamespace.set(namespace, binding);
    else exact.set(`${namespace}/${name}`, binding);
  }
  const invokers = new Map<string, FunctionInvoker>();
  return {
    stats,
    resolve(typename) {
      const known = invokers.get(typename);
      if (known !== undefined) return known;
      let parsed;
      try {
        parsed = parseTypeName(typename);
      } catch {
        return undefined;
      }
      const binding = exact.get(typename) ?? byNamespace.get(parsed.namespace);
      if (binding === undefined) return undefined;
      const { definition } = binding;
      let target;
      try {
        target = resolveEndpointTarget(definition.urlPathTemplate, parsed.name);
      } catch (error) {
        throw new StatefunError(
          "invalid-config",
          `${definition.source.file}: document ${definition.source.documentIndex + 1}: urlPathTemplate does not give a valid URL for ${typename}`,
          { cause: error },
        );
      }
      const invoker = createRemoteInvoker(
        typename,
        target,
        binding.transport,
        definition.maxNumBatchRequests,
      );
      invokers.set(typename, invoker);
      return invoker;
    },
    async close() {
      await Promise.all(bindings.map((binding) => binding.transport.close()));
    },
  };
}
