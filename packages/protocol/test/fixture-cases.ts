/**
 * The messages behind the golden fixtures in `test/fixtures/`. `scripts/gen-fixtures.mjs` renders
 * each case once with the official encoder; the stored file is then the truth. A case can be
 * added but never changed: the golden test checks that every case still renders to its file.
 */
import {
  ExpireMode,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  MutationType,
} from "../src/index.js";
import type { WireAddress, WireTypedValue } from "../src/index.js";
import type { FixtureCase } from "./fixtures.js";
import { fromHex, utf8 } from "./hex.js";
import { official } from "./official.js";

const bob: WireAddress = { namespace: "example", type: "person", id: "Bob" };
const greeterBob: WireAddress = { namespace: "example", type: "greeter", id: "Bob" };
const greetRequest: WireTypedValue = {
  typename: "example/GreetRequest",
  hasValue: true,
  value: utf8('{"name":"Bob"}'),
};
const int = (hex: string): WireTypedValue => ({
  typename: "io.statefun.types/int",
  hasValue: true,
  value: fromHex(hex),
});
const json = (typename: string, value: unknown): WireTypedValue => ({
  typename,
  hasValue: true,
  value: utf8(JSON.stringify(value)),
});
const noInvocations = {
  stateMutations: [],
  outgoingMessages: [],
  delayedInvocations: [],
  outgoingEgresses: [],
};

const kafkaRecord = {
  key: "user-1",
  valueBytes: utf8('{"greeting":"Hello Bob"}'),
  topic: "greetings",
};
const kinesisRecord = {
  partitionKey: "user-1",
  valueBytes: fromHex("00 01 02 FE FF"),
  stream: "greetings",
  explicitHashKey: "170141183460469231731687303715884105728",
};

/** Reference §1.13, the annotated exchange of the greeter (`example/person`, id `Bob`). */
const exchange: FixtureCase[] = [
  {
    name: "exchange-1-to-function-no-state",
    description:
      "Reference §1.13 step 1: the first request for example/person/Bob from an ingress " +
      "(no caller); no state is registered yet.",
    kind: "ToFunction",
    value: { invocation: { target: bob, state: [], invocations: [{ argument: greetRequest }] } },
  },
  {
    name: "exchange-2-incomplete-invocation-context",
    description:
      "Reference §1.13 step 2: the SDK asks for the missing state spec visits:int (no expiration).",
    kind: "FromFunction",
    value: {
      incompleteInvocationContext: {
        missingValues: [{ stateName: "visits", typeTypename: "io.statefun.types/int" }],
      },
    },
  },
  {
    name: "exchange-3-to-function-state-without-value",
    description:
      "Reference §1.13 step 3: the runtime re-sends with state visits registered but without a " +
      "value (state_value omitted).",
    kind: "ToFunction",
    value: {
      invocation: {
        target: bob,
        state: [{ stateName: "visits" }],
        invocations: [{ argument: greetRequest }],
      },
    },
  },
  {
    name: "exchange-4-invocation-response",
    description:
      "Reference §1.13 step 4: the SDK sets visits to int 1 and sends a message to " +
      "example/greeter/Bob.",
    kind: "FromFunction",
    value: {
      invocationResult: {
        ...noInvocations,
        stateMutations: [
          {
            mutationType: MutationType.MODIFY,
            stateName: "visits",
            stateValue: int("0D 01 00 00 00"),
          },
        ],
        outgoingMessages: [{ target: greeterBob, argument: greetRequest }],
      },
    },
  },
  {
    name: "exchange-5-to-function-with-state-value",
    description: "Reference §1.13 step 5: the next request for Bob carries visits = int 1.",
    kind: "ToFunction",
    value: {
      invocation: {
        target: bob,
        state: [{ stateName: "visits", stateValue: int("0D 01 00 00 00") }],
        invocations: [{ argument: greetRequest }],
      },
    },
  },
];

