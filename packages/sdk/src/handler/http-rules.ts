/**
 * The HTTP rules of the request-reply endpoint, shared by the node:http and fetch adapters and
 * free of any transport: which requests are refused with which status, and the reply to a body.
 * Like the official Go SDK (reference §1.12), stricter than the official JS SDK, and compatible
 * with the StateFun runtime, which always POSTs `application/octet-stream`:
 *
 * | condition | status |
 * |---|---|
 * | method other than POST | 405, `Allow: POST` |
 * | `Content-Type` present, media type not `application/octet-stream` | 415 |
 * | empty body | 400 |
 * | body over `maxBodyBytes` | 413 |
 * | `protocol-error` (not a `ToFunction`) | 400 |
 * | `unknown-function-type` | 404 |
 * | any other failure | 500 |
 * | success | 200, `Content-Type: application/octet-stream`, body = `FromFunction` |
 *
 * Error replies are `text/plain; charset=utf-8` with a one-line reason (naming the target address
 * when known): the runtime logs this body, so it is how its log line can give the cause.
 */
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import type { RequestReplyHandler } from "./request-reply.js";

/** Options of the HTTP adapters (`createNodeHandler`, `createFetchHandler`). */
export interface HttpHandlerOptions {
  /**
   * Largest accepted request body, in bytes; larger bodies are answered 413 without being read
   * to the end. Default: 32 MiB (33,554,432), the runtime's default `payload_max_bytes`.
   */
  readonly maxBodyBytes?: number;
}

/** {@link HttpHandlerOptions} with every default filled in. */
export interface ResolvedHttpHandlerOptions {
  /** Largest accepted request body, in bytes. */
  readonly maxBodyBytes: number;
}

/** Default of {@link HttpHandlerOptions.maxBodyBytes}: 32 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Validates adapter options and fills in defaults. Never mutates its input.
 *
 * @throws StatefunError `invalid-argument` when `maxBodyBytes` is not a whole number ≥ 1.
 */
export function resolveHttpHandlerOptions(
  options: HttpHandlerOptions,
  what: string,
): ResolvedHttpHandlerOptions {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new StatefunError(
      "invalid-argument",
      `${what}: maxBodyBytes must be a whole number of bytes ≥ 1, found ${String(maxBodyBytes)}`,
    );
  }
  return { maxBodyBytes };
}

/** A reply in transport-neutral terms. */
export interface HttpReply {
  /** The HTTP status code. */
  readonly status: number;
  /** Response headers, `Content-Type` included (`Content-Length` is the adapter's business). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** What the rules look at before reading the body. */
export interface RequestHead {
  readonly method: string | undefined;
  /** The `Content-Type` header, `null`/`undefined` when absent. */
  readonly contentType: string | null | undefined;
  /** The `Content-Length` header, `null`/`undefined` when absent (e.g. chunked bodies). */
  readonly contentLength: string | null | undefined;
}

const OCTET_STREAM = "application/octet-stream";
const MAX_REASON_CHARS = 2048;
const encoder = new TextEncoder();

function textReply(
  status: number,
  reason: string,
  headers: Readonly<Record<string, string>> = {},
): HttpReply {
  let line = reason.replace(/[\r\n]+/g, " ");
  if (line.length > MAX_REASON_CHARS) line = `${line.slice(0, MAX_REASON_CHARS)}…`;
  return {
    status,
    headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" },
    body: encoder.encode(`${line}\n`),
  };
}

/** The media type of a `Content-Type` value: parameters dropped, lower case. */
function mediaTypeOf(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Checks a request before its body is read.
 *
 * @returns the refusal (405, 415, 413 when `Content-Length` already exceeds the limit, 400 when
 *   it announces an empty body), or `undefined` when the body should be read.
 */
export function checkRequestHead(
  head: RequestHead,
  options: ResolvedHttpHandlerOptions,
): HttpReply | undefined {
  if (head.method !== "POST") {
    return textReply(405, `expected method POST, found ${String(head.method)}`, {
      Allow: "POST",
    });
  }
  const contentType = head.contentType;
  if (
    contentType !== null &&
    contentType !== undefined &&
    mediaTypeOf(contentType) !== OCTET_STREAM
  ) {
    return textReply(415, `expected Content-Type ${OCTET_STREAM}, found ${contentType}`);
  }
  const length = head.contentLength;
  if (length !== null && length !== undefined && /^\d+$/.test(length.trim())) {
    const bytes = Number(length.trim());
    if (bytes > options.maxBodyBytes) return bodyTooLargeReply(options);
    if (bytes === 0) return emptyBodyReply();
  }
  return undefined;
}

/** The 413 reply for a body over the limit. */
export function bodyTooLargeReply(options: ResolvedHttpHandlerOptions): HttpReply {
  return textReply(413, `expected a body of at most ${options.maxBodyBytes} bytes`);
}

/** The 400 reply for a body that could not be read. */
export function unreadableBodyReply(error: unknown): HttpReply {
  return textReply(
    400,
    `cannot read the request body: ${error instanceof Error ? error.message : String(error)}`,
  );
}

function emptyBodyReply(): HttpReply {
  return textReply(400, "expected a ToFunction request body, found an empty body");
}

/** The status code of a failure of {@link RequestReplyHandler.handle}. */
export function statusOf(error: unknown): number {
  if (isStatefunError(error, "protocol-error")) return 400;
  if (isStatefunError(error, "unknown-function-type")) return 404;
  return 500;
}

/** The reply to a failure of {@link RequestReplyHandler.handle}: `<code>: <message>`. */
export function errorReply(error: unknown): HttpReply {
  const reason = isStatefunError(error)
    ? `${error.code}: ${error.message}`
    : `internal-error: ${error instanceof Error ? error.message : String(error)}`;
  return textReply(statusOf(error), reason);
}

/** Runs a complete request body through the handler and turns the outcome into a reply. */
export async function replyToBody(
  handler: RequestReplyHandler,
  body: Uint8Array,
): Promise<HttpReply> {
  if (body.length === 0) return emptyBodyReply();
  try {
    const result = await handler.handle(body);
    return { status: 200, headers: { "Content-Type": OCTET_STREAM }, body: result };
  } catch (error) {
    return errorReply(error);
  }
}
