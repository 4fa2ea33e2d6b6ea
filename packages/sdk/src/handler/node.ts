/**
 * The node:http adapter of the request-reply handler: reads the body (bounded), applies the
 * rules of `http-rules.ts` and writes the reply. No protocol logic lives here.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { HttpHandlerOptions, HttpReply } from "./http-rules.js";
import {
  bodyTooLargeReply,
  checkRequestHead,
  errorReply,
  replyToBody,
  resolveHttpHandlerOptions,
  unreadableBodyReply,
} from "./http-rules.js";
import type { RequestReplyHandler } from "./request-reply.js";

/** Options of {@link createNodeHandler}. */
export type NodeHandlerOptions = HttpHandlerOptions;

/** A request listener for `http.createServer` (or `https`, or a framework that exposes Node's request and response). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

type Body =
  | { readonly kind: "complete"; readonly bytes: Uint8Array }
  | { readonly kind: "too-large" }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "aborted" };

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (body: Body): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBodyBytes) {
        done({ kind: "too-large" });
        // Discard the rest until the connection closes after the 413 (bounded by that close).
        req.resume();
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => done({ kind: "complete", bytes: Buffer.concat(chunks, total) });
    const onError = (error: unknown): void => done({ kind: "failed", error });
    const onClose = (): void => done({ kind: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function send(res: ServerResponse, reply: HttpReply, closeConnection: boolean): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: OutgoingHttpHeaders = { ...reply.headers, "Content-Length": reply.body.length };
  // Close rather than read (and discard) the rest of a body that was refused half-way.
  if (closeConnection) headers["Connection"] = "close";
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

// Stream errors after the body was read (a client that went away) need no handling beyond not
// crashing the process; `send` notices a destroyed response.
function ignore(): void {}

/**
 * Creates a node:http request listener that serves `handler`:
 * `http.createServer(createNodeHandler(createRequestReplyHandler(functions))).listen(8000)`.
 * Any path is served (dispatch is on the request's target address). Replies: 200 with
 * `Content-Type: application/octet-stream` and the `FromFunction`; otherwise a one-line
 * `text/plain; charset=utf-8` reason with 405 (not POST; `Allow: POST`), 415 (a `Content-Type`
 * other than `application/octet-stream`), 400 (empty body, or not a `ToFunction`), 413 (body over
 * `maxBodyBytes`; the connection is closed), 404 (unknown function type) or 500 (any other
 * failure, reported to the handler's `onError`). A client that disconnects before its body is
 * complete gets no reply.
 *
 * @throws StatefunError `invalid-argument` for invalid options.
 */
export function createNodeHandler(
  handler: RequestReplyHandler,
  options: NodeHandlerOptions = {},
): NodeHandler {
  const resolved = resolveHttpHandlerOptions(options, "createNodeHandler");
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = checkRequestHead(
      {
        method: req.method,
        contentType: req.headers["content-type"],
        contentLength: req.headers["content-length"],
      },
      resolved,
    );
    if (refused !== undefined) return send(res, refused, refused.status === 413);
    const body = await readBody(req, resolved.maxBodyBytes);
    switch (body.kind) {
      case "aborted":
        return;
      case "too-large":
        return send(res, bodyTooLargeReply(resolved), true);
      case "failed":
        return send(res, unreadableBodyReply(body.error), true);
      case "complete":
        return send(res, await replyToBody(handler, body.bytes), false);
    }
  };
  return (req, res) => {
    req.on("error", ignore);
    res.on("error", ignore);
    serve(req, res).catch((error: unknown) => send(res, errorReply(error), true));
  };
}