const toFunction: FixtureCase[] = [
  {
    name: "to-function-batch-with-and-without-caller",
    description:
      "A batch of four invocations, from ingresses (no caller) and from functions, for an id " +
      "with '/', non-ASCII letters and an emoji; several states, one without a value and one " +
      "holding int 0 (present, empty bytes).",
    kind: "ToFunction",
    value: {
      invocation: {
        target: { namespace: "com.example", type: "user-profile", id: "tenant/42/Zoë 🚀" },
        state: [
          {
            stateName: "seen",
            stateValue: {
              typename: "io.statefun.types/bool",
              hasValue: true,
              value: fromHex("08 01"),
            },
          },
          {
            stateName: "name",
            stateValue: {
              typename: "io.statefun.types/string",
              hasValue: true,
              value: fromHex("0A 03 42 6F 62"),
            },
          },
          { stateName: "cart" },
          { stateName: "counter", stateValue: int("") },
        ],
        invocations: [
          { argument: json("com.example/Login", { user: "Zoë" }) },
          {
            caller: { namespace: "com.example", type: "session", id: "s/1" },
            argument: int("0D FF FF FF FF"),
          },
          { argument: json("com.example/Login", { user: "Zoë", again: true }) },
          {
            caller: { namespace: "com.example", type: "user-profile", id: "tenant/42/Zoë 🚀" },
            argument: {
              typename: "type.googleapis.com/com.example.Tick",
              hasValue: true,
              value: fromHex("08 96 01"),
            },
          },
        ],
      },
    },
  },
  {
    name: "to-function-argument-without-value",
    description:
      "TypedValue with has_value=false (no value) next to has_value=true with empty bytes " +
      "(int 0): both have empty value bytes, only has_value tells them apart.",
    kind: "ToFunction",
    value: {
      invocation: {
        target: bob,
        state: [],
        invocations: [
          { argument: { typename: "example/Maybe", hasValue: false, value: new Uint8Array(0) } },
          { argument: int("") },
        ],
      },
    },
  },
  {
    name: "to-function-empty-batch",
    description: "An InvocationBatchRequest with no field set: field 100 with length 0.",
    kind: "ToFunction",
    value: { invocation: { state: [], invocations: [] } },
  },
  {
    name: "to-function-empty",
    description: "A ToFunction without request: zero bytes.",
    kind: "ToFunction",
    value: {},
  },
];

