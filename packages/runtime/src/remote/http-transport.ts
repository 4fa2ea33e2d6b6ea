/**
 * The HTTP client of remote functions: one undici connection pool per endpoint origin (keep-alive,
 * bounded connections), one POST per batch, and the retry semantics of StateFun's two transports
 * within a call budget (reference §1.10):
 * - async (the default): every failed attempt is retried (status, I/O, content type, body) with
 *   2 ms × 2^attempt backoff while the budget lasts;
 * - okhttp: I/O failures and statuses 408, 409, 420, 429, 499 and ≥ 500 are retried with 10 ms
 *   doubling backoff; other statuses fail at once.
 * When the budget is spent the call fails; the dispatcher then retries the batch with its own
 * backoff, so a failing endpoint blocks only the addresses it serves and nothing is dropped.
 *
 * An attempt's read and connect timeouts are undici's. Those over 1 s run on its coarse timers,
 * which check every half second: such a timeout fires up to about 0.5 s after it is due.
 */
import { readFileSync } from "node:fs";
import { gunzipSync, inflateSync } from "node:zlib";
import type { FromFunction } from "@statefun-ts/protocol";
import { StatefunError, decodeFromFunction, isStatefunError } from "@statefun-ts/protocol";
import { Pool } from "undici";
import type { Dispatcher as UndiciDispatcher } from "undici";
import type { TransportOptions } from "../config/module/types.js";
import type { EndpointTarget } from "./endpoint-url.js";

/** An attempt that failed, reported to observers (metrics, logs). */
export interface AttemptFailure {
  readonly target: EndpointTarget;
  /** 1-based attempt number within the call. */
  readonly attempt: number;
  readonly error: StatefunError;
  /** Whether the transport will try again within the budget. */
  readonly willRetry: boolean;
}

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  readonly transport: TransportOptions;
  /** Called for every failed attempt. */
  readonly onAttemptFailure?: (failure: AttemptFailure) => void;
  /** Called with the duration of every attempt that got a response, in ms. */
  readonly onAttemptLatency?: (ms: number) => void;
}

const OKHTTP_RETRYABLE_STATUSES = new Set([408, 409, 420, 429, 499]);
const HEADERS = {
  "content-type": "application/octet-stream",
  accept: "application/octet-stream",
  "accept-encoding": "gzip, deflate",
  "user-agent": "statefun",
};
const MAX_ERROR_BODY_CHARS = 300;

class AttemptError extends StatefunError {
  readonly retryableAttempt: boolean;
  constructor(message: string, retryableAttempt: boolean, cause?: unknown) {
    super("remote-invocation-failed", message, cause === undefined ? {} : { cause });
    this.retryableAttempt = retryableAttempt;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readTls(transport: TransportOptions): Record<string, Buffer | string> {
  if (transport.type !== "async" || transport.tls === undefined) return {};
  const { trustCaCerts, clientCert, clientKey, clientKeyPassword } = transport.tls;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path.startsWith("file:") ? new URL(path) : path);
    } catch (error) {
      throw new StatefunError("invalid-config", `cannot read ${what} ${path}`, { cause: error });
    }
  };
  return {
    ...(trustCaCerts === undefined ? {} : { ca: read(trustCaCerts, "trust_cacerts") }),
    ...(clientCert === undefined ? {} : { cert: read(clientCert, "client_cert") }),
    ...(clientKey === undefined ? {} : { key: read(clientKey, "client_key") }),
    ...(clientKeyPassword === undefined
      ? {}
      : { passphrase: read(clientKeyPassword, "client_key_password").toString("utf8").trim() }),
  };
}

/** Sends batches to remote functions and decodes their replies. */
export class HttpTransport {
  private readonly options: HttpTransportOptions;
  private readonly pools = new Map<string, Pool>();
  private readonly tls: object;
  private closed = false;

  constructor(options: HttpTransportOptions) {
    this.options = options;
    this.tls = readTls(options.transport);
  }

  /** Releases all connections; calls in progress fail. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }

  /**
   * POSTs `body` to the target and decodes the `FromFunction` reply, retrying within the call
   * budget. Rejects with a `remote-invocation-failed` error naming the URL, the number of attempts
   * and the last cause.
   */
  async call(target: EndpointTarget, body: Uint8Array): Promise<FromFunction> {
    const transport = this.options.transport;
    const started = performance.now();
    const budgetMs = transport.callTimeoutMs;
    const okHttp = transport.type === "okhttp";
    for (let attempt = 1; ; attempt++) {
      const elapsed = performance.now() - started;
      // OkHttp's call timeout bounds each attempt; the async transport's bounds the whole call.
      const attemptBudget = okHttp ? budgetMs : budgetMs - elapsed;
      try {
        const attemptStart = performance.now();
        const reply = await this.attempt(target, body, Math.max(1, Math.floor(attemptBudget)));
        this.options.onAttemptLatency?.(performance.now() - attemptStart);
        return reply;
      } catch (caught) {
        const error =
          caught instanceof AttemptError
            ? caught
            : new AttemptError(
                this.closed ? "the transport was closed" : describeIoError(caught),
                !this.closed,
                caught,
              );
        const backoff = (okHttp ? 10 : 2) * 2 ** (attempt - 1);
        const remaining = budgetMs - (performance.now() - started);
        const willRetry = error.retryableAttempt && !this.closed && remaining - backoff >= 1;
        this.options.onAttemptFailure?.({ target, attempt, error, willRetry });
        if (!willRetry) {
          const spent = Math.round(performance.now() - started);
          throw new StatefunError(
            "remote-invocation-failed",
            `${target.url} failed after ${attempt} attempt${attempt === 1 ? "" : "s"} in ${spent} ms: ${error.message}`,
            { cause: error, details: { endpoint: target.url, attempts: attempt } },
          );
        }
        await sleep(backoff);
      }
    }
  }

