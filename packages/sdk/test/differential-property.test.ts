/**
 * Differential property test: random prior state (each state absent, registered without value,
 * or set; undeclared extras; any order), random batches of commands and strings with random
 * callers, sent as a short sequence of requests to our SDK and to the official SDK; every reply
 * must be equivalent (rules in differential-compare.ts). A batch that asks the function to fail
 * must fail on both sides.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import type { Address } from "@statefun-ts/protocol";
import { TypedValue, addressOf, stringType } from "@statefun-ts/protocol";
import { assertEquivalent, exchangeBoth, startPeers } from "./differential-compare.js";
import type { Peers } from "./differential-compare.js";
import type { Command } from "./differential-functions.js";
import { AddressState, invocation, stateEntries, toCounter } from "./differential-requests.js";
import type { InvocationEntry, StateEntry } from "./handler-helpers.js";

let peers: Peers;
before(async () => (peers = await startPeers()));
after(() => peers.close());

const word = fc.string({ unit: "grapheme", maxLength: 8 });
const id = fc.constantFrom("a", "Bob", "x/y", "ü ✓");
const token = fc.constantFrom("t1", "t2", "t3");

const effectArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), n: fc.integer({ min: -1000, max: 1000 }) }),
  fc.record({ op: fc.constant("log" as const), entry: word }),
  fc.record({ op: fc.constant("name" as const), s: word }),
  fc.record({ op: fc.constant("flag" as const), b: fc.boolean() }),
  fc.record({ op: fc.constant("send" as const), to: id, text: word }),
  fc.record({ op: fc.constant("sendCount" as const), to: id }),
  fc.record({ op: fc.constant("sendJson" as const), to: id }),
  fc.record(
    { op: fc.constant("delay" as const), to: id, ms: fc.nat({ max: 10 ** 9 }), token },
    { requiredKeys: ["op", "to", "ms"] },
  ),
  fc.record({ op: fc.constant("cancel" as const), token }),
  fc.record(
    {
      op: fc.constant("kafka" as const),
      topic: fc.string({ minLength: 1, maxLength: 6 }),
      key: word,
      value: word,
    },
    { requiredKeys: ["op", "topic", "value"] },
  ),
  fc.record({ op: fc.constant("egress" as const), payload: word }),
  fc.constant({ op: "reply" as const }),
  fc.constant({ op: "reset" as const }),
  fc.constant({ op: "read" as const }),
);

/** Mostly commands with effects; now and then one that makes the function throw. */
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: effectArb, weight: 30 },
  { arbitrary: fc.constant({ op: "fail" as const }), weight: 1 },
);

const callerArb: fc.Arbitrary<Address | undefined> = fc.option(
  fc
    .tuple(fc.constantFrom("diff/caller", "other/fn", "diff/counter"), id)
    .map(([t, i]) => addressOf(t, i)),
  { nil: undefined },
);

const invocationArb: fc.Arbitrary<InvocationEntry> = fc
  .tuple(fc.oneof({ arbitrary: commandArb, weight: 5 }, { arbitrary: word, weight: 1 }), callerArb)
  .map(([argument, caller]) => invocation(argument, caller));

const batchArb = fc.array(invocationArb, { minLength: 1, maxLength: 6 });

/** One state: absent from the request (weight 1), registered without value (1), or set (4). */
function presence<T>(value: fc.Arbitrary<T>): fc.Arbitrary<{ present: boolean; value?: T }> {
  return fc.oneof(
    { arbitrary: fc.constant({ present: false }), weight: 1 },
    { arbitrary: fc.constant({ present: true }), weight: 1 },
    { arbitrary: value.map((v) => ({ present: true, value: v })), weight: 4 },
  );
}

const priorStateArb: fc.Arbitrary<StateEntry[]> = fc
  .tuple(
    presence(fc.integer({ min: -1_000_000, max: 1_000_000 })),
    presence(fc.array(word, { maxLength: 4 })),
    presence(word),
    presence(fc.boolean()),
    fc.array(fc.tuple(fc.constantFrom("old_state", "zzz"), fc.option(word, { nil: undefined })), {
      maxLength: 2,
    }),
    fc.nat(),
  )
  .map(([count, log, name, flag, extras, seed]) => {
    const values: Record<string, unknown> = {};
    for (const [key, p] of Object.entries({ count, log, name, flag })) {
      if (p.present) values[key] = p.value;
    }
    const entries: StateEntry[] = [
      ...stateEntries(values),
      ...extras.map(([n, v]) =>
        v === undefined ? { name: n } : { name: n, value: TypedValue.of(stringType, v) },
      ),
    ];
    // The runtime's order of states is unspecified: rotate them.
    const k = entries.length === 0 ? 0 : seed % entries.length;
    return [...entries.slice(k), ...entries.slice(0, k)];
  });

const DECLARED = ["count", "log", "name", "flag"];

function asksToFail(batch: readonly InvocationEntry[]): boolean {
  return batch.some((i) => {
    if (i.argument.typename !== "diff/Command") return false;
    return (JSON.parse(new TextDecoder().decode(i.argument.bytes)) as Command).op === "fail";
  });
}

test("random state and batches: our SDK and the official SDK reply alike", async () => {
  await fc.assert(
    fc.asyncProperty(
      id,
      priorStateArb,
      fc.array(batchArb, { minLength: 1, maxLength: 3 }),
      async (target, prior, batches) => {
        const address = new AddressState(prior);
        for (const batch of batches) {
          const entries = address.entries();
          const body = toCounter(target, entries, batch);
          const complete = DECLARED.every((name) => entries.some((e) => e.name === name));
          if (complete && asksToFail(batch)) {
            const { ours, official } = await exchangeBoth(peers, body);
            assert.equal(ours.status, 500);
            assert.equal(official.status, 500);
            continue;
          }
          address.apply(await assertEquivalent(peers, body));
        }
      },
    ),
    { numRuns: 50 },
  );
  assert.deepEqual(
    peers.ourErrors.filter((e) => !String((e as Error).message).includes("requested failure")),
    [],
  );
});
