/**
 * A real runtime with the playground ingress and egress on 127.0.0.1 ephemeral ports, embedded
 * test functions, and a logger that keeps every line, for the playground end-to-end tests.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import type {
  LogFields,
  Logger,
  PlaygroundEgress,
  PlaygroundIngress,
  Runtime,
  RuntimeOptions,
} from "../../src/index.js";
import { createPlaygroundEgress, createPlaygroundIngress, createRuntime } from "../../src/index.js";
import {
  createStatefulFunctions,
  intType,
  jsonType,
  messageBuilder,
  playgroundEgressMessage,
} from "@statefun-ts/sdk";
import type { Message } from "@statefun-ts/sdk";
import { deferred } from "./wait-for.js";
import type { Deferred } from "./wait-for.js";

/** One captured log line. */
export interface LogLine {
  readonly level: "error" | "warn" | "info" | "debug";
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that appends every line, with its bindings, to `lines`. */
export function createCapturingLogger(
  lines: LogLine[] = [],
  bindings: LogFields = {},
): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine["level"]) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...fields } });
    };
  return {
    lines,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    child: (more) => createCapturingLogger(lines, { ...bindings, ...more }),
  };
}

/** The JSON type of greeter requests sent through the ingress. */
export const greetRequestType = jsonType<{ name: string }>("example/GreetRequest");
const greetingType = jsonType<{ name: string; visits: number }>("example/Greeting");

const decoder = new TextDecoder();

/** What `example/echo` publishes about each message it receives (as JSON, topic `echo`). */
export interface EchoReport {
  readonly id: string;
  readonly typename: string;
  readonly hasValue: boolean;
  readonly body: string;
  readonly length: number;
}

function echo(message: Message): EchoReport {
  const value = message.typedValue;
  return {
    id: message.targetAddress.id,
    typename: value.typename,
    hasValue: value.hasValue,
    body: decoder.decode(value.bytes),
    length: value.bytes.length,
  };
}

/** A running playground application. */
export interface Playground {
  readonly runtime: Runtime;
  readonly ingress: PlaygroundIngress;
  readonly egress: PlaygroundEgress;
  readonly logs: LogLine[];
  /** `http://127.0.0.1:<ingress port>`. */
  readonly ingressUrl: string;
  /** `http://127.0.0.1:<egress port>`. */
  readonly egressUrl: string;
  /** Holds `example/blocker` invocations until resolved. */
  readonly gate: Deferred<void>;
  /** Ids `example/blocker` started handling. */
  readonly blocked: string[];
}

/** Options of {@link startPlayground}. */
export interface PlaygroundTestOptions {
  readonly maxBodyBytes?: number;
  readonly maxQueuedPerTopic?: number;
  readonly runtime?: Partial<RuntimeOptions>;
}

/**
 * Starts a runtime with functions:
 *  - `example/person` (state `visits:int`): on a GreetRequest, counts the visit and sends
 *    `example/Greeting` to `example/greeter/<name>` with `messageBuilder`;
 *  - `example/greeter`: publishes `Welcome <name>!` (first visit) or
 *    `Nice to see you again <name>, visit <n>` to topic `greetings`;
 *  - `example/echo`: publishes an {@link EchoReport} of each message to topic `echo`;
 *  - `example/publish`: publishes the message body (UTF-8) to topic `numbers`;
 *  - `example/blocker`: waits for `gate`.
 */
export async function startPlayground(options: PlaygroundTestOptions = {}): Promise<Playground> {
  const gate = deferred();
  const blocked: string[] = [];
  const registry = createStatefulFunctions()
    .bind({
      typename: "example/person",
      state: { visits: intType },
      fn(context, message) {
        const request = message.as(greetRequestType);
        const visits = (context.storage.visits ?? 0) + 1;
        context.storage.visits = visits;
        context.send(
          messageBuilder({
            typename: "example/greeter",
            id: request.name,
            value: { name: request.name, visits },
            valueType: greetingType,
          }),
        );
      },
    })
    .bind({
      typename: "example/greeter",
      fn(context, message) {
        const { name, visits } = message.as(greetingType);
        const payload =
          visits === 1 ? `Welcome ${name}!` : `Nice to see you again ${name}, visit ${visits}`;
        context.sendEgress(playgroundEgressMessage({ topic: "greetings", payload }));
      },
    })
    .bind({
      typename: "example/echo",
      fn(context, message) {
        const payload = JSON.stringify(echo(message));
        context.sendEgress(playgroundEgressMessage({ topic: "echo", payload }));
      },
    })
    .bind({
      typename: "example/publish",
      fn(context, message) {
        const payload = decoder.decode(message.typedValue.bytes);
        context.sendEgress(playgroundEgressMessage({ topic: "numbers", payload }));
      },
    })
    .bind({
      typename: "example/blocker",
      async fn(context) {
        blocked.push(context.self.id);
        await gate.promise;
      },
    });
  const logger = createCapturingLogger();
  const ingress = createPlaygroundIngress({
    port: 0,
    host: "127.0.0.1",
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  const egress = createPlaygroundEgress({
    port: 0,
    host: "127.0.0.1",
    topics: ["greetings", "echo", "numbers"],
    ...(options.maxQueuedPerTopic === undefined
      ? {}
      : { maxQueuedPerTopic: options.maxQueuedPerTopic }),
  });
  const runtime = createRuntime({
    functions: [registry],
    ingresses: [ingress],
    egresses: [egress],
    logger,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
    ...options.runtime,
  });
  await runtime.start();
  return {
    runtime,
    ingress,
    egress,
    logs: logger.lines,
    ingressUrl: `http://127.0.0.1:${ingress.address().port}`,
    egressUrl: `http://127.0.0.1:${egress.address().port}`,
    gate,
    blocked,
  };
}

/** Runs `test` against a fresh playground and stops it afterwards, even on failure. */
export async function withPlayground(
  options: PlaygroundTestOptions,
  test: (playground: Playground) => void | Promise<void>,
): Promise<void> {
  const playground = await startPlayground(options);
  try {
    await test(playground);
  } finally {
    playground.gate.resolve();
    await playground.runtime.stop();
  }
}

/** PUTs `body` to the ingress at `path`, with an optional content type. */
export function put(
  playground: Playground,
  path: string,
  body: string,
  contentType?: string,
): Promise<Response> {
  return fetch(playground.ingressUrl + path, {
    method: "PUT",
    body,
    headers: contentType === undefined ? {} : { "Content-Type": contentType },
  });
}

/** GETs `/<topic>` (with an optional query) from the egress. */
export function take(
  playground: Playground,
  topicAndQuery: string,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${playground.egressUrl}/${topicAndQuery}`, signal === undefined ? {} : { signal });
}

/** Resolves with the connection error code when connecting to `port` fails, `undefined` when it succeeds. */
export function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Log lines with this message. */
export function linesWith(logs: readonly LogLine[], message: string): LogLine[] {
  return logs.filter((line) => line.message === message);
}

/** Asserts an error response: status, JSON content type, `code`, and a reason matching `reason`. */
export async function expectError(
  response: Response,
  status: number,
  code: string,
  reason: RegExp,
): Promise<void> {
  assert.equal(response.status, status);
  assert.equal(response.headers.get("content-type"), "application/json");
  const body = (await response.json()) as { error: string; code: string };
  assert.equal(body.code, code);
  assert.match(body.error, reason);
}
