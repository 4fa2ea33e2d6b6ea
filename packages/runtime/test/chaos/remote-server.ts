/**
 * The REMOTE chaos interpreter: `chaos/interpreter` written with the official StateFun JS SDK
 * (`apache-flink-statefun`), served over HTTP on 127.0.0.1 in a process of its own, which the
 * chaos killer leaves alone. Run as `node remote-server.js [port]` (default 0: a free port); it
 * prints one JSON line `{"port": <bound port>}` on stdout once it listens, and serves until
 * killed or until its stdin closes (the test process is gone, however it ended).
 * Semantics live in {@link interpret}, shared with the embedded implementation.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type { OfficialSdk } from "../remote/harness.js";
import type { Command } from "./commands.js";
import {
  COMMANDS_TYPENAME,
  EGRESS_RECORD_TYPENAME,
  INTERPRETER_TYPENAME,
  PLAYGROUND_EGRESS_TYPENAME,
  interpret,
} from "./commands.js";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- an untyped CommonJS peer
const official: OfficialSdk = require("apache-flink-statefun");
const { StateFun } = official;

const commandsType = StateFun.jsonType(COMMANDS_TYPENAME);
const recordType = StateFun.jsonType(EGRESS_RECORD_TYPENAME);

const statefun = new StateFun();
statefun.bind({
  typename: INTERPRETER_TYPENAME,
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context, message) {
    const cmds = message.as(commandsType) as readonly Command[];
    const to = (id: string, value: readonly Command[]) =>
      official.messageBuilder({
        typename: INTERPRETER_TYPENAME,
        id,
        value,
        valueType: commandsType,
      });
    const count = (context.storage.count as number | null | undefined) ?? 0;
    context.storage.count = interpret(context.self.id, count, cmds, {
      send: (id, value) => context.send(to(id, value)),
      sendAfter: (id, delayMs, value, token) => context.sendAfter(delayMs, to(id, value), token),
      cancel: (token) => context.cancelDelayedMessage(token),
      egress: (topic, payload) =>
        context.send(
          official.egressMessageBuilder({
            typename: PLAYGROUND_EGRESS_TYPENAME,
            value: { topic, payload },
            valueType: recordType,
          }),
        ),
    });
  },
});

// Exit with the test process: its end closes our stdin, even when it was SIGKILLed.
process.stdin.on("end", () => process.exit(0)).resume();

const handler = statefun.handler();
const server = createServer((req, res) => void handler(req, res));
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
