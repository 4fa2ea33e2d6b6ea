/**
 * Options of the playground ingress and egress: what users pass (defaults and units documented
 * here) and the pure functions that validate them into resolved options where every field is set.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** Options of {@link createPlaygroundIngress}. */
export interface PlaygroundIngressOptions {
  /** TCP port to listen on (0–65535; 0 = an ephemeral port, see `address()`). */
  readonly port: number;
  /** Interface to bind. Default: `0.0.0.0` (all IPv4 interfaces), as the official playground. */
  readonly host?: string;
  /** Largest accepted request body, in bytes; larger bodies get 413. Default: 4 MiB (4,194,304). */
  readonly maxBodyBytes?: number;
}

/** Options of {@link createPlaygroundEgress}. */
export interface PlaygroundEgressOptions {
  /** TCP port to listen on (0–65535; 0 = an ephemeral port, see `address()`). */
  readonly port: number;
  /** Interface to bind. Default: `0.0.0.0` (all IPv4 interfaces), as the official playground. */
  readonly host?: string;
  /** The topics functions may publish to and clients may read from (`spec.topics`). */
  readonly topics: readonly string[];
  /**
   * Records a topic holds before functions publishing to it are held back (their invocation
   * fails validation and is retried) until a client reads. Default: 1,048,576 (2^20).
   */
  readonly maxQueuedPerTopic?: number;
}

/** {@link PlaygroundIngressOptions} with every field set. */
export interface ResolvedPlaygroundIngressOptions {
  readonly port: number;
  readonly host: string;
  readonly maxBodyBytes: number;
}

/** {@link PlaygroundEgressOptions} with every field set; topics without duplicates. */
export interface ResolvedPlaygroundEgressOptions {
  readonly port: number;
  readonly host: string;
  readonly topics: readonly string[];
  readonly maxQueuedPerTopic: number;
}

/** The default interface the playground servers bind. */
export const DEFAULT_PLAYGROUND_HOST = "0.0.0.0";
/** The default largest ingress request body: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The default per-topic egress queue bound: 2^20 records, the official playground's capacity. */
export const DEFAULT_MAX_QUEUED_PER_TOPIC = 1_048_576;

function invalid(what: string, option: string, expected: string, found: unknown): StatefunError {
  return new StatefunError(
    "invalid-config",
    `${what} option ${option}: expected ${expected}, found ${JSON.stringify(found) ?? String(found)}`,
    { details: { option, expected, found: String(found) } },
  );
}

function checkPort(what: string, port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(what, "port", "an integer from 0 to 65535", port);
  }
  return port;
}

function checkHost(what: string, host: unknown): string {
  if (host === undefined) return DEFAULT_PLAYGROUND_HOST;
  if (typeof host !== "string" || host.length === 0) {
    throw invalid(what, "host", "a non-empty host name or IP address", host);
  }
  return host;
}

function checkPositive(what: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(what, option, "an integer ≥ 1", value);
  }
  return value;
}

/**
 * Validates ingress options and fills in defaults. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option, what was expected and what was found.
 */
export function resolvePlaygroundIngressOptions(
  options: PlaygroundIngressOptions,
): ResolvedPlaygroundIngressOptions {
  const what = "playground ingress";
  return {
    port: checkPort(what, options.port),
    host: checkHost(what, options.host),
    maxBodyBytes: checkPositive(what, "maxBodyBytes", options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
  };
}

/**
 * Validates egress options and fills in defaults. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option, what was expected and what was found.
 */
export function resolvePlaygroundEgressOptions(
  options: PlaygroundEgressOptions,
): ResolvedPlaygroundEgressOptions {
  const what = "playground egress";
  const topics: unknown = options.topics;
  if (!Array.isArray(topics)) throw invalid(what, "topics", "a list of topic names", topics);
  for (const topic of topics as unknown[]) {
    if (typeof topic !== "string" || topic.length === 0) {
      throw invalid(what, "topics", "non-empty topic names", topic);
    }
  }
  return {
    port: checkPort(what, options.port),
    host: checkHost(what, options.host),
    topics: [...new Set(topics as string[])],
    maxQueuedPerTopic: checkPositive(
      what,
      "maxQueuedPerTopic",
      options.maxQueuedPerTopic,
      DEFAULT_MAX_QUEUED_PER_TOPIC,
    ),
  };
}
