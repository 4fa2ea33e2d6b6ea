/**
 * Schema evolution behind the request-reply handler, bytes in and bytes out (invariant 3 of
 * request-reply.ts): a state value carrying a typename the spec migrates from is accepted,
 * migrated when read, and comes back as a MODIFY mutation with the spec's typename; any other
 * typename is refused with `type-mismatch` before user code runs; negotiation announces only the
 * current typename.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MutationType, TypedValue, isStatefunError, stringType } from "@statefun-ts/protocol";
import {
  createRequestReplyHandler,
  createStatefulFunctions,
  jsonType,
  migration,
} from "../src/index.js";
import { errorRecorder, missingOf, plainSpec, request, resultOf } from "./handler-helpers.js";

interface ProfileV1 {
  readonly name: string;
}
interface ProfileV2 {
  readonly first: string;
  readonly last: string;
}
const profileV1 = jsonType<ProfileV1>("example/ProfileV1");
const profileV2 = jsonType<ProfileV2>("example/ProfileV2");
const bob: readonly [string, string] = ["example/person", "Bob"];
const hello = TypedValue.of(stringType, "hello");

function personHandler(seen: (ProfileV2 | undefined)[], onError?: (error: unknown) => void) {
  const functions = createStatefulFunctions().bind({
    typename: "example/person",
    state: {
      profile: {
        type: profileV2,
        migrateFrom: [
          migration(profileV1, (old): ProfileV2 => {
            const [first = "", last = ""] = old.name.split(" ");
            return { first, last };
          }),
        ],
      },
    },
    fn(ctx) {
      seen.push(ctx.storage.profile);
    },
  });
  return createRequestReplyHandler(functions, onError === undefined ? {} : { onError });
}

test("negotiation announces the current typename only", async () => {
  const reply = await personHandler([]).handle(request(bob, [], [{ argument: hello }]));
  assert.deepEqual(missingOf(reply).map(plainSpec), [
    { name: "profile", typename: "example/ProfileV2", expiration: null },
  ]);
});

test("a state value with a migratable typename is migrated and rewritten with the spec's typename", async () => {
  const seen: (ProfileV2 | undefined)[] = [];
  const handler = personHandler(seen);
  const body = request(
    bob,
    [{ name: "profile", value: TypedValue.of(profileV1, { name: "Ada Lovelace" }) }],
    [{ argument: hello }, { argument: hello }],
  );
  const result = resultOf(await handler.handle(body));
  assert.deepEqual(seen, [
    { first: "Ada", last: "Lovelace" },
    { first: "Ada", last: "Lovelace" },
  ]);
  assert.equal(result.stateMutations.length, 1);
  const [mutation] = result.stateMutations;
  assert.equal(mutation?.mutationType, MutationType.MODIFY);
  assert.equal(mutation?.stateName, "profile");
  assert.equal(mutation?.stateValue?.typename, "example/ProfileV2");
  assert.equal(mutation?.stateValue?.hasValue, true);
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(mutation?.stateValue?.value ?? new Uint8Array())),
    { first: "Ada", last: "Lovelace" },
  );
});

test("a state value with any other typename is refused before user code runs and reported", async () => {
  const seen: (ProfileV2 | undefined)[] = [];
  const recorder = errorRecorder();
  const handler = personHandler(seen, (error) => recorder.onError(error, {}));
  const body = request(
    bob,
    [{ name: "profile", value: TypedValue.of(stringType, "Ada") }],
    [{ argument: hello }],
  );
  await assert.rejects(handler.handle(body), (error: unknown) => {
    assert.ok(isStatefunError(error, "type-mismatch"));
    assert.equal(
      error.message,
      "state profile of function type example/person (target example/person/Bob): expected a value of type example/ProfileV2 (or one it migrates from: example/ProfileV1), found io.statefun.types/string",
    );
    return true;
  });
  assert.deepEqual(seen, []);
  assert.equal(recorder.calls.length, 1);
});
