/**
 * The differential harness: the function of differential-functions.ts served over real HTTP by
 * our SDK (node:http + our node adapter) and by the official SDK (node:http + its `handler()`),
 * the same `ToFunction` bytes POSTed to both, and the `FromFunction` replies decoded into a plain
 * form that can be compared with `deepEqual`.
 *
 * Comparison rules: the missing specs of an `IncompleteInvocationContext`, outgoing messages,
 * delayed invocations (sends and cancellations) and egress records are compared as lists, in
 * order, since their order is defined (call order, or declaration order for specs). State
 * mutations are compared as a map by state name, after checking that no name occurs twice: the
 * protocol leaves their order unspecified (the runtime applies them as a set) and the official
 * SDK documents none, even though both SDKs happen to report them in declaration order.
 * Kafka egress payloads are compared decoded (topic, key, value bytes), since protobuf encoders
 * may differ in whether they write empty fields; other typed values are compared byte for byte.
 */
import assert from "node:assert/strict";
import type {
  DelayedInvocation,
  FromFunction,
  PersistedValueSpec,
  WireAddress,
  WireTypedValue,
} from "@statefun-ts/protocol";
import {
  KAFKA_PRODUCER_RECORD_TYPENAME,
  MutationType,
  decodeFromFunction,
  decodeKafkaProducerRecord,
} from "@statefun-ts/protocol";
import { createNodeHandler, createRequestReplyHandler } from "../src/index.js";
import { officialFunctions, ourFunctions } from "./differential-functions.js";
import { listen, postToFunction } from "./handler-http-helpers.js";
import type { TestResponse, TestServer } from "./handler-http-helpers.js";

const hex = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

function plainAddress(address: WireAddress | null | undefined): string | null {
  return address === null || address === undefined
    ? null
    : `${address.namespace}/${address.type}/${address.id}`;
}

function plainValue(value: WireTypedValue | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (value.typename === KAFKA_PRODUCER_RECORD_TYPENAME) {
    const record = decodeKafkaProducerRecord(value.value);
    return {
      typename: value.typename,
      hasValue: value.hasValue,
      kafka: { topic: record.topic, key: record.key, value: hex(record.valueBytes) },
    };
  }
  return { typename: value.typename, hasValue: value.hasValue, value: hex(value.value) };
}

function plainSpec(spec: PersistedValueSpec): unknown {
  const expiration = spec.expirationSpec;
  return {
    name: spec.stateName,
    typename: spec.typeTypename,
    expiration:
      expiration === null || expiration === undefined
        ? null
        : { mode: expiration.mode, ms: expiration.expireAfterMillis },
  };
}

function plainDelayed(delayed: DelayedInvocation): unknown {
  return {
    cancellation: delayed.isCancellationRequest,
    token: delayed.cancellationToken,
    delayMs: delayed.delayInMs,
    target: plainAddress(delayed.target),
    argument: plainValue(delayed.argument),
  };
}

/** A `FromFunction` in a form `deepEqual` compares with the rules above. */
export function normalize(message: FromFunction): unknown {
  const incomplete = message.incompleteInvocationContext;
  if (incomplete !== null && incomplete !== undefined) {
    return { incomplete: incomplete.missingValues.map(plainSpec) };
  }
  const result = message.invocationResult;
  if (result === null || result === undefined) return { empty: true };
  const state: Record<string, unknown> = {};
  for (const mutation of result.stateMutations) {
    assert.ok(!(mutation.stateName in state), `state ${mutation.stateName} mutated twice`);
    state[mutation.stateName] =
      mutation.mutationType === MutationType.DELETE
        ? "DELETE"
        : { MODIFY: plainValue(mutation.stateValue) };
  }
  return {
    state,
    messages: result.outgoingMessages.map((m) => ({
      target: plainAddress(m.target),
      argument: plainValue(m.argument),
    })),
    delayed: result.delayedInvocations.map(plainDelayed),
    egress: result.outgoingEgresses.map((e) => ({
      egress: `${e.egressNamespace}/${e.egressType}`,
      argument: plainValue(e.argument),
    })),
  };
}

/** Our server and the official one, each serving the differential function. */
export interface Peers {
  readonly ours: TestServer;
  readonly official: TestServer;
  /** Errors our handler reported to `onError`. */
  readonly ourErrors: unknown[];
  close(): Promise<void>;
}

/** Starts both servers. */
export async function startPeers(): Promise<Peers> {
  const ourErrors: unknown[] = [];
  const handler = createRequestReplyHandler(ourFunctions(), {
    onError: (error) => ourErrors.push(error),
  });
  const ours = await listen(createNodeHandler(handler));
  const officialHandler = officialFunctions().handler();
  const officialServer = await listen((req, res) => {
    void officialHandler(req, res);
  });
  return {
    ours,
    official: officialServer,
    ourErrors,
    close: async () => {
      await ours.close();
      await officialServer.close();
    },
  };
}

/** Both replies to one request. */
export interface Exchange {
  readonly ours: TestResponse;
  readonly official: TestResponse;
}

/** POSTs the same bytes to both peers. */
export async function exchangeBoth(peers: Peers, body: Uint8Array): Promise<Exchange> {
  const [ours, official] = await Promise.all([
    postToFunction(peers.ours.url, body),
    postToFunction(peers.official.url, body),
  ]);
  return { ours, official };
}

/**
 * POSTs the same bytes to both peers, asserts both answered 200 with
 * `application/octet-stream` and equivalent `FromFunction`s, and returns ours (decoded).
 */
export async function assertEquivalent(peers: Peers, body: Uint8Array): Promise<FromFunction> {
  const { ours, official } = await exchangeBoth(peers, body);
  const text = (r: TestResponse) => new TextDecoder().decode(r.body);
  assert.equal(official.status, 200, "the official SDK failed");
  assert.equal(ours.status, 200, `our SDK failed: ${text(ours)}`);
  assert.equal(ours.headers["content-type"], "application/octet-stream");
  assert.equal(official.headers["content-type"], "application/octet-stream");
  const ourReply = decodeFromFunction(ours.body);
  assert.deepEqual(normalize(ourReply), normalize(decodeFromFunction(official.body)));
  return ourReply;
}
