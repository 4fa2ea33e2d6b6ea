/**
 * The playground ingress (`io.statefun.playground.v1/ingress`, reference §3.8, checklist G1): an
 * HTTP server taking `PUT`/`POST /<namespace>/<type>/<id>` and handing the raw body to the
 * runtime. Compatible with the official playground, with real status codes where the official
 * one always answers 200: 400 malformed request, 404 unknown function type, 405 other methods,
 * 413 body too large, 503 shutting down or checkpoints failing, 500 anything else. 200 means the
 * runtime accepted the message — with checkpointing, that it is in a completed checkpoint. A
 * request with an `Idempotency-Key` header whose key was seen within the runtime's window is
 * acknowledged without being applied again, also across a crash.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Address } from "@statefun-ts/protocol";
import { TypedValue, formatAddress, isStatefunError } from "@statefun-ts/protocol";
import { PLAYGROUND_INGRESS_ID, PLAYGROUND_INGRESS_KIND } from "../../config/module/playground.js";
import { errorFields, noopLogger } from "../../observability/logger.js";
import type { Logger } from "../../observability/logger.js";
import type { Ingress, IngressContext } from "../ingress.js";
import type { ListenAddress, ResponseErrorCode } from "./http-server.js";
import { PlaygroundHttpServer, closeAfterResponse, sendEmpty, sendError } from "./http-server.js";
import { parseIngressTarget, parseIngressTypename } from "./ingress-request.js";
import type { PlaygroundIngressOptions } from "./options.js";
import { resolvePlaygroundIngressOptions } from "./options.js";

/** The playground ingress: an {@link Ingress} that also tells where it listens. */
export interface PlaygroundIngress extends Ingress {
  /**
   * The bound interface and port (the OS-picked one when configured with port 0).
   *
   * @throws StatefunError `illegal-state` before `start()`.
   */
  address(): ListenAddress;
}

type BodyResult = Uint8Array | "too-large" | "aborted";

