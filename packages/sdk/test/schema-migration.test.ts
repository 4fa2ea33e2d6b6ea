/**
 * Schema evolution in the SDK's batch engine: a value stored with a type its spec migrates from
 * is migrated when read and rewritten lazily (reported as a mutation with the current typename
 * even when the function does not assign it); a value with any other typename is refused with
 * `type-mismatch` before user code runs; invalid `migrateFrom` declarations fail at bind time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvocationInput } from "@statefun-ts/protocol";
import { TypedValue, addressOf, intType, isStatefunError, stringType } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "../src/index.js";
import { createStatefulFunctions, invokeBatch, jsonType, migration } from "../src/index.js";

interface ProfileV1 {
  readonly name: string;
}
interface ProfileV2 {
  readonly first: string;
  readonly last: string;
}
const profileV1 = jsonType<ProfileV1>("example/ProfileV1");
const profileV2 = jsonType<ProfileV2>("example/ProfileV2");
const self = addressOf("example/person", "Bob");
const ping: InvocationInput = { caller: undefined, argument: TypedValue.of(stringType, "ping") };

function split(old: ProfileV1): ProfileV2 {
  const [first = "", last = ""] = old.name.split(" ");
  return { first, last };
}

/** A person whose handler runs `body`; its profile migrates from ProfileV1 (and visits from string). */
function person(body: (storage: { profile: ProfileV2 | undefined }) => void): StatefulFunctions {
  return createStatefulFunctions().bind({
    typename: "example/person",
    state: {
      profile: { type: profileV2, migrateFrom: [migration(profileV1, split)] },
      visits: {
        type: intType,
        migrateFrom: [migration(stringType, (old) => Number.parseInt(old, 10))],
      },
    },
    fn(ctx) {
      body(ctx.storage);
    },
  });
}

async function run(functions: StatefulFunctions, state: (TypedValue | undefined)[]) {
  const bound = functions.get("example/person");
  assert.ok(bound);
  return await invokeBatch(bound, self, state, [ping, ping]);
}

test("a value stored with an earlier type is migrated on read", async () => {
  const seen: (ProfileV2 | undefined)[] = [];
  const functions = person((storage) => seen.push(storage.profile));
  await run(functions, [TypedValue.of(profileV1, { name: "Ada Lovelace" }), undefined]);
  assert.deepEqual(seen, [
    { first: "Ada", last: "Lovelace" },
    { first: "Ada", last: "Lovelace" },
  ]);
});

test("a migrated value is rewritten with the new typename although the function never assigned it", async () => {
  const functions = person((storage) => {
    assert.equal(storage.profile?.first, "Ada");
  });
  const effects = await run(functions, [
    TypedValue.of(profileV1, { name: "Ada Lovelace" }),
    TypedValue.of(stringType, "7"),
  ]);
  assert.equal(effects.stateMutations.length, 1, "only the value that was read is rewritten");
  const [mutation] = effects.stateMutations;
  assert.equal(mutation?.name, "profile");
  assert.equal(mutation?.value?.typename, "example/ProfileV2");
  assert.deepEqual(mutation?.value?.as(profileV2), { first: "Ada", last: "Lovelace" });
});

test("an assignment after a migrated read wins; a value already of the current type is not rewritten", async () => {
  const functions = person((storage) => {
    storage.profile = { first: storage.profile?.first ?? "?", last: "Byron" };
  });
  const effects = await run(functions, [
    TypedValue.of(profileV1, { name: "Ada Lovelace" }),
    undefined,
  ]);
  assert.deepEqual(
    effects.stateMutations.map((m) => [m.name, m.value?.typename, m.value?.as(profileV2)]),
    [["profile", "example/ProfileV2", { first: "Ada", last: "Byron" }]],
  );
  const current = await run(
    person((storage) => void storage.profile),
    [TypedValue.of(profileV2, { first: "Ada", last: "Lovelace" }), undefined],
  );
  assert.deepEqual(current.stateMutations, []);
});

test("a migration returning undefined deletes the value; one that throws fails the batch naming both types", async () => {
  const dropping = createStatefulFunctions().bind({
    typename: "example/person",
    state: { profile: { type: profileV2, migrateFrom: [migration(profileV1, () => undefined)] } },
    fn(ctx) {
      assert.equal(ctx.storage.profile, undefined);
    },
  });
  const effects = await run(dropping, [TypedValue.of(profileV1, { name: "Ada" })]);
  assert.deepEqual(
    effects.stateMutations.map((m) => [m.name, m.value]),
    [["profile", undefined]],
  );
  const failing = createStatefulFunctions().bind({
    typename: "example/person",
    state: {
      profile: {
        type: profileV2,
        migrateFrom: [
          migration(profileV1, (): ProfileV2 => {
            throw new Error("no name");
          }),
        ],
      },
    },
    fn(ctx) {
      void ctx.storage.profile;
    },
  });
  await assert.rejects(run(failing, [TypedValue.of(profileV1, { name: "Ada" })]), (error) => {
    assert.ok(isStatefunError(error, "function-failed"));
    assert.match(error.message, /example\/ProfileV1 to example\/ProfileV2 failed: no name/);
    return true;
  });
});

test("a value with a typename neither declared nor migrated from is refused before user code runs", () => {
  let ran = false;
  const functions = person(() => {
    ran = true;
  });
  const bound = functions.get("example/person");
  assert.ok(bound);
  assert.throws(
    () => invokeBatch(bound, self, [TypedValue.of(intType, 3), undefined], [ping]),
    (error: unknown) => {
      assert.ok(isStatefunError(error, "type-mismatch"));
      assert.equal(
        error.message,
        "state profile of function type example/person (target example/person/Bob): expected a value of type example/ProfileV2 (or one it migrates from: example/ProfileV1), found io.statefun.types/int",
      );
      return true;
    },
  );
  assert.equal(ran, false);
});

test("invalid migrateFrom declarations are refused at bind time, naming function type, value and typename", () => {
  const cases: [unknown, RegExp][] = [
    [
      [migration(profileV1, split), migration(profileV1, split)],
      /^value spec profile of example\/person: two migrations from example\/ProfileV1/,
    ],
    [
      [migration(profileV2, (old) => old)],
      /^value spec profile of example\/person: a migration from example\/ProfileV2, the value's own type/,
    ],
    [[{ from: profileV1 }], /each entry of migrateFrom must be built with migration/],
    [migration(profileV1, split), /migrateFrom must be an array/],
  ];
  for (const [migrateFrom, message] of cases) {
    assert.throws(
      () =>
        createStatefulFunctions().bind({
          typename: "example/person",
          state: { profile: { type: profileV2, migrateFrom } as never },
          fn() {},
        }),
      (error: unknown) => {
        assert.ok(isStatefunError(error, "invalid-argument"));
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test("migrations are type-checked against the value's type", () => {
  createStatefulFunctions().bind({
    typename: "example/person",
    state: {
      // @ts-expect-error -- the migration produces a ProfileV1, not a ProfileV2
      profile: { type: profileV2, migrateFrom: [migration(profileV1, (old) => old)] },
    },
    fn() {},
  });
  const functions = createStatefulFunctions().bind({
    typename: "example/person",
    state: { profile: { type: profileV2, migrateFrom: [migration(profileV1, split)] } },
    fn(ctx) {
      const profile: ProfileV2 | undefined = ctx.storage.profile;
      void profile;
    },
  });
  assert.deepEqual(
    functions.get("example/person")?.specs.map((s) => s.migrateFrom.map((m) => m.from.typename)),
    [["example/ProfileV1"]],
  );
});
