/**
 * The cases of the checkpoint format's golden fixtures, rendered by
 * `scripts/gen-checkpoint-fixtures.mjs` into `test/fixtures/checkpoint/`. A case may be added but
 * never changed: its files are kept forever. Key groups here are arbitrary (the format does not
 * check them against the addresses' hashes); values are real StateFun wrapper encodings.
 */
import type { CheckpointManifest, StoredTypedValue } from "../../src/checkpoint/model.js";
import type { FixtureCase } from "./format-fixture-file.js";

const CREATED_AT_MS = 1_700_000_000_000;

function wrapper(prefix: number[], payload: Uint8Array): Uint8Array {
  return new Uint8Array([...prefix, ...payload]);
}

/** `io.statefun.types/string` bytes (StringWrapper). */
function stringValue(text: string): StoredTypedValue {
  const utf8 = new TextEncoder().encode(text);
  return {
    typename: "io.statefun.types/string",
    hasValue: true,
    value: wrapper([0x0a, utf8.length], utf8),
  };
}

/** `io.statefun.types/int` bytes (IntWrapper, sfixed32). */
function intBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return wrapper([0x0d], bytes);
}

/** `io.statefun.types/long` bytes (LongWrapper, sfixed64). */
function longBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  return wrapper([0x09], bytes);
}

const INT = "io.statefun.types/int";
const LONG = "io.statefun.types/long";
const STRING = "io.statefun.types/string";
const GREETER = "example/greeter";

function manifest(fields: Partial<CheckpointManifest>): CheckpointManifest {
  return {
    formatVersion: 1,
    id: 1,
    kind: "checkpoint",
    createdAtMs: CREATED_AT_MS,
    maxKeyGroups: 128,
    mode: "exactly-once",
    full: true,
    chain: [],
    info: {},
    ...fields,
  };
}

const noGlobal = { egress: [], sinks: [], ingresses: [] };

