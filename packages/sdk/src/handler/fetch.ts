/**
 * The fetch-style adapter of the request-reply handler, `(Request) => Promise<Response>`, for
 * serverless and edge platforms. Web-standard APIs only (Request, Response, ReadableStream,
 * Uint8Array): no Node modules. Applies the rules of `http-rules.ts`; no protocol logic here.
 */
import type { HttpHandlerOptions, HttpReply, ResolvedHttpHandlerOptions } from "./http-rules.js";
import {
  bodyTooLargeReply,
  checkRequestHead,
  replyToBody,
  resolveHttpHandlerOptions,
  unreadableBodyReply,
} from "./http-rules.js";
import type { RequestReplyHandler } from "./request-reply.js";

/** Options of {@link createFetchHandler}. */
export type FetchHandlerOptions = HttpHandlerOptions;

/** A fetch-style handler: `export default { fetch: handler }`, `Deno.serve(handler)`, etc. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Reads the body up to the limit: the bytes, or the reply refusing it. */
async function readBody(
  request: Request,
  options: ResolvedHttpHandlerOptions,
): Promise<Uint8Array | HttpReply> {
  const stream = request.body;
  if (stream === null) return new Uint8Array(0);
  const reader = (stream as ReadableStream<unknown>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        reader.cancel().catch(() => {});
        return unreadableBodyReply(
          new TypeError("the body stream yielded a chunk that is not bytes"),
        );
      }
      total += value.byteLength;
      if (total > options.maxBodyBytes) {
        reader.cancel().catch(() => {});
        return bodyTooLargeReply(options);
      }
      chunks.push(value);
    }
  } catch (error) {
    return unreadableBodyReply(error);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function toResponse(reply: HttpReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/**
 * Creates a fetch-style handler that serves `handler`. Any URL is served (dispatch is on the
 * request's target address). Status codes as for the node adapter: 200 with
 * `Content-Type: application/octet-stream`; 405 (with `Allow: POST`), 415, 400, 413, 404 and 500
 * with a one-line `text/plain` reason. Never rejects.
 *
 * @throws StatefunError `invalid-argument` for invalid options.
 */
export function createFetchHandler(
  handler: RequestReplyHandler,
  options: FetchHandlerOptions = {},
): FetchHandler {
  const resolved = resolveHttpHandlerOptions(options, "createFetchHandler");
  return async (request) => {
    const refused = checkRequestHead(
      {
        method: request.method,
        contentType: request.headers.get("content-type"),
        contentLength: request.headers.get("content-length"),
      },
      resolved,
    );
    if (refused !== undefined) return toResponse(refused);
    const body = await readBody(request, resolved);
    if (!(body instanceof Uint8Array)) return toResponse(body);
    return toResponse(await replyToBody(handler, body));
  };
}
