// The chunk source of storage writes: telling the source's errors from the storage's, and
// stopping a source early so that its `finally` blocks run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { createChunkSource } from "../../src/checkpoint/chunk-source.js";

const one = new Uint8Array([1]);
const two = new Uint8Array([2, 2]);

describe("chunk source", () => {
  it("reads sync and async iterables to their end", async () => {
    async function* generated(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      yield one;
      yield two;
    }
    for (const chunks of [[one, two], generated()]) {
      const source = createChunkSource(chunks, "write x");
      assert.equal(await source.next(), one);
      assert.equal(await source.next(), two);
      assert.equal(await source.next(), undefined);
      assert.equal(await source.next(), undefined);
      assert.equal(source.failure, undefined);
    }
  });

  it("keeps the source's own error and rethrows it unchanged", async () => {
    const boom = new Error("boom");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield one;
      await Promise.resolve();
      throw boom;
    }
    const source = createChunkSource(failing(), "write x");
    await source.next();
    await assert.rejects(source.next(), (error) => error === boom);
    assert.equal(source.failure?.error, boom);
    assert.equal(await source.next(), undefined);
  });

  it("rejects a chunk that is not a Uint8Array, naming the write, and stops the source", async () => {
    let finished = false;
    function* wrong(): Generator<unknown> {
      try {
        yield "text";
        yield one;
      } finally {
        finished = true;
      }
    }
    const source = createChunkSource(wrong() as Iterable<Uint8Array>, "write chk-1");
    const error = await source.next().catch((e: unknown) => e);
    assert.ok(error instanceof StatefunError);
    assert.equal(error.code, "invalid-argument");
    assert.equal(error.message, "write chk-1: expected chunks of type Uint8Array, found string");
    assert.equal(source.failure?.error, error);
    assert.equal(finished, true);
  });

  it("stops a source early once, running its finally block", async () => {
    let finallyRuns = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield await Promise.resolve(one);
      } finally {
        finallyRuns += 1;
      }
    }
    const source = createChunkSource(endless(), "write x");
    await source.next();
    await source.stop();
    await source.stop();
    assert.equal(finallyRuns, 1);
    assert.equal(await source.next(), undefined);
    assert.equal(source.failure, undefined);
  });

  it("has no accessor of its own", () => {
    // An own getter makes V8 allocate an accessor pair in the old generation for every source,
    // which keeps the source's iterator, and the checkpoint it writes, alive through young
    // collections until the next full one.
    const source = createChunkSource([one], "write x");
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(source))) {
      assert.equal("get" in descriptor || "set" in descriptor, false, `own accessor ${key}`);
    }
  });
});