const fromFunction: FixtureCase[] = [
  {
    name: "from-function-every-effect",
    description:
      "An InvocationResponse with every kind of effect: DELETE and MODIFY mutations, outgoing " +
      "messages, a delayed message with a cancellation token, a cancellation request, a delayed " +
      "message without token, a Kafka and a playground egress message.",
    kind: "FromFunction",
    value: {
      invocationResult: {
        stateMutations: [
          { mutationType: MutationType.DELETE, stateName: "cart" },
          {
            mutationType: MutationType.MODIFY,
            stateName: "visits",
            stateValue: int("0D 02 00 00 00"),
          },
          {
            mutationType: MutationType.MODIFY,
            stateName: "name",
            stateValue: {
              typename: "io.statefun.types/string",
              hasValue: true,
              value: fromHex("0A 03 42 6F 62"),
            },
          },
        ],
        outgoingMessages: [
          { target: greeterBob, argument: greetRequest },
          { target: { namespace: "example", type: "person", id: "Zoë/🚀" }, argument: int("") },
        ],
        delayedInvocations: [
          {
            isCancellationRequest: false,
            cancellationToken: "reminder-1",
            delayInMs: 1500,
            target: bob,
            argument: json("example/Reminder", { text: "come back" }),
          },
          { isCancellationRequest: true, cancellationToken: "reminder-0", delayInMs: 0 },
          {
            isCancellationRequest: false,
            cancellationToken: "",
            delayInMs: 60000,
            target: greeterBob,
            argument: greetRequest,
          },
        ],
        outgoingEgresses: [
          {
            egressNamespace: "com.example",
            egressType: "greets",
            argument: {
              typename: KAFKA_PRODUCER_RECORD_TYPENAME,
              hasValue: true,
              value: official.KafkaProducerRecord.encode(kafkaRecord),
            },
          },
          {
            egressNamespace: "io.statefun.playground",
            egressType: "egress",
            argument: json("io.statefun.playground/EgressRecord", {
              topic: "greetings",
              payload: "Hello Bob",
            }),
          },
        ],
      },
    },
  },
  {
    name: "from-function-cancellation-token",
    description:
      "A delayed message with a cancellation token, then the cancellation of that token. " +
      "google-protobuf writes fields 10 and 11 first (declaration order), protobufjs in " +
      "field-number order: the bytes differ, the messages are equal.",
    kind: "FromFunction",
    value: {
      invocationResult: {
        ...noInvocations,
        delayedInvocations: [
          {
            isCancellationRequest: false,
            cancellationToken: "t1",
            delayInMs: 1000,
            target: bob,
            argument: int("0D 01 00 00 00"),
          },
          { isCancellationRequest: true, cancellationToken: "t1", delayInMs: 0 },
        ],
      },
    },
  },
  {
    name: "from-function-delays-without-token",
    description:
      "Delayed messages without token or cancellation (fields 1-3 only): delays 0, 1, 2^31, " +
      "2^53-1 and -1 (the runtime rejects negative delays, the codec carries them as int64).",
    kind: "FromFunction",
    value: {
      invocationResult: {
        ...noInvocations,
        delayedInvocations: [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER, -1].map((delayInMs) => ({
          isCancellationRequest: false,
          cancellationToken: "",
          delayInMs,
          target: greeterBob,
          argument: int("0D 01 00 00 00"),
        })),
      },
    },
  },
  {
    name: "from-function-expiration-specs",
    description:
      "IncompleteInvocationContext with every expiration: NONE given explicitly, AFTER_WRITE " +
      "1 min, AFTER_INVOKE 1 day, a large TTL, no expiration_spec at all, and an empty " +
      "type_typename (tolerated by the runtime).",
    kind: "FromFunction",
    value: {
      incompleteInvocationContext: {
        missingValues: [
          {
            stateName: "none",
            expirationSpec: { mode: ExpireMode.NONE, expireAfterMillis: 0 },
            typeTypename: "io.statefun.types/int",
          },
          {
            stateName: "after-write",
            expirationSpec: { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: 60000 },
            typeTypename: "io.statefun.types/string",
          },
          {
            stateName: "after-invoke",
            expirationSpec: { mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: 86400000 },
            typeTypename: "example/Profile",
          },
          {
            stateName: "long-ttl",
            expirationSpec: { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: 2 ** 40 },
            typeTypename: "io.statefun.types/long",
          },
          { stateName: "no-spec", typeTypename: "io.statefun.types/bool" },
          { stateName: "untyped", typeTypename: "" },
        ],
      },
    },
  },
  {
    name: "from-function-kafka-egress",
    description:
      "An InvocationResponse with one egress message whose argument is a KafkaProducerRecord.",
    kind: "FromFunction",
    value: {
      invocationResult: {
        ...noInvocations,
        outgoingEgresses: [
          {
            egressNamespace: "com.example",
            egressType: "greets",
            argument: {
              typename: KAFKA_PRODUCER_RECORD_TYPENAME,
              hasValue: true,
              value: official.KafkaProducerRecord.encode(kafkaRecord),
            },
          },
          {
            egressNamespace: "com.example",
            egressType: "stream",
            argument: {
              typename: KINESIS_EGRESS_RECORD_TYPENAME,
              hasValue: true,
              value: official.KinesisEgressRecord.encode(kinesisRecord),
            },
          },
        ],
      },
    },
  },
  {
    name: "from-function-unknown-mutation-type",
    description:
      "A mutation with enum value 7, which no SDK writes: the codec carries it, the runtime " +
      "must refuse it.",
    kind: "FromFunction",
    value: {
      invocationResult: {
        ...noInvocations,
        stateMutations: [
          { mutationType: 7, stateName: "visits", stateValue: int("0D 01 00 00 00") },
        ],
      },
    },
  },
  {
    name: "from-function-empty-invocation-response",
    description: "An InvocationResponse without effects: field 100 with length 0.",
    kind: "FromFunction",
    value: { invocationResult: noInvocations },
  },
  {
    name: "from-function-empty",
    description:
      "A FromFunction without response: zero bytes (an empty HTTP body), which the runtime " +
      "treats as a response without effects.",
    kind: "FromFunction",
    value: {},
  },
];

const egressPayloads: FixtureCase[] = [
  {
    name: "kafka-producer-record",
    description: "A KafkaProducerRecord egress payload with key, JSON value and topic.",
    kind: "KafkaProducerRecord",
    value: kafkaRecord,
  },
  {
    name: "kafka-producer-record-without-key",
    description: "A KafkaProducerRecord without key (empty key) and with binary value bytes.",
    kind: "KafkaProducerRecord",
    value: { key: "", valueBytes: fromHex("00 FF 10"), topic: "events" },
  },
  {
    name: "kinesis-egress-record",
    description: "A KinesisEgressRecord with every field, including explicit_hash_key.",
    kind: "KinesisEgressRecord",
    value: kinesisRecord,
  },
  {
    name: "kinesis-egress-record-without-hash-key",
    description: "A KinesisEgressRecord without explicit_hash_key (empty means not set).",
    kind: "KinesisEgressRecord",
    value: {
      partitionKey: "Zoë",
      valueBytes: utf8("hello"),
      stream: "greetings",
      explicitHashKey: "",
    },
  },
];

/** Every fixture case, in file-name order within each group. */
export const FIXTURE_CASES: readonly FixtureCase[] = [
  ...exchange,
  ...toFunction,
  ...fromFunction,
  ...egressPayloads,
];
