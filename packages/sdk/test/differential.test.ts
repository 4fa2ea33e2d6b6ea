/**
 * Differential tests: the same function served by our SDK and by the official JavaScript SDK
 * over real HTTP; the same `ToFunction` bytes to both must give equivalent `FromFunction`s
 * (comparison rules in differential-compare.ts). Known divergences are asserted at the end, so
 * that they stay visible and a change in either SDK shows up.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ExpireMode,
  TypedValue,
  addressOf,
  decodeFromFunction,
  intType,
  stringType,
} from "@statefun-ts/protocol";
import { assertEquivalent, exchangeBoth, normalize, startPeers } from "./differential-compare.js";
import type { Peers } from "./differential-compare.js";
import { COUNT_TTL_MS, LOG_TTL_MS } from "./differential-functions.js";
import type { Command } from "./differential-functions.js";
import { AddressState, invocation, stateEntries, toCounter } from "./differential-requests.js";
import { request } from "./handler-helpers.js";

let peers: Peers;
before(async () => (peers = await startPeers()));
after(() => peers.close());

const full = { count: 5, log: ["x"], name: "Bob", flag: false };
const everything: (Command | string)[] = [
  { op: "add", n: 3 },
  { op: "log", entry: "hello" },
  "a plain string",
  { op: "name", s: "Alice ✓" },
  { op: "flag", b: true },
  { op: "send", to: "p1", text: "hi" },
  { op: "sendCount", to: "p2" },
  { op: "sendJson", to: "p3" },
  { op: "delay", to: "p4", ms: 1500, token: "t1" },
  { op: "delay", to: "p5", ms: 0 },
  { op: "cancel", token: "t0" },
  { op: "kafka", topic: "out", key: "k", value: "v" },
  { op: "kafka", topic: "out", value: "no key" },
  { op: "egress", payload: "p" },
  { op: "reply" },
  { op: "read" },
];

test("negotiation: without state, both list every spec with its expiration", async () => {
  const reply = await assertEquivalent(
    peers,
    toCounter("a", [], [invocation({ op: "add", n: 1 })]),
  );
  assert.deepEqual(normalize(reply), {
    incomplete: [
      {
        name: "count",
        typename: "io.statefun.types/int",
        expiration: { mode: ExpireMode.AFTER_INVOKE, ms: COUNT_TTL_MS },
      },
      {
        name: "log",
        typename: "diff/Log",
        expiration: { mode: ExpireMode.AFTER_WRITE, ms: LOG_TTL_MS },
      },
      { name: "name", typename: "io.statefun.types/string", expiration: null },
      { name: "flag", typename: "io.statefun.types/bool", expiration: null },
    ],
  });
});

test("negotiation: with some states registered, both list only the missing ones", async () => {
  const state = stateEntries({ log: undefined, flag: true });
  const reply = await assertEquivalent(peers, toCounter("a", state, [invocation({ op: "read" })]));
  assert.deepEqual(
    reply.incompleteInvocationContext?.missingValues.map((s) => s.stateName),
    ["count", "name"],
  );
});

test("full state: one batch using every kind of effect gives the same reply", async () => {
  const caller = addressOf("diff/caller", "c1");
  const reply = await assertEquivalent(
    peers,
    toCounter("Bob", stateEntries(full), [
      ...everything.map((c) => invocation(c)),
      invocation({ op: "reply" }, caller),
    ]),
  );
  const result = reply.invocationResult;
  assert.equal(result?.stateMutations.length, 4);
  assert.equal(result?.delayedInvocations.length, 3);
  assert.equal(result?.outgoingEgresses.length, 4);
});

test("registered states without values and undeclared states are handled alike", async () => {
  const state = [
    ...stateEntries({ count: undefined, log: undefined, name: undefined, flag: undefined }),
    { name: "left_over", value: TypedValue.of(stringType, "ignored") },
    { name: "unset_too" },
  ];
  await assertEquivalent(
    peers,
    toCounter(
      "a",
      state,
      everything.map((c) => invocation(c)),
    ),
  );
});

test("reset deletes, a read changes nothing, callers are seen per invocation", async () => {
  const caller = addressOf("other/fn", "x/y");
  const reply = await assertEquivalent(
    peers,
    toCounter("a", stateEntries(full), [
      invocation({ op: "read" }),
      invocation({ op: "reply" }, caller),
      invocation({ op: "reply" }),
      invocation({ op: "reset" }),
    ]),
  );
  assert.deepEqual((normalize(reply) as { state: unknown }).state, {
    count: "DELETE",
    log: "DELETE",
  });
});

test("a sequence of batches, each sent with the state the previous reply produced", async () => {
  const address = new AddressState();
  const batches: (Command | string)[][] = [
    [{ op: "add", n: 1 }],
    [{ op: "add", n: 1 }, { op: "log", entry: "one" }, "two"],
    [
      { op: "sendJson", to: "p" },
      { op: "delay", to: "p", ms: 10, token: "t" },
    ],
    [{ op: "cancel", token: "t" }, { op: "reset" }, { op: "flag", b: false }],
    [
      { op: "sendJson", to: "p" },
      { op: "egress", payload: "end" },
    ],
  ];
  // The first batch is repeated after its negotiation, as the runtime does.
  for (const batch of [batches[0] ?? [], ...batches]) {
    const body = toCounter(
      "seq",
      address.entries(),
      batch.map((c) => invocation(c)),
    );
    address.apply(await assertEquivalent(peers, body));
  }
  const finalState = address.entries().map((e) => [e.name, e.value?.typename]);
  assert.deepEqual(finalState, [
    ["count", undefined],
    ["log", undefined],
    ["name", undefined],
    ["flag", "io.statefun.types/bool"],
  ]);
});

// Known divergences between the two SDKs, asserted so that they stay visible.

test("divergence: request faults are 4xx with a reason here, 500 with an empty body there", async () => {
  const cases = [
    {
      body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
      ours: 400,
    },
    {
      body: request(["diff/nobody", "a"], [], [invocation({ op: "read" })]),
      ours: 404,
    },
  ];
  for (const { body, ours: status } of cases) {
    const { ours, official } = await exchangeBoth(peers, body);
    assert.equal(ours.status, status);
    assert.equal(official.status, 500);
    assert.equal(official.body.length, 0);
  }
});

test("divergence: failures are 500 on both sides; only ours says why", async () => {
  const failing = toCounter("a", stateEntries(full), [
    invocation({ op: "add", n: 1 }),
    invocation({ op: "fail" }),
  ]);
  const mismatchRead = toCounter(
    "a",
    [
      ...stateEntries({ log: undefined, name: undefined, flag: undefined }),
      { name: "count", value: TypedValue.of(stringType, "5") },
    ],
    [invocation({ op: "add", n: 1 })],
  );
  for (const body of [failing, mismatchRead]) {
    const { ours, official } = await exchangeBoth(peers, body);
    assert.equal(ours.status, 500);
    assert.match(new TextDecoder().decode(ours.body), /diff\/counter\/a/);
    assert.equal(official.status, 500);
    assert.equal(official.body.length, 0);
  }
});

test("divergence: a state of the wrong type that the function does not read", async () => {
  // Ours refuses before running any code; the official SDK fails only when the value is read.
  const body = toCounter(
    "a",
    [
      ...stateEntries({ count: 1, log: undefined, flag: undefined }),
      { name: "name", value: TypedValue.of(intType, 7) },
    ],
    [invocation({ op: "add", n: 1 })],
  );
  const { ours, official } = await exchangeBoth(peers, body);
  assert.equal(ours.status, 500);
  assert.match(new TextDecoder().decode(ours.body), /^type-mismatch: state name /);
  assert.equal(official.status, 200);
});

test("divergence: a negative delay or an empty token is refused by our sendAfter", async () => {
  // The official SDK passes them on; the runtime then fails the job on the negative delay
  // (reference §1.8) and treats the empty token as "no token".
  for (const [ms, token, officialToken] of [
    [-5, undefined, ""],
    [5, "", ""],
  ] as const) {
    const body = toCounter("a", stateEntries(full), [
      invocation(
        token === undefined ? { op: "delay", to: "p", ms } : { op: "delay", to: "p", ms, token },
      ),
    ]);
    const { ours, official } = await exchangeBoth(peers, body);
    assert.equal(ours.status, 500);
    assert.match(new TextDecoder().decode(ours.body), /sendAfter/);
    assert.equal(official.status, 200);
    const delayed = decodeFromFunction(official.body).invocationResult?.delayedInvocations[0];
    assert.equal(delayed?.delayInMs, ms);
    assert.equal(delayed?.cancellationToken, officialToken);
  }
});
