/**
 * The HTTP plumbing shared by the playground ingress and egress: one node:http server with an
 * explicit lifecycle (created → starting → running → stopping → stopped), a graceful stop that
 * lets in-flight requests finish (bounded), and the few response shapes both servers write.
 * The request handlers themselves live in `ingress.ts` and `egress.ts`.
 */
import { createServer } from "node:http";
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorCode } from "@statefun-ts/protocol";
import { StatefunError } from "@statefun-ts/protocol";

/** Where a playground server listens. */
export interface ListenAddress {
  /** The interface the server is bound to, e.g. `0.0.0.0` or `127.0.0.1`. */
  readonly host: string;
  /** The TCP port; the one the OS picked when the configured port was 0. */
  readonly port: number;
}

/** Lifecycle states of a playground server. */
export type ServerState = "created" | "starting" | "running" | "stopping" | "stopped";

/**
 * The `code` field of an error response: an {@link ErrorCode}, or one of the HTTP-only codes
 * for failures that have no error class of their own.
 */
export type ResponseErrorCode =
  ErrorCode | "method-not-allowed" | "unknown-topic" | "internal-error";

/** How long `stop()` lets in-flight requests run before closing their connections, in ms. */
export const STOP_GRACE_MS = 5000;

/**
 * Writes an error response: JSON `{"error": reason, "code": code}`. No-op once the client is
 * gone.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ResponseErrorCode,
  reason: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const body = Buffer.from(JSON.stringify({ error: reason, code }), "utf8");
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": body.length,
  });
  res.end(body);
}

/** Writes a response without a body (200, 204). No-op once the client is gone. */
export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, status === 204 ? {} : { "Content-Length": 0 });
  res.end();
}

/** Writes a 200 response whose body is `text` in UTF-8. No-op once the client is gone. */
export function sendText(
  res: ServerResponse,
  text: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const body = Buffer.from(text, "utf8");
  res.writeHead(200, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
  });
  res.end(body);
}

/** The request handler a {@link PlaygroundHttpServer} calls for every request while running. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A node:http server with a lifecycle. Requests arriving while stopping are answered 503; a
 * response written while stopping closes its connection, so `stop()` ends once every in-flight
 * request is answered, or after {@link STOP_GRACE_MS}, whichever comes first.
 */
export class PlaygroundHttpServer {
  private current: ServerState = "created";
  private boundAddress: ListenAddress | undefined;
  private readonly server: Server;
  private readonly inflight = new Set<ServerResponse>();
  private readonly what: string;
  private stopping: Promise<void> | undefined;

  /** @param what - names the server in errors and logs, e.g. `playground ingress`. */
  constructor(what: string, handler: RequestHandler) {
    this.what = what;
    this.server = createServer((req, res) => this.onRequest(req, res, handler));
  }

  /** The current lifecycle state. */
  get state(): ServerState {
    return this.current;
  }

  /** The bound address once `start()` succeeded (kept after stop), else `undefined`. */
  get bound(): ListenAddress | undefined {
    return this.boundAddress;
  }

  /** The bound address, from `start()` on. */
  address(): ListenAddress {
    if (this.boundAddress === undefined) {
      throw new StatefunError(
        "illegal-state",
        `cannot get the address of a ${this.what} that is ${this.current} (expected started)`,
      );
    }
    return this.boundAddress;
  }

  /**
   * Listens on `host:port` (0 = an ephemeral port).
   *
   * @throws StatefunError `illegal-state` unless created; `invalid-config` when the port cannot
   *   be bound (in use, no permission), with the socket error as cause.
   */
  async start(host: string, port: number): Promise<ListenAddress> {
    if (this.current !== "created") {
      throw new StatefunError(
        "illegal-state",
        `cannot start a ${this.what} that is ${this.current} (expected created)`,
      );
    }
    this.current = "starting";
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once("error", reject);
        this.server.listen(port, host, () => {
          this.server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      this.current = "stopped";
      throw new StatefunError(
        "invalid-config",
        `${this.what} cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { host, port } },
      );
    }
    const info = this.server.address() as AddressInfo;
    this.boundAddress = { host, port: info.port };
    this.current = "running";
    return this.boundAddress;
  }

  /**
   * Stops accepting connections, closes idle keep-alive connections, lets in-flight requests
   * finish, and after {@link STOP_GRACE_MS} closes the connections still open. Requests that
   * wait on the owner (long polls) must be answered by the owner. Every call resolves when the
   * server is closed; a server never started just becomes stopped.
   *
   * @throws StatefunError `illegal-state` (as a rejection) while `start()` is in progress.
   */
  stop(): Promise<void> {
    if (this.current === "starting") {
      return Promise.reject(
        new StatefunError(
          "illegal-state",
          `cannot stop a ${this.what} that is starting (expected start() to have settled)`,
        ),
      );
    }
    if (this.current === "created") this.current = "stopped";
    if (this.current === "stopped") return this.stopping ?? Promise.resolve();
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async close(): Promise<void> {
    this.current = "stopping";
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const res of this.inflight) closeAfterResponse(res);
    this.server.closeIdleConnections();
    const grace = setTimeout(() => this.server.closeAllConnections(), STOP_GRACE_MS);
    try {
      await closed;
    } finally {
      clearTimeout(grace);
      this.current = "stopped";
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, handler: RequestHandler): void {
    req.on("error", ignoreSocketError);
    res.on("error", ignoreSocketError);
    if (this.current !== "running") {
      closeAfterResponse(res);
      sendError(res, 503, "shutdown", `the ${this.what} is ${this.current}`);
      return;
    }
    this.inflight.add(res);
    res.once("close", () => this.inflight.delete(res));
    handler(req, res);
  }
}

/** Asks node:http to close the connection once this response is written. */
export function closeAfterResponse(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader("Connection", "close");
}

// A client that disconnects mid-request makes its streams emit ECONNRESET; the handlers notice
// through `close` and `destroyed`, so the event itself needs no handling beyond not crashing.
function ignoreSocketError(): void {}
