/**
 * Fixture of the queryable-state tests: a real runtime (manual clock, embedded functions) with an
 * admin server on 127.0.0.1:0, and a small JSON client. `test/values` writes one value of every
 * kind the admin API shows (built-in types, JSON, binary, expiring, oversized); `test/keys` sets
 * or deletes one int per id, for paging.
 */
import assert from "node:assert/strict";
import { addressOf, NO_EXPIRATION, TypedValue } from "@statefun-ts/protocol";
import {
  boolType,
  createStatefulFunctions,
  customType,
  doubleType,
  floatType,
  intType,
  jsonType,
  longType,
  stringType,
} from "@statefun-ts/sdk";
import { createAdminServer, createRuntime, keyGroupOf, ManualClock } from "../../src/index.js";
import type { AdminServer, Runtime } from "../../src/index.js";
import { START_MS } from "../observability/fixture.js";

/** Writes every kind of value on `1`, an oversized binary value on `2`, deletes all on `0`. */
export const VALUES = "test/values";
/** Sets `v` to a positive int, deletes it on `0`. */
export const KEYS = "test/keys";
/** Registered, never sent a message. */
export const IDLE = "test/idle";
/** A type no function claims, holding state as after a restart before its first invocation. */
export const ORPHAN = "other/orphan";
/** Time to live of `ttl`, in ms. */
export const TTL_MS = 60_000;
/** Size of the oversized value: 1 MiB and one byte. */
export const BIG_BYTES = 1024 * 1024 + 1;

/** The value specs of `test/values`, in declaration order. */
export const VALUE_NAMES = [
  "i",
  "l",
  "s",
  "b",
  "f",
  "d",
  "nan",
  "j",
  "text",
  "number",
  "bin",
  "ttl",
  "big",
] as const;

const bytesType = customType<Uint8Array>(
  "test/Bytes",
  (value) => value,
  (bytes) => bytes,
);
const encoder = new TextEncoder();
/** A custom type whose bytes are UTF-8 text (JSON or not). */
const textType = customType<string>(
  "test/Text",
  (value) => encoder.encode(value),
  (bytes) => new TextDecoder().decode(bytes),
);

/** The runtime and its admin server. */
export interface StateFixture {
  readonly runtime: Runtime;
  readonly clock: ManualClock;
  readonly server: AdminServer;
  /** GET `path`: status and parsed JSON body (content type checked). */
  get(path: string): Promise<{ readonly status: number; readonly body: unknown }>;
  /** GET `path`, expecting `status` (default 200), returning the body. */
  json(path: string, status?: number): Promise<unknown>;
  /** Sends an int to each id of a function type and waits until the runtime is idle. */
  send(typename: string, ids: Iterable<string>, value: number): Promise<void>;
  /** Writes `count: 3` (an int) for `left-over` of {@link ORPHAN} straight into the backend. */
  writeOrphan(): void;
  stop(): Promise<void>;
}

/** Starts the fixture's runtime and admin server. */
export async function startStateFixture(): Promise<StateFixture> {
  const functions = createStatefulFunctions()
    .bind({
      typename: VALUES,
      state: {
        i: intType,
        l: longType,
        s: stringType,
        b: boolType,
        f: floatType,
        d: doubleType,
        nan: doubleType,
        j: jsonType<{ greeting: string; n: number[] }>("test/Json"),
        text: textType,
        number: textType,
        bin: bytesType,
        ttl: { type: intType, expireAfterWriteMs: TTL_MS },
        big: bytesType,
      },
      fn(context, message) {
        const command = message.as(intType);
        const s = context.storage;
        if (command === 0) {
          // Accessors live on the storage's prototype: assign undefined to each to delete it.
          for (const name of VALUE_NAMES) (s as Record<string, unknown>)[name] = undefined;
        } else if (command === 2) {
          s.big = new Uint8Array(BIG_BYTES).fill(7);
        } else {
          Object.assign(s, {
            i: -42,
            l: 9_007_199_254_740_993n,
            s: "héllo/wörld",
            b: true,
            f: 1.5,
            d: 0.1 + 0.2,
            nan: Number.NaN,
            j: { greeting: "hi", n: [1, 2] },
            text: '"a JSON string"',
            number: "42",
            bin: new Uint8Array([0, 255, 1, 2]),
            ttl: 7,
          });
        }
      },
    })
    .bind({
      typename: KEYS,
      state: { v: intType },
      fn(context, message) {
        const n = message.as(intType);
        context.storage.v = n === 0 ? undefined : n;
      },
    })
    .bind({ typename: IDLE, state: { x: stringType }, fn: () => undefined });
  const clock = new ManualClock(START_MS);
  const runtime = createRuntime({ functions: [functions], clock });
  const server = createAdminServer({ runtime, port: 0, host: "127.0.0.1" });
  await runtime.start();
  await server.start();
  const url = `http://127.0.0.1:${server.address().port}`;
  async function get(path: string) {
    const response = await fetch(`${url}${path}`);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    return { status: response.status, body: JSON.parse(await response.text()) as unknown };
  }
  return {
    runtime,
    clock,
    server,
    get,
    async json(path, status = 200) {
      const answer = await get(path);
      assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    async send(typename, ids, value) {
      for (const id of ids) {
        await runtime.submit(addressOf(typename, id), TypedValue.of(intType, value));
      }
      await runtime.whenIdle();
    },
    writeOrphan() {
      const id = "left-over";
      const spec = { name: "count", typename: intType.typename, expiration: NO_EXPIRATION };
      const value = TypedValue.of(intType, 3);
      runtime.backend.table(ORPHAN).write(id, keyGroupOf(id), [{ spec, value }], clock.now());
    },
    async stop() {
      await server.stop();
      await runtime.stop();
    },
  };
}

/**
 * The fixture holding the sample state the route tests read: ids `a`, `x/y z` and `ünï` of
 * {@link VALUES} sent 1, `big` sent 2, ids `k1` and `k2` of {@link KEYS} sent 5, and the orphan.
 */
export async function startSampleStateFixture(): Promise<StateFixture> {
  const f = await startStateFixture();
  await f.send(VALUES, ["a", "x/y z", "ünï"], 1);
  await f.send(VALUES, ["big"], 2);
  await f.send(KEYS, ["k1", "k2"], 5);
  f.writeOrphan();
  return f;
}
