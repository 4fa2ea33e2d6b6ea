/**
 * The admin API's router, independent of any transport: it maps a method and a URL to a handler
 * and turns every outcome (a handler's result, an unknown path, a wrong method, a thrown error)
 * into a finished reply, so the node:http adapter holds no logic and handlers need no socket.
 *
 * Paths are literal segments or `:name` parameters (`/v1/state/:namespace/:type/:id`); the first
 * declared pattern that matches wins. `HEAD` is answered wherever `GET` is.
 */
import { errorFields } from "../observability/logger.js";
import type { Logger } from "../observability/logger.js";

/** The methods a route can declare. */
export type AdminMethod = "GET" | "POST" | "PUT" | "DELETE";

/** What a handler receives. */
export interface AdminRequest {
  readonly method: string;
  /** The URL path, without the query string. */
  readonly path: string;
  /** The values of the pattern's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request body as UTF-8 text; empty when there is none (always for GET and HEAD). */
  readonly body: string;
}

/** What a handler returns: a JSON value, or text with its content type. Status default: 200. */
export type AdminResult =
  | { readonly status?: number; readonly json: unknown }
  | { readonly status?: number; readonly text: string; readonly contentType: string };

/** Handles one route and method; may throw (the router answers 500). */
export type AdminHandler = (request: AdminRequest) => AdminResult | Promise<AdminResult>;

/** Routes by path pattern, then by method. */
export type AdminRoutes = Readonly<Record<string, Partial<Record<AdminMethod, AdminHandler>>>>;

/** A finished reply, ready to be written by a transport. */
export interface AdminReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Routes requests to handlers. */
export interface AdminRouter {
  /** Answers a request with its body (UTF-8 text; default empty); never rejects. */
  handle(method: string, url: string, body?: string): Promise<AdminReply>;
}

const JSON_TYPE = "application/json; charset=utf-8";

interface CompiledRoute {
  readonly segments: readonly string[];
  readonly methods: Partial<Record<string, AdminHandler>>;
}

/** A JSON reply. */
export function jsonReply(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): AdminReply {
  return {
    status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...headers },
    body: `${JSON.stringify(value) ?? "null"}\n`,
  };
}

function errorReply(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
) {
  return jsonReply(status, { error: message, code }, headers);
}

/** The parameters of `path` under `route`, `undefined` when it does not match, `null` for bad encoding. */
function match(
  route: CompiledRoute,
  parts: readonly string[],
): Record<string, string> | undefined | null {
  if (route.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = route.segments[i] as string;
    const part = parts[i] as string;
    if (!segment.startsWith(":")) {
      if (segment !== part) return undefined;
      continue;
    }
    if (part === "") return undefined;
    try {
      params[segment.slice(1)] = decodeURIComponent(part);
    } catch {
      return null;
    }
  }
  return params;
}

function toReply(result: AdminResult): AdminReply {
  const status = result.status ?? 200;
  if ("json" in result) return jsonReply(status, result.json);
  return {
    status,
    headers: { "content-type": result.contentType, "cache-control": "no-store" },
    body: result.text,
  };
}

/** Creates a router over `routes`; handler errors are logged to `logger` and answered with 500. */
export function createAdminRouter(routes: AdminRoutes, logger: Logger): AdminRouter {
  const compiled: CompiledRoute[] = Object.entries(routes).map(([pattern, methods]) => ({
    segments: pattern.split("/"),
    methods,
  }));

  async function handle(method: string, url: string, body = ""): Promise<AdminReply> {
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? "" : url.slice(queryAt + 1));
    const parts = path.split("/");
    for (const route of compiled) {
      const params = match(route, parts);
      if (params === undefined) continue;
      if (params === null) {
        return errorReply(400, "bad-request", `malformed percent-encoding in path ${path}`);
      }
      const handler = route.methods[method] ?? (method === "HEAD" ? route.methods.GET : undefined);
      if (handler === undefined) {
        const allowed = Object.keys(route.methods);
        if (allowed.includes("GET")) allowed.push("HEAD");
        return errorReply(
          405,
          "method-not-allowed",
          `${method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`,
          { allow: allowed.join(", ") },
        );
      }
      try {
        return toReply(await handler({ method, path, params, query, body }));
      } catch (error) {
        const fields = errorFields(error);
        logger.error({ method, path, ...fields }, "admin request failed");
        return errorReply(
          500,
          "internal-error",
          `${method} ${path} failed: ${String(fields.error)}`,
        );
      }
    }
    return errorReply(404, "not-found", `no admin resource at ${path}`);
  }

  return { handle };
}
