/**
 * The EMBEDDED chaos interpreter: `chaos/interpreter` written with @statefun-ts/sdk. module.yaml
 * loads the compiled file through `io.statefun-ts.v1/embedded`; the default export is the
 * registry. Semantics live in {@link interpret}, shared with the remote implementation.
 */
import {
  createStatefulFunctions,
  intType,
  jsonType,
  messageBuilder,
  playgroundEgressMessage,
} from "@statefun-ts/sdk";
import type { Command } from "./commands.js";
import { COMMANDS_TYPENAME, INTERPRETER_TYPENAME, interpret } from "./commands.js";

/** A command list as a JSON value. */
export const commandsType = jsonType<readonly Command[]>(COMMANDS_TYPENAME);

const functions = createStatefulFunctions().bind({
  typename: INTERPRETER_TYPENAME,
  state: { count: intType },
  fn(context, message) {
    const cmds = message.as(commandsType);
    const to = (id: string, value: readonly Command[]) =>
      messageBuilder({ typename: INTERPRETER_TYPENAME, id, value, valueType: commandsType });
    context.storage.count = interpret(context.self.id, context.storage.count ?? 0, cmds, {
      send: (id, value) => context.send(to(id, value)),
      sendAfter: (id, delayMs, value, token) =>
        context.sendAfter(delayMs, to(id, value), ...(token === undefined ? [] : [token])),
      cancel: (token) => context.cancelDelayedMessage(token),
      egress: (topic, payload) => context.sendEgress(playgroundEgressMessage({ topic, payload })),
    });
  },
});

export default functions;