  private pool(target: EndpointTarget): Pool {
    const key =
      target.socketPath === undefined ? target.origin : `${target.origin}|${target.socketPath}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const transport = this.options.transport;
      const ttl =
        transport.type === "async" && transport.poolTtlMs > 0 ? transport.poolTtlMs : 600_000;
      pool = new Pool(target.origin, {
        connections: transport.type === "async" ? transport.poolSize : 1024,
        connectTimeout: transport.connectTimeoutMs,
        keepAliveTimeout: ttl,
        keepAliveMaxTimeout: ttl,
        ...(target.socketPath === undefined ? {} : { socketPath: target.socketPath }),
        connect: this.tls,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private async attempt(
    target: EndpointTarget,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<FromFunction> {
    if (this.closed) throw new AttemptError("the transport was closed", false);
    const transport = this.options.transport;
    const okHttp = transport.type === "okhttp";
    // undici's headers and body timeouts bound the attempt (an AbortSignal per request would cost
    // a timer that outlives it).
    const readTimeout = okHttp ? Math.min(transport.readTimeoutMs, timeoutMs) : timeoutMs;
    const response = await this.pool(target).request({
      method: "POST",
      path: target.path,
      headers: { ...HEADERS, "content-length": String(body.byteLength) },
      body,
      headersTimeout: readTimeout,
      bodyTimeout: readTimeout,
    });
    const { statusCode } = response;
    const limit = transport.type === "async" ? transport.payloadMaxBytes : Number.MAX_SAFE_INTEGER;
    const raw = await readLimited(response.body, limit);
    if (statusCode < 200 || statusCode >= 300) {
      const retryable = !okHttp || statusCode >= 500 || OKHTTP_RETRYABLE_STATUSES.has(statusCode);
      throw new AttemptError(`HTTP ${statusCode}${excerpt(raw, response.headers)}`, retryable);
    }
    const contentType = header(response.headers, "content-type");
    if (contentType?.toLowerCase() !== "application/octet-stream") {
      throw new AttemptError(
        `expected content type application/octet-stream, found ${contentType === undefined ? "none" : JSON.stringify(contentType)}${excerpt(raw, response.headers)}`,
        !okHttp,
      );
    }
    const bytes = decompress(raw, header(response.headers, "content-encoding"), limit);
    try {
      return decodeFromFunction(bytes);
    } catch (error) {
      const reason = isStatefunError(error) ? error.message : String(error);
      throw new AttemptError(
        `unparsable response body (${bytes.byteLength} bytes): ${reason}`,
        !okHttp,
        error,
      );
    }
  }
}

function header(
  headers: UndiciDispatcher.ResponseData["headers"],
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readLimited(
  body: UndiciDispatcher.ResponseData["body"],
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > limit) {
      body.destroy();
      throw new AttemptError(`response larger than payload_max_bytes (${limit} bytes)`, true);
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

function decompress(raw: Buffer, encoding: string | undefined, limit: number): Buffer {
  const coding = encoding?.trim().toLowerCase();
  if (coding === undefined || coding === "" || coding === "identity") return raw;
  try {
    if (coding === "gzip" || coding === "x-gzip")
      return gunzipSync(raw, { maxOutputLength: limit });
    if (coding === "deflate") return inflateSync(raw, { maxOutputLength: limit });
  } catch (error) {
    throw new AttemptError(`cannot decode ${coding} response body`, true, error);
  }
  throw new AttemptError(`unsupported content encoding ${JSON.stringify(encoding)}`, true);
}

function excerpt(raw: Buffer, headers: UndiciDispatcher.ResponseData["headers"]): string {
  if (raw.byteLength === 0) return "";
  const type = header(headers, "content-type") ?? "";
  if (!/^(text\/|application\/(json|problem))/iu.test(type))
    return ` (${raw.byteLength} bytes body)`;
  const text = raw.toString("utf8").replace(/\s+/gu, " ").trim();
  return `: ${text.length > MAX_ERROR_BODY_CHARS ? `${text.slice(0, MAX_ERROR_BODY_CHARS)}…` : text}`;
}

function describeIoError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  if (
    error.name === "TimeoutError" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  ) {
    return `timed out (${error.message})`;
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") return `connect timed out (${error.message})`;
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return typeof code === "string" ? `${code} ${error.message}${cause}` : `${error.message}${cause}`;
}
