/**
 * Tests of the queryable-state resources over real HTTP against a real runtime (manual clock):
 * `GET /v1/state/...` (every encoding, expiration, truncation, ids with `/`), the ids listing's
 * parameters, and every 400, 404 and 405 answer. `GET /v1/functions` is tested in
 * functions-route.test.ts, paging in state-paging.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keyGroupOf } from "../../src/index.js";
import { START_MS } from "../observability/fixture.js";
import type { StateFixture } from "./state-fixture.js";
import {
  BIG_BYTES,
  IDLE,
  KEYS,
  ORPHAN,
  TTL_MS,
  VALUES,
  startSampleStateFixture,
} from "./state-fixture.js";

/** (key group, id) order, the order of the listing. */
const byKeyGroupAndId = (a: string, b: string) =>
  keyGroupOf(a) - keyGroupOf(b) || (a < b ? -1 : a > b ? 1 : 0);

const cursor = (json: string) => Buffer.from(json, "utf8").toString("base64url");

describe("queryable state over HTTP", () => {
  let f: StateFixture;

  before(async () => {
    f = await startSampleStateFixture();
  });
  after(() => f.stop());

  it("GET /v1/state decodes built-in, JSON and binary values and shows expiration", async () => {
    const expiresAt = new Date(START_MS + TTL_MS).toISOString();
    const view = (await f.json(`/v1/state/${VALUES}/a`)) as {
      typename: string;
      id: string;
      values: { name: string }[];
    };
    assert.equal(view.typename, VALUES);
    assert.equal(view.id, "a");
    const byName = new Map(view.values.map((v) => [v.name, v]));
    const value = (name: string, typename: string, encoding: string, shown: unknown) => ({
      name,
      typename,
      expiresAt: name === "ttl" ? expiresAt : null,
      encoding,
      value: shown,
    });
    const expected = [
      value("i", "io.statefun.types/int", "builtin", -42),
      value("l", "io.statefun.types/long", "builtin", "9007199254740993"),
      value("s", "io.statefun.types/string", "builtin", "héllo/wörld"),
      value("b", "io.statefun.types/bool", "builtin", true),
      value("f", "io.statefun.types/float", "builtin", 1.5),
      value("d", "io.statefun.types/double", "builtin", 0.1 + 0.2),
      value("nan", "io.statefun.types/double", "builtin", "NaN"),
      value("j", "test/Json", "json", { greeting: "hi", n: [1, 2] }),
      value("text", "test/Text", "json", "a JSON string"),
      // UTF-8 text that parses to a number is not taken for JSON.
      value("number", "test/Text", "base64", Buffer.from("42").toString("base64")),
      value("bin", "test/Bytes", "base64", "AP8BAg=="),
      value("ttl", "io.statefun.types/int", "builtin", 7),
    ];
    assert.equal(view.values.length, expected.length);
    for (const entry of expected) assert.deepEqual(byName.get(entry.name), entry, entry.name);
  });

  it("GET /v1/state takes percent-encoded ids, with / inside, and truncates large values", async () => {
    for (const id of ["x/y z", "ünï"]) {
      const view = (await f.json(`/v1/state/${VALUES}/${encodeURIComponent(id)}`)) as {
        id: string;
        values: unknown[];
      };
      assert.equal(view.id, id);
      assert.equal(view.values.length, 12);
    }
    const unencoded = await f.get(`/v1/state/${VALUES}/x/y%20z`);
    assert.equal(unencoded.status, 404);
    assert.deepEqual(unencoded.body, {
      error: `no admin resource at /v1/state/${VALUES}/x/y%20z`,
      code: "not-found",
    });
    assert.deepEqual(await f.json(`/v1/state/${VALUES}/big`), {
      typename: VALUES,
      id: "big",
      values: [
        {
          name: "big",
          typename: "test/Bytes",
          expiresAt: null,
          encoding: "truncated",
          value: { truncated: true, bytes: BIG_BYTES },
        },
      ],
    });
  });

  it("answers 404 with a reason for unknown types and addresses without state", async () => {
    const unknownType = {
      error:
        "unknown function type no/such: no function of this type is known to the runtime and no state of it exists",
      code: "unknown-function-type",
    };
    assert.deepEqual(await f.json("/v1/state/no/such/a", 404), unknownType);
    assert.deepEqual(await f.json("/v1/functions/no/such/ids", 404), unknownType);
    assert.deepEqual(await f.json(`/v1/state/${VALUES}/nobody`, 404), {
      error: `no state for ${VALUES} id "nobody"`,
      code: "no-state",
    });
    assert.deepEqual(await f.json(`/v1/state/${IDLE}/x`, 404), {
      error: `no state for ${IDLE} id "x"`,
      code: "no-state",
    });
    assert.deepEqual(await f.json(`/v1/functions/${IDLE}/ids`), { ids: [], next: null });
    assert.deepEqual(await f.json(`/v1/state/${ORPHAN}/left-over`), {
      typename: ORPHAN,
      id: "left-over",
      values: [
        {
          name: "count",
          typename: "io.statefun.types/int",
          expiresAt: null,
          encoding: "builtin",
          value: 3,
        },
      ],
    });
  });

  it("refuses bad limits and cursors with 400 and a reason", async () => {
    const ids = `/v1/functions/${KEYS}/ids`;
    for (const limit of ["0", "1001", "abc", "1.5", "-1", "", "99999999"]) {
      assert.deepEqual(await f.json(`${ids}?limit=${limit}`, 400), {
        error: `query parameter limit: expected an integer from 1 to 1000, found ${JSON.stringify(limit)}`,
        code: "bad-request",
      });
    }
    assert.deepEqual(await f.json(`${ids}?limit=1000`), {
      ids: ["k1", "k2"].sort(byKeyGroupAndId),
      next: null,
    });
    const wrongGroup = keyGroupOf("x") === 5 ? 6 : 5;
    const malformed = [
      "!!",
      "abc",
      cursor("[1]"),
      cursor('{"keyGroup":"1","id":"x"}'),
      cursor(`{"id":"x","keyGroup":${keyGroupOf("x")}}`),
      `${cursor(`{"keyGroup":${keyGroupOf("x")},"id":"x"}`)}=`,
    ];
    for (const after of malformed) {
      assert.deepEqual(await f.json(`${ids}?after=${encodeURIComponent(after)}`, 400), {
        error: `query parameter after: not a cursor returned as next by this API, found ${JSON.stringify(after)}`,
        code: "bad-request",
      });
    }
    const tampered = cursor(`{"keyGroup":${wrongGroup},"id":"x"}`);
    assert.deepEqual(await f.json(`${ids}?after=${tampered}`, 400), {
      error: `query parameter after: its id is not in key group ${wrongGroup} of 128, found ${JSON.stringify(tampered)}`,
      code: "bad-request",
    });
    const beyond = cursor('{"keyGroup":128,"id":"x"}');
    assert.equal((await f.get(`${ids}?after=${beyond}`)).status, 400);
  });

  it("answers 405 to writes and HEAD like GET", async () => {
    const base = `http://127.0.0.1:${f.server.address().port}`;
    for (const path of [`/v1/functions/${KEYS}/ids`, `/v1/state/${KEYS}/k1`]) {
      const response = await fetch(`${base}${path}`, { method: "DELETE" });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
      const head = await fetch(`${base}${path}`, { method: "HEAD" });
      assert.equal(head.status, 200);
    }
  });

  it("stops showing expired values, and an address once none is left", async () => {
    const names = async () =>
      ((await f.json(`/v1/state/${VALUES}/a`)) as { values: { name: string }[] }).values.map(
        (v) => v.name,
      );
    f.clock.advance(TTL_MS - 1);
    assert.ok((await names()).includes("ttl"));
    f.clock.advance(1);
    const left = await names();
    assert.equal(left.length, 11);
    assert.ok(!left.includes("ttl"));
    await f.send(VALUES, ["a"], 0);
    assert.deepEqual(await f.json(`/v1/state/${VALUES}/a`, 404), {
      error: `no state for ${VALUES} id "a"`,
      code: "no-state",
    });
    const { ids } = (await f.json(`/v1/functions/${VALUES}/ids`)) as { ids: string[] };
    assert.ok(!ids.includes("a"));
  });
});
