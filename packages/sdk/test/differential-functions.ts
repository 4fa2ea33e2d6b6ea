/**
 * The function of the differential tests, written twice: once with our SDK, once with the
 * official JavaScript SDK. Same typename, same value specs (with expirations), same logic,
 * mirrored line by line. It is designed so that both SDKs can express it exactly: only int,
 * string, bool and JSON values (the official SDK has no long/double and its float is float32),
 * int32 numbers where a message is typed automatically, and no mutation of a read object
 * without re-assigning it.
 */
import { boolType, intType, stringType } from "@statefun-ts/protocol";
import type { Context, Message, StatefulFunctions } from "../src/index.js";
import {
  createStatefulFunctions,
  egressMessageBuilder,
  jsonType,
  kafkaEgressMessage,
  messageBuilder,
} from "../src/index.js";
import { official } from "./differential-official.js";
import type {
  OfficialContext,
  OfficialMessage,
  OfficialStateFun,
} from "./differential-official.js";

/** Typename of the function. */
export const FUNCTION_TYPENAME = "diff/counter";
/** Typename of the function messages go to. */
export const PEER_TYPENAME = "diff/peer";
/** Typename of commands. */
export const COMMAND_TYPENAME = "diff/Command";
/** Expiration of `count` (after invoke / after call), ms. */
export const COUNT_TTL_MS = 60_000;
/** Expiration of `log` (after write), ms. */
export const LOG_TTL_MS = 3_600_000;

/** What the function can be asked to do; one command per message. */
export type Command =
  | { readonly op: "add"; readonly n: number }
  | { readonly op: "log"; readonly entry: string }
  | { readonly op: "name"; readonly s: string }
  | { readonly op: "flag"; readonly b: boolean }
  | { readonly op: "send"; readonly to: string; readonly text: string }
  | { readonly op: "sendCount"; readonly to: string }
  | { readonly op: "sendJson"; readonly to: string }
  | { readonly op: "delay"; readonly to: string; readonly ms: number; readonly token?: string }
  | { readonly op: "cancel"; readonly token: string }
  | { readonly op: "kafka"; readonly topic: string; readonly key?: string; readonly value: string }
  | { readonly op: "egress"; readonly payload: string }
  | { readonly op: "reply" }
  | { readonly op: "reset" }
  | { readonly op: "read" }
  | { readonly op: "fail" };

/** Snapshot of the state, as sent by `sendJson` and egress records. */
interface Snapshot {
  readonly count: number | null;
  readonly log: readonly string[] | null;
  readonly name: string | null;
  readonly flag: boolean | null;
}

/** Our SDK's registry with the function bound. */
export function ourFunctions(): StatefulFunctions {
  const commandType = jsonType<Command>(COMMAND_TYPENAME);
  const logType = jsonType<string[]>("diff/Log");
  const snapshotType = jsonType<Snapshot>("diff/Snapshot");
  const recordType = jsonType<{ payload: string; count: number | null }>("diff/EgressRecord");
  const state = {
    count: { type: intType, expireAfterInvokeMs: COUNT_TTL_MS },
    log: { type: logType, expireAfterWriteMs: LOG_TTL_MS },
    name: stringType,
    flag: boolType,
  };
  const fn = (context: Context<typeof state>, message: Message): void => {
    const storage = context.storage;
    if (message.isString()) {
      storage.log = [...(storage.log ?? []), message.asString()];
      return;
    }
    const command = message.as(commandType);
    const to = (id: string, value: unknown, valueType?: typeof snapshotType) =>
      valueType === undefined
        ? messageBuilder({ typename: PEER_TYPENAME, id, value })
        : messageBuilder({ typename: PEER_TYPENAME, id, value, valueType });
    switch (command.op) {
      case "add":
        storage.count = (storage.count ?? 0) + command.n;
        break;
      case "log":
        storage.log = [...(storage.log ?? []), command.entry];
        break;
      case "name":
        storage.name = command.s;
        break;
      case "flag":
        storage.flag = command.b;
        break;
      case "send":
        context.send(to(command.to, command.text));
        break;
      case "sendCount":
        context.send(to(command.to, storage.count ?? 0));
        break;
      case "sendJson": {
        const snapshot = {
          count: storage.count ?? null,
          log: storage.log ?? null,
          name: storage.name ?? null,
          flag: storage.flag ?? null,
        };
        context.send(to(command.to, snapshot, snapshotType));
        break;
      }
      case "delay":
        context.sendAfter(command.ms, to(command.to, `later ${command.ms}`), command.token);
        break;
      case "cancel":
        context.cancelDelayedMessage(command.token);
        break;
      case "kafka":
        context.sendEgress(
          kafkaEgressMessage({
            typename: "diff/kafka",
            topic: command.topic,
            ...(command.key === undefined ? {} : { key: command.key }),
            value: command.value,
          }),
        );
        break;
      case "egress":
        context.sendEgress(
          egressMessageBuilder({
            typename: "diff/egress",
            value: { payload: command.payload, count: storage.count ?? null },
            valueType: recordType,
          }),
        );
        break;
      case "reply": {
        const caller = context.caller;
        if (caller === undefined) {
          context.sendEgress(
            egressMessageBuilder({
              typename: "diff/egress",
              value: "no caller",
              valueType: stringType,
            }),
          );
        } else {
          const text = `pong from ${context.self.id}`;
          context.send(messageBuilder({ typename: caller.typename, id: caller.id, value: text }));
        }
        break;
      }
      case "reset":
        storage.count = undefined;
        storage.log = undefined;
        break;
      case "read":
        void [storage.count, storage.log, storage.name, storage.flag];
        break;
      case "fail":
        throw new Error("requested failure");
    }
  };
  return createStatefulFunctions().bind({ typename: FUNCTION_TYPENAME, state, fn });
}

