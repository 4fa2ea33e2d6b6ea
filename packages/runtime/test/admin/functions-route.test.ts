/**
 * Tests of `GET /v1/functions` over real HTTP against a real runtime: embedded types with their
 * value specs (expiration included), a registered type that never got a message, state no
 * function claims (kind `unknown`), counts of addresses holding state, and system tables shown
 * only with `?system=true` (after an idempotent submission).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addressOf, TypedValue, intType } from "@statefun-ts/protocol";
import { IDEMPOTENCY_TABLE } from "../../src/index.js";
import type { StateFixture } from "./state-fixture.js";
import {
  IDLE,
  KEYS,
  ORPHAN,
  TTL_MS,
  VALUES,
  VALUE_NAMES,
  startSampleStateFixture,
} from "./state-fixture.js";

describe("GET /v1/functions", () => {
  let f: StateFixture;

  before(async () => {
    f = await startSampleStateFixture();
  });
  after(() => f.stop());

  it("GET /v1/functions shows every known type with specs, addresses and counters", async () => {
    const { functions } = (await f.json("/v1/functions")) as { functions: unknown[] };
    const counters = { outLocal: 0, outEgress: 0, failures: 0, inflight: 0, backlog: 0 };
    const values = VALUE_NAMES.map((name) => {
      const typename = {
        i: "io.statefun.types/int",
        l: "io.statefun.types/long",
        s: "io.statefun.types/string",
        b: "io.statefun.types/bool",
        f: "io.statefun.types/float",
        d: "io.statefun.types/double",
        nan: "io.statefun.types/double",
        j: "test/Json",
        text: "test/Text",
        number: "test/Text",
        bin: "test/Bytes",
        ttl: "io.statefun.types/int",
        big: "test/Bytes",
      }[name];
      return name === "ttl"
        ? { name, typename, expiration: { mode: "after-write", afterMs: TTL_MS } }
        : { name, typename };
    });
    assert.deepEqual(functions, [
      {
        typename: ORPHAN,
        kind: "unknown",
        invoker: null,
        states: [],
        addresses: 1,
        in: 0,
        invocations: 0,
        blockedAddresses: 0,
        ...counters,
      },
      {
        typename: IDLE,
        kind: "embedded",
        invoker: null,
        states: [{ name: "x", typename: "io.statefun.types/string" }],
        addresses: 0,
        in: 0,
        invocations: 0,
        blockedAddresses: 0,
        ...counters,
      },
      {
        typename: KEYS,
        kind: "embedded",
        invoker: `embedded ${KEYS}`,
        states: [{ name: "v", typename: "io.statefun.types/int" }],
        addresses: 2,
        in: 2,
        invocations: 2,
        blockedAddresses: 0,
        ...counters,
      },
      {
        typename: VALUES,
        kind: "embedded",
        invoker: `embedded ${VALUES}`,
        states: values,
        addresses: 4,
        in: 4,
        invocations: 4,
        blockedAddresses: 0,
        ...counters,
      },
    ]);
  });

  it("GET /v1/functions?system=true adds the idempotency table after an idempotent submission", async () => {
    const hidden = (await f.json("/v1/functions")) as { functions: { typename: string }[] };
    assert.ok(hidden.functions.every((fn) => !fn.typename.startsWith("statefun-ts.system/")));
    const ingress = f.runtime.ingressContext("test/in");
    await ingress.submit(addressOf(KEYS, "k3"), TypedValue.of(intType, 1), {
      idempotencyKey: "once",
    });
    await f.runtime.whenIdle();
    const shown = (await f.json("/v1/functions?system=true")) as { functions: unknown[] };
    const system = shown.functions.filter(
      (fn) => (fn as { typename: string }).typename === IDEMPOTENCY_TABLE,
    );
    assert.deepEqual(system, [
      {
        typename: IDEMPOTENCY_TABLE,
        kind: "system",
        invoker: null,
        states: [],
        addresses: 1,
        in: 0,
        outLocal: 0,
        outEgress: 0,
        invocations: 0,
        failures: 0,
        inflight: 0,
        backlog: 0,
        blockedAddresses: 0,
      },
    ]);
    const hiddenAgain = (await f.json("/v1/functions?system=false")) as { functions: unknown[] };
    // Other system tables may exist too: every one of them is hidden without ?system=true.
    const isSystem = (fn: unknown) =>
      (fn as { typename: string }).typename.startsWith("statefun-ts.system/");
    assert.deepEqual(
      hiddenAgain.functions,
      shown.functions.filter((fn) => !isSystem(fn)),
    );
    assert.ok(
      shown.functions.filter(isSystem).every((fn) => (fn as { kind: string }).kind === "system"),
    );
    const [id] = ((await f.json(`/v1/functions/${IDEMPOTENCY_TABLE}/ids`)) as { ids: string[] })
      .ids;
    assert.equal(id, "test/in\u0000once");
    const values = (await f.json(
      `/v1/state/${IDEMPOTENCY_TABLE}/${encodeURIComponent(id ?? "")}`,
    )) as { values: { name: string; encoding: string; expiresAt: string | null }[] };
    assert.deepEqual(
      values.values.map((v) => [v.name, v.encoding, v.expiresAt !== null]),
      [["accepted_at_ms", "builtin", true]],
    );
    assert.deepEqual(await f.json("/v1/functions?system=yes", 400), {
      error: 'query parameter system: expected true or false, found "yes"',
      code: "bad-request",
    });
  });
});
