/**
 * Where a remote function lives: the endpoint's `urlPathTemplate` with `{function.name}`
 * substituted, split into what a connection pool needs (origin or unix socket) and what a request
 * needs (path and query).
 */
import { StatefunError } from "@statefun-ts/protocol";

/** The resolved target of requests for one function type. */
export interface EndpointTarget {
  /** The URL as written after substitution, for logs and errors. */
  readonly url: string;
  /** `http://host:port` or `https://host:port` for the connection pool. */
  readonly origin: string;
  /** Request target: path, query and (as the official async client does) fragment. */
  readonly path: string;
  /** Unix domain socket file for `http+unix://` and `https+unix://` URLs. */
  readonly socketPath: string | undefined;
}

/**
 * Substitutes `{function.name}` and splits the URL. For unix socket URLs, the path up to the
 * first segment ending in `.sock` names the socket file and the rest is the HTTP path.
 */
export function resolveEndpointTarget(template: string, functionName: string): EndpointTarget {
  const url = template.replaceAll("{function.name}", functionName);
  const parsed = new URL(url);
  const suffix = parsed.search + parsed.hash;
  switch (parsed.protocol) {
    case "http:":
    case "https:":
      return {
        url,
        origin: parsed.origin,
        path: (parsed.pathname === "" ? "/" : parsed.pathname) + suffix,
        socketPath: undefined,
      };
    case "http+unix:":
    case "https+unix:": {
      const full = decodeURIComponent(parsed.host + parsed.pathname);
      const segments = full.split("/");
      const sock = segments.findIndex((segment) => segment.endsWith(".sock"));
      if (sock === -1) {
        throw new StatefunError("invalid-config", `${url}: no path segment names a .sock file`);
      }
      const socketPath = segments.slice(0, sock + 1).join("/");
      const rest = segments.slice(sock + 1).join("/");
      return {
        url,
        origin: parsed.protocol === "https+unix:" ? "https://localhost" : "http://localhost",
        path: `/${rest}${suffix}`,
        socketPath: socketPath.startsWith("/") ? socketPath : `/${socketPath}`,
      };
    }
    default:
      throw new StatefunError("invalid-config", `${url}: unsupported scheme ${parsed.protocol}`);
  }
}