/** Every fixture case, by file name. */
export const FIXTURE_CASES: readonly FixtureCase[] = [
  {
    name: "full-empty",
    description: "A full checkpoint of an application with no state, messages or egress.",
    manifest: manifest({ info: { pendingMessages: 0 } }),
    keyGroups: [],
    global: noGlobal,
  },
  {
    name: "full-every-record-kind",
    description:
      "A full checkpoint with state (infinite and finite expirations, an empty value, a unicode id), " +
      "pending messages with and without a caller and without a value, delayed messages with, " +
      "without and with an empty cancellation token, egress records, sink and ingress state.",
    manifest: manifest({
      id: 42,
      info: { delayedMessages: 3, pendingMessages: 2, runtime: "statefun-ts 0.1.0" },
    }),
    keyGroups: [
      {
        keyGroup: 0,
        state: [
          {
            functionType: GREETER,
            id: "Alice",
            values: [
              { name: "seen_count", typename: INT, value: intBytes(3), expiresAtMs: Infinity },
            ],
          },
          {
            functionType: GREETER,
            id: "Zoë 🚀",
            values: [
              {
                name: "seen_count",
                typename: INT,
                value: intBytes(1),
                expiresAtMs: CREATED_AT_MS + 600_000,
              },
              {
                name: "last_greeting",
                typename: STRING,
                value: new Uint8Array(0),
                expiresAtMs: Infinity,
              },
            ],
          },
        ],
        messages: [
          {
            target: { functionType: GREETER, id: "Alice" },
            caller: undefined,
            argument: stringValue("Alice"),
          },
          {
            target: { functionType: GREETER, id: "Bob" },
            caller: { functionType: "example/relay", id: "r-1" },
            argument: { typename: STRING, hasValue: false, value: new Uint8Array(0) },
          },
        ],
        delayed: [],
      },
      {
        keyGroup: 5,
        state: [],
        messages: [],
        delayed: [
          {
            sender: { functionType: GREETER, id: "Alice" },
            dueMs: CREATED_AT_MS + 1_000,
            cancellationToken: "reminder-1",
            target: { functionType: GREETER, id: "Alice" },
            argument: stringValue("tick"),
          },
          {
            sender: { functionType: "example/relay", id: "r-1" },
            dueMs: CREATED_AT_MS + 2_500,
            cancellationToken: undefined,
            target: { functionType: GREETER, id: "名前" },
            argument: { typename: INT, hasValue: true, value: intBytes(7) },
          },
          {
            sender: { functionType: "example/relay", id: "r-1" },
            dueMs: CREATED_AT_MS + 2_500,
            cancellationToken: "",
            target: { functionType: GREETER, id: "" },
            argument: { typename: INT, hasValue: true, value: intBytes(-1) },
          },
        ],
      },
      {
        keyGroup: 127,
        state: [
          {
            functionType: "example/counter",
            id: "c",
            values: [
              { name: "count", typename: LONG, value: longBytes(2 ** 40), expiresAtMs: Infinity },
            ],
          },
        ],
        messages: [],
        delayed: [],
      },
    ],
    global: {
      egress: [
        { egress: "io.statefun.playground/egress", value: stringValue("Hello Alice") },
        {
          egress: "example/out",
          value: {
            typename: "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord",
            hasValue: true,
            value: new Uint8Array([0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76, 0x1a, 0x01, 0x74]),
          },
        },
      ],
      sinks: [{ id: "io.statefun.playground/egress", bytes: new Uint8Array([1, 2, 3]) }],
      ingresses: [
        { id: "io.statefun.playground/ingress", bytes: new Uint8Array(0) },
        { id: "example/kafka-in", bytes: new TextEncoder().encode('{"greetings/0":17}') },
      ],
    },
  },
  {
    name: "incremental-chain-with-deletion",
    description:
      "An incremental checkpoint on a chain (a full base and one incremental file): one address " +
      "changed, one deleted (empty values), plus a pending message.",
    manifest: manifest({
      id: 7,
      createdAtMs: CREATED_AT_MS + 7_000,
      full: false,
      chain: [
        "checkpoints/chk-00000000000000000005.sfc",
        "checkpoints/chk-00000000000000000006.sfc",
      ],
      info: { pendingMessages: 1 },
    }),
    keyGroups: [
      {
        keyGroup: 3,
        state: [
          {
            functionType: GREETER,
            id: "Alice",
            values: [
              { name: "seen_count", typename: INT, value: intBytes(4), expiresAtMs: Infinity },
            ],
          },
          { functionType: GREETER, id: "Bob", values: [] },
        ],
        messages: [],
        delayed: [],
      },
      {
        keyGroup: 64,
        state: [],
        messages: [
          {
            target: { functionType: GREETER, id: "Carol" },
            caller: undefined,
            argument: stringValue("Carol"),
          },
        ],
        delayed: [],
      },
    ],
    global: {
      egress: [],
      sinks: [],
      ingresses: [{ id: "io.statefun.playground/ingress", bytes: new Uint8Array([0]) }],
    },
  },
  {
    name: "savepoint",
    description:
      "A savepoint: self-contained (full, no chain), taken at least once, with egress sink state.",
    manifest: manifest({
      id: 12,
      kind: "savepoint",
      mode: "at-least-once",
      createdAtMs: CREATED_AT_MS + 12_000,
      info: { addresses: 2, runtime: "statefun-ts 0.1.0" },
    }),
    keyGroups: [
      {
        keyGroup: 10,
        state: [
          {
            functionType: GREETER,
            id: "Alice",
            values: [
              { name: "seen_count", typename: INT, value: intBytes(5), expiresAtMs: Infinity },
            ],
          },
          {
            functionType: GREETER,
            id: "Dave",
            values: [
              {
                name: "seen_count",
                typename: INT,
                value: intBytes(1),
                expiresAtMs: CREATED_AT_MS + 86_400_000,
              },
            ],
          },
        ],
        messages: [],
        delayed: [],
      },
    ],
    global: {
      egress: [],
      sinks: [{ id: "io.statefun.playground/egress", bytes: new Uint8Array([4, 5]) }],
      ingresses: [],
    },
  },
];
