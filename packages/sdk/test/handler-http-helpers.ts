/**
 * HTTP plumbing of the adapter and differential tests: real node:http servers on 127.0.0.1:0,
 * a node:http → fetch-handler bridge, and a client that sends exactly the bytes and headers asked
 * for (node:http, so chunked bodies and odd methods are possible).
 */
import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a node:http server with `listener` on an ephemeral port of 127.0.0.1. */
export async function listen(listener: RequestListener): Promise<TestServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What a test request sends. */
export interface TestRequest {
  readonly method?: string;
  readonly path?: string;
  /** Header names in lower case. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body; sent with `Content-Length` unless `chunked`. */
  readonly body?: Uint8Array;
  /** Send the body with `Transfer-Encoding: chunked` (no `Content-Length`). */
  readonly chunked?: boolean;
}

/** What a test request got back. */
export interface TestResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

/** Sends one request over a fresh connection and reads the whole response. */
export function send(url: string, req: TestRequest): Promise<TestResponse> {
  const body = req.body ?? new Uint8Array(0);
  const headers: Record<string, string> = { ...req.headers };
  if (req.chunked === true) headers["transfer-encoding"] = "chunked";
  else if (req.body !== undefined) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const client = httpRequest(
      `${url}${req.path ?? "/"}`,
      { method: req.method ?? "POST", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: flatHeaders(res),
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
      },
    );
    client.on("error", reject);
    if (req.chunked === true) {
      // Two writes, so the body really arrives in chunks.
      const half = Math.floor(body.length / 2);
      client.write(body.subarray(0, half));
      client.end(body.subarray(half));
    } else {
      client.end(body);
    }
  });
}

/** POSTs `body` as `application/octet-stream`, as the StateFun runtime does. */
export function postToFunction(url: string, body: Uint8Array): Promise<TestResponse> {
  return send(url, { headers: { "content-type": "application/octet-stream" }, body });
}

function flatHeaders(res: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * A node:http listener that hands every request to a fetch-style handler, streaming the request
 * body (as a serverless platform would) and copying the Response back.
 */
export function fetchBridge(handler: (request: Request) => Promise<Response>): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    }
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
      duplex: "half",
    });
    handler(request)
      .then(async (response) => {
        const body = new Uint8Array(await response.arrayBuffer());
        const out: Record<string, string> = {};
        response.headers.forEach((value, name) => (out[name] = value));
        res.writeHead(response.status, { ...out, "content-length": body.length });
        res.end(body);
      })
      .catch((error: unknown) => {
        res.writeHead(599, { "content-type": "text/plain" });
        res.end(`bridge failed: ${String(error)}`);
      });
  };
}

/** The body of a response as text. */
export function textOf(response: TestResponse): string {
  return new TextDecoder().decode(response.body);
}
