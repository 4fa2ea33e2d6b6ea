/**
 * A server child process (`--kind floor|ours|official`), forked by `server-process.ts`:
 * - `floor`: node:http answering every POST with a fixed 50-byte octet-stream body after reading
 *   the request body: the least an HTTP function endpoint can cost;
 * - `ours`: the counter function written with our SDK, served by `createNodeHandler`;
 * - `official`: the same function written with the official SDK (apache-flink-statefun), served
 *   by its own handler.
 * The counter (`bench-remote/counter`, state `count: int`) increments its count and forwards the
 * message's value (the submit time, set by the runtime process) to the embedded `bench/sink`.
 * The process counts requests and invocations and answers the parent's IPC questions with them
 * and its CPU time; it exits when the IPC channel closes, so it never outlives its parent.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StateFun, messageBuilder as officialMessage } from "apache-flink-statefun";
import {
  createNodeHandler,
  createRequestReplyHandler,
  createStatefulFunctions,
  intType,
  messageBuilder,
} from "@statefun-ts/sdk";
import { cpuMicros } from "../latency.js";
import { choiceArg } from "../scenarios/args.js";
import type { ParentMessage, ServerKind, ServerMessage } from "./server-process.js";
import { COUNTER_TYPE, SINK_ID, SINK_TYPE } from "./server-process.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const FLOOR_REPLY = Buffer.alloc(50, 7);
let invocations = 0;

function floorHandler(): Handler {
  return (req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": FLOOR_REPLY.length,
      });
      res.end(FLOOR_REPLY);
    });
  };
}

function oursHandler(): Handler {
  const functions = createStatefulFunctions().bind({
    typename: COUNTER_TYPE,
    state: { count: intType },
    fn(ctx, message) {
      invocations++;
      ctx.storage.count = (ctx.storage.count ?? 0) + 1;
      ctx.send(
        messageBuilder({
          typename: SINK_TYPE,
          id: SINK_ID,
          value: message.asInt(),
          valueType: intType,
        }),
      );
    },
  });
  return createNodeHandler(createRequestReplyHandler(functions));
}

function officialHandler(): Handler {
  const statefun = new StateFun();
  statefun.bind({
    typename: COUNTER_TYPE,
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      invocations++;
      const storage = context.storage as { count: number | null };
      storage.count = (storage.count ?? 0) + 1;
      context.send(
        officialMessage({
          typename: SINK_TYPE,
          id: SINK_ID,
          value: message.asInt(),
          valueType: StateFun.intType(),
        }),
      );
    },
  });
  const handle = statefun.handler();
  return (req, res) => void handle(req, res);
}

function handlerOf(kind: ServerKind): Handler {
  switch (kind) {
    case "floor":
      return floorHandler();
    case "ours":
      return oursHandler();
    case "official":
      return officialHandler();
  }
}

const kind = choiceArg("kind", ["floor", "ours", "official"]);
const handler = handlerOf(kind);
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  handler(req, res);
});
server.listen(0, "127.0.0.1", () => {
  const reply: ServerMessage = {
    type: "listening",
    port: (server.address() as AddressInfo).port,
  };
  process.send?.(reply);
});
process.on("message", (message: ParentMessage) => {
  if (message.type === "counters") {
    const reply: ServerMessage = {
      type: "counters",
      requests,
      invocations,
      cpuMicros: cpuMicros(),
    };
    process.send?.(reply);
  }
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
