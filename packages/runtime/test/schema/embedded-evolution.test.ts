/**
 * Schema evolution of embedded functions across restarts over a real checkpoint directory
 * (invariants 1 and 2 of core/schema-registry.ts): a type change without a migration is refused
 * at start naming function type, value and both typenames; with a migration, a value is upgraded
 * when read and rewritten with the new typename, values not read keep the old one until read,
 * and the history keeps the old typename, so removing the migration later is refused too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Type } from "@statefun-ts/protocol";
import { TypedValue, intType, isStatefunError, stringType } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import { STATE_SCHEMAS_TABLE } from "../../src/index.js";
import { checkpointDirectory, startRuntime } from "../checkpoint/recovery-harness.js";
import type { ProfileV2 } from "./schema-helpers.js";
import { PERSON, histories, person, personV1, personV2, storedTypename } from "./schema-helpers.js";

const text = (value: string) => TypedValue.of(stringType, value);

/** Asserts that a start was refused with `invalid-config` and a message holding every part. */
function refusedWith(...parts: string[]) {
  return (error: unknown): boolean => {
    assert.ok(isStatefunError(error, "invalid-config"), String(error));
    for (const part of parts) assert.ok(error.message.includes(part), error.message);
    return true;
  };
}

test("a value's type change needs a migration; values are upgraded when read and rewritten lazily", async () => {
  const directory = await checkpointDirectory();
  const v1 = await startRuntime(directory, personV1());
  await v1.runtime.submit(person("ada"), text("Ada Lovelace"));
  await v1.runtime.submit(person("alan"), text("Alan Turing"));
  await v1.runtime.whenIdle();
  assert.deepEqual(histories(v1.runtime, PERSON), { profile: ["example/ProfileV1"] });
  await v1.runtime.stop();

  await assert.rejects(
    startRuntime(directory, personV2({ migrate: false })),
    refusedWith(
      'function type example/person: value "profile" was stored as example/ProfileV1 and is now declared as example/ProfileV2, with no migration from example/ProfileV1; add migrateFrom: [migration(',
      "example/ProfileV1",
      "] to its value spec",
    ),
  );

  const seen = new Map<string, ProfileV2 | undefined>();
  const v2 = await startRuntime(directory, personV2({ migrate: true, seen }));
  assert.deepEqual(histories(v2.runtime, PERSON), {
    profile: ["example/ProfileV1", "example/ProfileV2"],
  });
  assert.equal(storedTypename(v2.runtime, person("ada"), "profile"), "example/ProfileV1");
  await v2.runtime.submit(person("ada"), text("read"));
  await v2.runtime.submit(person("alan"), text("touch"));
  await v2.runtime.whenIdle();
  assert.deepEqual(seen.get("ada"), { first: "Ada", last: "Lovelace" });
  assert.equal(
    storedTypename(v2.runtime, person("ada"), "profile"),
    "example/ProfileV2",
    "read, so rewritten with the new typename although not assigned",
  );
  assert.equal(
    storedTypename(v2.runtime, person("alan"), "profile"),
    "example/ProfileV1",
    "invoked without reading the value: left as stored",
  );
  assert.deepEqual(v2.runtime.failures(), []);
  await v2.runtime.stop();

  const again = await startRuntime(directory, personV2({ migrate: true, seen }));
  assert.equal(storedTypename(again.runtime, person("ada"), "profile"), "example/ProfileV2");
  assert.equal(storedTypename(again.runtime, person("alan"), "profile"), "example/ProfileV1");
  assert.deepEqual(
    histories(again.runtime, PERSON),
    { profile: ["example/ProfileV1", "example/ProfileV2"] },
    "the history keeps ProfileV1: values not read may still hold it",
  );
  await again.runtime.submit(person("alan"), text("read"));
  await again.runtime.whenIdle();
  assert.deepEqual(seen.get("alan"), { first: "Alan", last: "Turing" });
  assert.equal(storedTypename(again.runtime, person("alan"), "profile"), "example/ProfileV2");
  await again.runtime.stop();

  await assert.rejects(
    startRuntime(directory, personV2({ migrate: false })),
    refusedWith(
      'value "profile" was stored as example/ProfileV1 and is now declared as example/ProfileV2, with no migration from example/ProfileV1',
      "a migration cannot be removed",
    ),
  );
});

test("a refused start names every refused value in one error and records nothing", async () => {
  const directory = await checkpointDirectory();
  const withPet = (functions: StatefulFunctions, type: Type<number> | Type<string>) =>
    functions.bind({ typename: "example/pet", state: { name: type }, fn: () => undefined });
  const v1 = await startRuntime(directory, withPet(personV1(), stringType));
  await v1.runtime.submit(person("ada"), text("Ada Lovelace"));
  await v1.runtime.whenIdle();
  await v1.runtime.stop();

  await assert.rejects(
    startRuntime(directory, withPet(personV2({ migrate: false }), intType)),
    refusedWith(
      'function type example/person: value "profile" was stored as example/ProfileV1 and is now declared as example/ProfileV2',
      'function type example/pet: value "name" was stored as io.statefun.types/string and is now declared as io.statefun.types/int, with no migration from io.statefun.types/string',
    ),
  );
  const again = await startRuntime(directory, withPet(personV1(), stringType));
  assert.deepEqual(
    histories(again.runtime, PERSON),
    { profile: ["example/ProfileV1"] },
    "the refused start recorded nothing",
  );
  assert.deepEqual(histories(again.runtime, "example/pet"), { name: ["io.statefun.types/string"] });
  assert.ok(
    again.runtime.backend.functionTypes().some((t) => t.typename === STATE_SCHEMAS_TABLE),
    "the registry is listed with the state",
  );
  await again.runtime.stop();
});