/**
 * Reads a request body into one buffer of at most `maxBytes` bytes. A declared `Content-Length`
 * above the limit is refused before reading; otherwise reading stops at the first chunk that
 * crosses the limit and what was buffered is dropped.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve("too-large");
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (result: BodyResult): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        chunks.length = 0;
        req.pause();
        done("too-large");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      // A fresh exact-size array: Buffer.concat may hand out a slice of Node's shared pool.
      const body = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.length;
      }
      done(body);
    };
    const onClose = (): void => done("aborted");
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

function contentTypesOf(req: IncomingMessage): string[] {
  return req.headersDistinct["content-type"] ?? [];
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  context: IngressContext,
  logger: Logger,
  maxBodyBytes: number,
): Promise<void> {
  const path = req.url ?? "";
  logger.debug({ method: req.method, path }, "ingress request received");
  const refuse = (status: number, code: ResponseErrorCode, reason: string): void => {
    logger.debug({ method: req.method, path, status, reason }, "ingress request refused");
    sendError(res, status, code, reason, status === 405 ? { Allow: "PUT, POST" } : {});
  };
  if (req.method !== "PUT" && req.method !== "POST") {
    refuse(405, "method-not-allowed", `expected PUT or POST, found ${String(req.method)}`);
    return;
  }
  const target = parseIngressTarget(path);
  if (!target.ok) return refuse(400, target.code, target.reason);
  const typename = parseIngressTypename(contentTypesOf(req));
  if (!typename.ok) return refuse(400, typename.code, typename.reason);
  const body = await readBody(req, maxBodyBytes);
  if (body === "aborted") return;
  if (body === "too-large") {
    // Close the connection rather than read (and discard) the rest of an oversized body.
    closeAfterResponse(res);
    return refuse(413, "capacity-exceeded", `expected a body of at most ${maxBodyBytes} bytes`);
  }
  const keyHeader = req.headers["idempotency-key"];
  const idempotencyKey = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
  if (idempotencyKey !== undefined && (idempotencyKey === "" || idempotencyKey.length > 256)) {
    return refuse(400, "invalid-argument", "expected an Idempotency-Key of 1 to 256 characters");
  }
  await submit(
    res,
    context,
    logger,
    target.value,
    TypedValue.fromBytes(typename.value, body),
    idempotencyKey,
  );
}

async function submit(
  res: ServerResponse,
  context: IngressContext,
  logger: Logger,
  address: Address,
  value: TypedValue,
  idempotencyKey: string | undefined,
): Promise<void> {
  try {
    await context.submit(address, value, idempotencyKey === undefined ? {} : { idempotencyKey });
  } catch (error) {
    if (isStatefunError(error, "unknown-function-type")) {
      sendError(res, 404, error.code, error.message);
    } else if (isStatefunError(error, "shutdown")) {
      sendError(res, 503, error.code, error.message);
    } else if (isStatefunError(error, "storage-failed")) {
      // Not durable: the sender may retry (with its Idempotency-Key, applied at most once).
      logger.warn(
        { address: formatAddress(address), ...errorFields(error) },
        "ingress message not acknowledged: checkpoints are failing",
      );
      sendError(res, 503, error.code, error.message);
    } else {
      logger.error(
        { address: formatAddress(address), typename: value.typename, ...errorFields(error) },
        "ingress message could not be submitted",
      );
      const code = isStatefunError(error) ? error.code : "internal-error";
      sendError(res, 500, code, error instanceof Error ? error.message : String(error));
    }
    return;
  }
  sendEmpty(res, 200);
}

/**
 * Creates the playground ingress, id `io.statefun.playground/ingress`.
 *
 * Requests: `PUT` or `POST /<namespace>/<type>/<id>` (segments percent-decoded, one trailing `/`
 * tolerated, query ignored). The message typename is taken from the first `Content-Type`
 * starting with `application/vnd.` (`application/vnd.example/GreetRequest` →
 * `example/GreetRequest`; parameters after `;` dropped), else `io.statefun.types/string`. The
 * body is delivered as raw bytes (`has_value` true, even when empty), without caller.
 *
 * Responses: 200 with an empty body once the runtime accepted the message (this waits while the
 * runtime's backlog is full); errors have a JSON body `{"error": reason, "code": code}`: 400
 * malformed path or content type, 404 unknown function type, 405 other methods (with
 * `Allow: PUT, POST`), 413 body over `maxBodyBytes`, 503 while stopping or when checkpoints kept
 * failing (code `storage-failed`; the message may still be applied, and a retry with the same
 * `Idempotency-Key` is applied at most once), 500 otherwise (logged).
 *
 * `stop()` stops accepting connections, closes idle ones, and lets in-flight requests finish for
 * up to 5 s before closing their connections.
 *
 * @throws StatefunError `invalid-config` for invalid options.
 */
export function createPlaygroundIngress(options: PlaygroundIngressOptions): PlaygroundIngress {
  const resolved = resolvePlaygroundIngressOptions(options);
  let context: IngressContext | undefined;
  let logger: Logger = noopLogger;
  const server = new PlaygroundHttpServer("playground ingress", (req, res) => {
    // Only called while running, which implies start() set the context.
    handle(req, res, context as IngressContext, logger, resolved.maxBodyBytes).catch(
      (error: unknown) => {
        logger.error({ path: req.url, ...errorFields(error) }, "ingress request failed");
        sendError(res, 500, "internal-error", "the ingress failed to handle the request");
      },
    );
  });
  return {
    id: PLAYGROUND_INGRESS_ID,
    async start(ingressContext) {
      context = ingressContext;
      // The runtime's logger for an ingress names it already.
      logger = ingressContext.logger;
      const bound = await server.start(resolved.host, resolved.port);
      logger.info({ host: bound.host, port: bound.port }, "playground ingress listening");
    },
    async stop() {
      const wasRunning = server.state === "running";
      await server.stop();
      if (wasRunning) logger.info({}, "playground ingress stopped");
    },
    address: () => server.address(),
    describe() {
      const port = server.bound?.port ?? resolved.port;
      return { kind: PLAYGROUND_INGRESS_KIND, host: resolved.host, port };
    },
  };
}