/** The official SDK's `StateFun` with the same function bound. */
export function officialFunctions(): OfficialStateFun {
  const { StateFun, messageBuilder, egressMessageBuilder, kafkaEgressMessage } = official;
  const commandType = StateFun.jsonType<Command>(COMMAND_TYPENAME);
  const snapshotType = StateFun.jsonType<Snapshot>("diff/Snapshot");
  const recordType = StateFun.jsonType<{ payload: string; count: number | null }>(
    "diff/EgressRecord",
  );
  const fn = (context: OfficialContext, message: OfficialMessage): void => {
    const storage = context.storage as {
      count: number | null;
      log: string[] | null;
      name: string | null;
      flag: boolean | null;
    };
    if (message.isString()) {
      storage.log = [...(storage.log ?? []), message.asString() as string];
      return;
    }
    const command = message.as(commandType) as Command;
    const to = (id: string, value: unknown, valueType?: typeof snapshotType) =>
      valueType === undefined
        ? messageBuilder({ typename: PEER_TYPENAME, id, value })
        : messageBuilder({ typename: PEER_TYPENAME, id, value, valueType });
    switch (command.op) {
      case "add":
        storage.count = (storage.count ?? 0) + command.n;
        break;
      case "log":
        storage.log = [...(storage.log ?? []), command.entry];
        break;
      case "name":
        storage.name = command.s;
        break;
      case "flag":
        storage.flag = command.b;
        break;
      case "send":
        context.send(to(command.to, command.text));
        break;
      case "sendCount":
        context.send(to(command.to, storage.count ?? 0));
        break;
      case "sendJson": {
        const snapshot = {
          count: storage.count ?? null,
          log: storage.log ?? null,
          name: storage.name ?? null,
          flag: storage.flag ?? null,
        };
        context.send(to(command.to, snapshot, snapshotType));
        break;
      }
      case "delay":
        context.sendAfter(command.ms, to(command.to, `later ${command.ms}`), command.token);
        break;
      case "cancel":
        context.cancelDelayedMessage(command.token);
        break;
      case "kafka":
        context.send(
          kafkaEgressMessage({
            typename: "diff/kafka",
            topic: command.topic,
            ...(command.key === undefined ? {} : { key: command.key }),
            value: command.value,
          }),
        );
        break;
      case "egress":
        context.send(
          egressMessageBuilder({
            typename: "diff/egress",
            value: { payload: command.payload, count: storage.count ?? null },
            valueType: recordType,
          }),
        );
        break;
      case "reply": {
        const caller = context.caller;
        if (caller === null) {
          context.send(
            egressMessageBuilder({
              typename: "diff/egress",
              value: "no caller",
              valueType: StateFun.stringType(),
            }),
          );
        } else {
          const text = `pong from ${context.self.id}`;
          context.send(messageBuilder({ typename: caller.typename, id: caller.id, value: text }));
        }
        break;
      }
      case "reset":
        storage.count = null;
        storage.log = null;
        break;
      case "read":
        void [storage.count, storage.log, storage.name, storage.flag];
        break;
      case "fail":
        throw new Error("requested failure");
    }
  };
  const statefun = new StateFun();
  statefun.bind({
    typename: FUNCTION_TYPENAME,
    fn,
    specs: [
      { name: "count", type: StateFun.intType(), expireAfterCall: COUNT_TTL_MS },
      { name: "log", type: StateFun.jsonType<string[]>("diff/Log"), expireAfterWrite: LOG_TTL_MS },
      { name: "name", type: StateFun.stringType() },
      { name: "flag", type: StateFun.booleanType() },
    ],
  });
  return statefun;
}
