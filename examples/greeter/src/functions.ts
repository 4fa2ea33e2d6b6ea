/**
 * The greeter, StateFun's introductory example, as embedded TypeScript functions:
 * `example/person` counts the visits of each person and forwards the request with the count to
 * `example/greeter` at the same id, which publishes a greeting to the playground egress topic
 * `greetings`. The default export is the registry that module.yaml loads.
 */
import {
  createStatefulFunctions,
  intType,
  jsonType,
  messageBuilder,
  playgroundEgressMessage,
} from "@statefun-ts/sdk";

/** A greeting request: who visits, and (once counted by `example/person`) how many times. */
export interface GreetRequest {
  readonly name: string;
  /** Visits so far, this one included; absent in requests from the ingress. */
  readonly visits?: number;
}

/** The JSON type `example/GreetRequest` (ingress `Content-Type: application/vnd.example/GreetRequest`). */
export const greetRequestType = jsonType<GreetRequest>("example/GreetRequest");

/** The playground egress topic the greetings go to. */
export const GREETINGS_TOPIC = "greetings";

/** The greeting of `name` at their `visits`-th visit (1-based). */
export function greetingFor(name: string, visits: number): string {
  switch (visits) {
    case 1:
      return `Welcome ${name}`;
    case 2:
      return `Nice to see you again ${name}`;
    case 3:
      return `Third time is a charm ${name}`;
    default:
      return `Nice to see you at the ${visits}-nth time ${name}!`;
  }
}

/** The greeter's functions: `example/person` and `example/greeter`. */
const functions = createStatefulFunctions()
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
          id: context.self.id,
          value: { name: request.name, visits },
          valueType: greetRequestType,
        }),
      );
    },
  })
  .bind({
    typename: "example/greeter",
    fn(context, message) {
      const { name, visits = 1 } = message.as(greetRequestType);
      const payload = greetingFor(name, visits);
      context.sendEgress(playgroundEgressMessage({ topic: GREETINGS_TOPIC, payload }));
    },
  });

export default functions;
