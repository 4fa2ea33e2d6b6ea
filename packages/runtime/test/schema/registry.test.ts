/**
 * The state schema registry over a memory backend, without a runtime: how histories grow
 * (invariant 1: each typename once, the current one last, none dropped), what the start-time
 * check asks for when several earlier typenames lack migrations (invariant 2), the negotiation
 * check of remote specs (invariant 3), and an unreadable history reported as `corrupt-data`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_EXPIRATION, TypedValue, isStatefunError, stringType } from "@statefun-ts/protocol";
import { StateSchemaRegistry } from "../../src/core/schema-registry.js";
import type { DeclaredSchema } from "../../src/core/schema-registry.js";
import {
  ManualClock,
  STATE_SCHEMAS_TABLE,
  createMemoryStateBackend,
  keyGroupOf,
  readStateSchemas,
} from "../../src/index.js";

const FN = "example/person";

function setup() {
  const backend = createMemoryStateBackend();
  const registry = new StateSchemaRegistry(backend, new ManualClock());
  const history = () => [...(readStateSchemas(backend, FN).get("profile") ?? [])];
  return { backend, registry, history };
}

function profile(typename: string, ...migratesFrom: string[]): DeclaredSchema[] {
  return [{ functionType: FN, name: "profile", typename, migratesFrom }];
}

test("a history lists each typename once, the declared one last; earlier ones are kept", () => {
  const { registry, history } = setup();
  registry.admitDeclared(profile("example/V1"));
  registry.admitDeclared(profile("example/V1"));
  assert.deepEqual(history(), ["example/V1"]);
  registry.admitDeclared(profile("example/V2", "example/V1"));
  registry.admitDeclared(profile("example/V3", "example/V1", "example/V2"));
  assert.deepEqual(history(), ["example/V1", "example/V2", "example/V3"]);
  registry.admitDeclared(profile("example/V2", "example/V1", "example/V3"));
  assert.deepEqual(
    history(),
    ["example/V1", "example/V3", "example/V2"],
    "a rollback moves V2 last",
  );
});

test("every earlier typename without a migration is named, with what to add", () => {
  const { registry, history } = setup();
  registry.admitDeclared(profile("example/V1"));
  registry.admitDeclared(profile("example/V2", "example/V1"));
  assert.throws(
    () => registry.admitDeclared(profile("example/V3", "example/V1")),
    (error: unknown) => {
      assert.ok(isStatefunError(error, "invalid-config"));
      assert.equal(
        error.message,
        'function type example/person: value "profile" was stored as example/V1 and example/V2 and is now declared as example/V3, with no migration from example/V2; add migration(<the Type of example/V2>, (old) => ...) to the migrateFrom of its value spec',
      );
      return true;
    },
  );
  assert.deepEqual(history(), ["example/V1", "example/V2"], "nothing recorded");
});

test("remote specs: a first-time name is recorded; another typename for a recorded name is refused", () => {
  const { registry, history } = setup();
  const spec = (typename: string) => ({ name: "profile", typename, expiration: NO_EXPIRATION });
  assert.equal(registry.checkNegotiated(FN, spec("example/V1")), undefined);
  registry.recordNegotiated(FN, [spec("example/V1")]);
  assert.deepEqual(history(), ["example/V1"]);
  assert.equal(registry.checkNegotiated(FN, spec("example/V1")), undefined);
  const refused = registry.checkNegotiated(FN, spec("example/V2"));
  assert.ok(isStatefunError(refused, "invalid-effect"));
  assert.match(
    refused.message,
    /declares state "profile" with type example\/V2, but it is registered with type example\/V1/,
  );
});

test("an unreadable history is corrupt-data naming the table, function type and value", () => {
  const { backend, registry } = setup();
  backend.table(STATE_SCHEMAS_TABLE).write(
    FN,
    keyGroupOf(FN, backend.maxKeyGroups),
    [
      {
        spec: { name: "profile", typename: stringType.typename, expiration: NO_EXPIRATION },
        value: TypedValue.of(stringType, "example/V1"),
      },
    ],
    0,
  );
  assert.throws(
    () => registry.admitDeclared(profile("example/V1")),
    (error: unknown) => {
      assert.ok(isStatefunError(error, "corrupt-data"));
      assert.match(
        error.message,
        /statefun-ts\.system\/state-schemas.*"profile" of function type example\/person/,
      );
      return true;
    },
  );
});
