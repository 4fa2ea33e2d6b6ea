/**
 * Test harness for remote functions: official-SDK (or hand-written) HTTP function servers on
 * 127.0.0.1, a runtime configured from module.yaml text, an in-memory egress and a logger that
 * keeps its lines for assertions.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import type { Clock, LogFields, Logger, Runtime, RuntimeOptions } from "../../src/index.js";
import { createHttpEndpointProvider, createRuntime, parseModuleText } from "../../src/index.js";
import { memoryEgress } from "../core/helpers.js";

const require = createRequire(import.meta.url);

/** The official StateFun JavaScript SDK (CommonJS). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- an untyped CommonJS peer
export const official: OfficialSdk = require("apache-flink-statefun");

/** The parts of the official SDK the tests use. */
export interface OfficialSdk {
  StateFun: {
    new (): OfficialStateFun;
    intType: () => unknown;
    stringType: () => unknown;
    jsonType: (typename: string) => unknown;
  };
  messageBuilder(options: {
    typename: string;
    id: string;
    value: unknown;
    valueType?: unknown;
  }): unknown;
  egressMessageBuilder(options: { typename: string; value: unknown; valueType: unknown }): unknown;
}

/** An official SDK registry. */
export interface OfficialStateFun {
  bind(spec: {
    typename: string;
    fn: (context: OfficialContext, message: OfficialMessage) => void | Promise<void>;
    specs?: { name: string; type: unknown; expireAfterWrite?: number; expireAfterCall?: number }[];
  }): void;
  handler: () => (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The official SDK's context. */
export interface OfficialContext {
  readonly self: { readonly id: string; readonly typename: string };
  readonly caller: { readonly id: string; readonly typename: string } | null;
  readonly storage: Record<string, unknown>;
  send(message: unknown): void;
  sendAfter(delayMs: number, message: unknown, token?: string): void;
  cancelDelayedMessage(token: string): void;
}

/** The official SDK's message. */
export interface OfficialMessage {
  asString(): string;
  asInt(): number;
  as(type: unknown): unknown;
  readonly valueTypeName: string;
}

/** A running HTTP server for a function handler, counting requests. */
export interface FunctionServer {
  readonly url: string;
  readonly port: number;
  requests: number;
  close(): Promise<void>;
}

/** Serves a node request handler on 127.0.0.1 (port 0 unless given). */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  port = 0,
): Promise<FunctionServer> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One captured log line. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that keeps every line. */
export function capturingLogger(
  lines: LogLine[] = [],
  bindings: LogFields = {},
): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...fields } });
    };
  return {
    lines,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}

/** A runtime whose remote endpoints come from module.yaml text. */
export function remoteRuntime(
  yaml: string,
  options: {
    readonly embedded?: StatefulFunctions;
    readonly clock?: Clock;
    readonly egressIds?: readonly string[];
    readonly runtime?: RuntimeOptions;
  } = {},
) {
  const definition = parseModuleText(yaml, "module.yaml");
  const logger = capturingLogger();
  const provider = createHttpEndpointProvider(definition.endpoints, {
    logger,
    attemptLogIntervalMs: 0,
  });
  const egresses = (options.egressIds ?? ["test/out"]).map((id) => memoryEgress(id));
  const runtime: Runtime = createRuntime({
    functions: options.embedded === undefined ? [] : [options.embedded],
    providers: [provider],
    egresses,
    logger,
    retry: { initialBackoffMs: 20, maxBackoffMs: 200 },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...options.runtime,
  });
  return {
    runtime,
    logger,
    egress: egresses[0] as ReturnType<typeof memoryEgress>,
    stop: async (): Promise<void> => {
      await runtime.stop();
      await provider.close();
    },
  };
}

/** A module.yaml with one v2 endpoint for a namespace. */
export function endpointYaml(namespace: string, url: string, transport = ""): string {
  return [
    "kind: io.statefun.endpoints.v2/http",
    "spec:",
    `  functions: ${namespace}/*`,
    `  urlPathTemplate: ${url}/{function.name}`,
    transport === "" ? "" : `  transport:\n${transport}`,
  ].join("\n");
}
