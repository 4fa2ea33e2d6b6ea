/**
 * The admin HTTP server: a thin node:http adapter over the admin router (health, metrics,
 * function types, queryable state, failures, components, checkpoints, savepoints). It reads
 * request bodies up to {@link MAX_ADMIN_BODY_BYTES} (a larger one is answered 413). It owns a
 * listening socket and one explicit lifecycle (created → starting → running → stopping →
 * stopped), changed only here.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { isAbsolute } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { errorFields } from "../observability/logger.js";
import { createRuntimeMetrics } from "../observability/metrics.js";
import type { RuntimeMetrics } from "../observability/metrics.js";
import type { Runtime } from "../runtime.js";
import { createAdminRouter, jsonReply } from "./router.js";
import type { AdminReply } from "./router.js";
import { createAdminRoutes } from "./routes.js";

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  /** The runtime to observe. */
  readonly runtime: Runtime;
  /** TCP port (0–65535; 0 picks a free port, see {@link AdminServer.address}). Required. */
  readonly port: number;
  /** Interface to listen on. Default: `"0.0.0.0"` (all IPv4 interfaces). */
  readonly host?: string;
  /** What `GET /metrics` serves. Default: `createRuntimeMetrics(runtime)`. */
  readonly metrics?: RuntimeMetrics;
  /**
   * Where `POST /v1/savepoints` writes a savepoint when the request names no path (created when
   * missing). Default: none; such a request is then answered 400. `statefun run` sets
   * `<state dir>/savepoints`.
   */
  readonly savepointDirectory?: string;
}

/** {@link AdminServerOptions} with every field set, except `metrics` (built when absent). */
export interface ResolvedAdminServerOptions {
  readonly runtime: Runtime;
  readonly port: number;
  readonly host: string;
  readonly metrics: RuntimeMetrics | undefined;
  readonly savepointDirectory: string | undefined;
}

/** The largest request body the admin server reads, in bytes: 64 KiB. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/** Lifecycle states of an {@link AdminServer}. */
export type AdminServerState = "created" | "starting" | "running" | "stopping" | "stopped";

/** The admin HTTP API of a runtime. */
export interface AdminServer {
  /** The current lifecycle state. */
  readonly state: AdminServerState;
  /**
   * Starts listening.
   *
   * @throws StatefunError `illegal-state` unless created; `invalid-config` when the port cannot
   *   be bound (in use, no permission), with the cause.
   */
  start(): Promise<void>;
  /** Stops listening, closes idle keep-alive connections and answers in-flight requests. Idempotent. */
  stop(): Promise<void>;
  /**
   * Where the server listens (the actual port when 0 was asked for).
   *
   * @throws StatefunError `illegal-state` unless running.
   */
  address(): { readonly host: string; readonly port: number };
}

/**
 * Validates the options. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option, what was expected and what was found.
 */
export function resolveAdminServerOptions(options: AdminServerOptions): ResolvedAdminServerOptions {
  const { port, host = "0.0.0.0" } = options;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new StatefunError(
      "invalid-config",
      `admin server option port: expected an integer from 0 to 65535, found ${String(port)}`,
      { details: { option: "port", expected: "integer 0–65535", found: port } },
    );
  }
  if (typeof host !== "string" || host === "") {
    throw new StatefunError(
      "invalid-config",
      `admin server option host: expected a host name or IP address, found ${JSON.stringify(host)}`,
      { details: { option: "host", found: host } },
    );
  }
  const { savepointDirectory } = options;
  if (savepointDirectory !== undefined && !isAbsolute(savepointDirectory)) {
    throw new StatefunError(
      "invalid-config",
      `admin server option savepointDirectory: expected an absolute directory path, found ${JSON.stringify(savepointDirectory)}`,
      { details: { option: "savepointDirectory", found: savepointDirectory } },
    );
  }
  return { runtime: options.runtime, port, host, metrics: options.metrics, savepointDirectory };
}

/** The body as UTF-8 text, or `undefined` when it exceeds {@link MAX_ADMIN_BODY_BYTES}. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.byteLength;
    if (bytes > MAX_ADMIN_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(): AdminReply {
  return jsonReply(
    413,
    {
      error: `expected a request body of at most ${MAX_ADMIN_BODY_BYTES} bytes`,
      code: "payload-too-large",
    },
    { connection: "close" },
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Creates the admin server of a runtime. Nothing listens until {@link AdminServer.start}. */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const resolved = resolveAdminServerOptions(options);
  const { runtime, host, port } = resolved;
  const logger = runtime.logger.child({ component: "admin" });
  const metrics = resolved.metrics ?? createRuntimeMetrics(runtime);
  const savepoints = { savepointDirectory: resolved.savepointDirectory };
  const router = createAdminRouter(createAdminRoutes(runtime, metrics, savepoints, logger), logger);
  let state: AdminServerState = "created";
  let server: Server | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  function illegal(operation: string): StatefunError {
    return new StatefunError(
      "illegal-state",
      `cannot ${operation} an admin server that is ${state}`,
    );
  }

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const body = method === "GET" || method === "HEAD" ? "" : await readBody(request);
    const reply =
      body === undefined ? tooLarge() : await router.handle(method, request.url ?? "/", body);
    const headers: Record<string, string> = { ...reply.headers };
    // While stopping, answer and close, so that keep-alive connections do not hold stop() up.
    if (state !== "running") headers.connection = "close";
    response.writeHead(reply.status, headers);
    response.end(method === "HEAD" ? undefined : reply.body);
  }

  async function open(): Promise<void> {
    const http = createServer((request, response) => {
      respond(request, response).catch((error: unknown) => {
        logger.error({ url: request.url, ...errorFields(error) }, "admin response failed");
        response.destroy();
      });
    });
    server = http;
    try {
      await listen(http, port, host);
    } catch (error) {
      state = "stopped";
      throw new StatefunError(
        "invalid-config",
        `admin server cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { host, port } },
      );
    }
    state = "running";
    logger.info(adminServer.address(), "admin server listening");
  }

  async function close(): Promise<void> {
    if (state === "starting") await starting?.catch(() => undefined);
    const http = server;
    if (state !== "running" || http === undefined) {
      state = "stopped";
      return;
    }
    state = "stopping";
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections();
    });
    state = "stopped";
    logger.info({}, "admin server stopped");
  }

  const adminServer: AdminServer = {
    get state() {
      return state;
    },
    start() {
      if (state !== "created") return Promise.reject(illegal("start"));
      state = "starting";
      starting = open();
      return starting;
    },
    stop() {
      stopping ??= close();
      return stopping;
    },
    address() {
      const info = server?.address();
      if (state !== "running" || info === null || typeof info !== "object") {
        throw illegal("get the address of");
      }
      return { host: info.address, port: info.port };
    },
  };
  return adminServer;
}
