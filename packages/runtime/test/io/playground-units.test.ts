/**
 * Socket-free tests of the playground's pure parts: ingress path and content-type parsing, egress
 * record decoding, and the topic queue (model-based against an array).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TypedValue } from "@statefun-ts/protocol";
import { decodeEgressRecord } from "../../src/io/playground/egress-record.js";
import {
  parseIngressTarget,
  parseIngressTypename,
} from "../../src/io/playground/ingress-request.js";
import { TopicQueue } from "../../src/io/playground/topic-queue.js";

void test("parseIngressTarget accepts /<namespace>/<type>/<id> and decodes each segment", () => {
  const ok = (url: string) => {
    const parsed = parseIngressTarget(url);
    assert.ok(parsed.ok, `${url}: ${parsed.ok ? "" : parsed.reason}`);
    return parsed.value;
  };
  assert.deepEqual(ok("/example/greeter/Bob"), {
    namespace: "example",
    name: "greeter",
    id: "Bob",
    typename: "example/greeter",
  });
  assert.equal(ok("/example/greeter/Bob/").id, "Bob");
  assert.equal(ok("/example/greeter/B%C3%B6b%2F2?x=/y/z").id, "Böb/2");
  assert.equal(ok("/ex%20ample/greeter/1").namespace, "ex ample");
});

void test("parseIngressTarget refuses everything else with a reason", () => {
  const cases: [string, string, RegExp][] = [
    ["", "invalid-argument", /found ""/],
    ["*", "invalid-argument", /found "\*"/],
    ["/", "invalid-argument", /found 1 segment/],
    ["/a/b", "invalid-argument", /found 2 segment/],
    ["/a/b/", "invalid-argument", /empty id/],
    ["/a/b/c/d", "invalid-argument", /found 4 segment/],
    ["/a/b/c//", "invalid-argument", /found 5 segment/],
    ["//b/c", "invalid-argument", /empty namespace/],
    ["/a/b/%", "invalid-argument", /percent-encoding in the id "%"/],
    ["/a%2Fb/c/d", "invalid-typename", /"a\/b\/c"/],
  ];
  for (const [url, code, reason] of cases) {
    const parsed = parseIngressTarget(url);
    assert.equal(parsed.ok, false, url);
    if (parsed.ok) continue;
    assert.equal(parsed.code, code, url);
    assert.match(parsed.reason, reason, url);
  }
});

void test("parseIngressTypename takes the first vnd content type", () => {
  const typename = (values: string[]) => {
    const parsed = parseIngressTypename(values);
    return parsed.ok ? parsed.value : `error: ${parsed.reason}`;
  };
  assert.equal(typename([]), "io.statefun.types/string");
  assert.equal(typename(["text/plain"]), "io.statefun.types/string");
  assert.equal(typename(["application/vnd.example/GreetRequest"]), "example/GreetRequest");
  assert.equal(typename(["Application/VND.example/Greet ; v=1"]), "example/Greet");
  assert.equal(typename(["text/plain", "application/vnd.a/b", "application/vnd.c/d"]), "a/b");
  assert.match(
    typename(["application/vnd.json"]),
    /^error: expected Content-Type application\/vnd/,
  );
  assert.match(typename(["application/vnd.a/b/c"]), /^error:/);
});

void test("decodeEgressRecord reads {topic, payload} JSON", () => {
  const bytes = new TextEncoder().encode('{"topic":"t","payload":"p","extra":1}');
  assert.deepEqual(
    decodeEgressRecord(TypedValue.fromBytes("io.statefun.playground/EgressRecord", bytes)),
    {
      topic: "t",
      payload: "p",
    },
  );
  const refused = decodeEgressRecord(TypedValue.fromBytes("a/b", bytes));
  assert.equal(typeof refused, "string");
  assert.match(refused as string, /found a\/b/);
});

void test("TopicQueue is FIFO (model-based, across compactions)", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constant(null)), { maxLength: 3000 }), (ops) => {
      const queue = new TopicQueue("t");
      const model: string[] = [];
      for (const op of ops) {
        if (op === null) assert.equal(queue.take(), model.shift());
        else {
          queue.offer(op);
          model.push(op);
        }
        assert.equal(queue.size, model.length);
      }
      while (model.length > 0) assert.equal(queue.take(), model.shift());
      assert.equal(queue.take(), undefined);
    }),
    { numRuns: 50 },
  );
  // Deterministic pass over the compaction threshold.
  const queue = new TopicQueue("t");
  for (let i = 0; i < 5000; i++) queue.offer(String(i));
  for (let i = 0; i < 2500; i++) assert.equal(queue.take(), String(i));
  for (let i = 5000; i < 6000; i++) queue.offer(String(i));
  for (let i = 2500; i < 6000; i++) assert.equal(queue.take(), String(i));
  assert.equal(queue.size, 0);
});

void test("TopicQueue hands payloads to waiters in order, skipping those that are gone", () => {
  const queue = new TopicQueue("t");
  const got: string[] = [];
  queue.wait(() => false);
  const withdraw = queue.wait((p) => (got.push(`withdrawn:${p}`), true));
  queue.wait((p) => (got.push(`a:${p}`), true));
  queue.wait((p) => (got.push(`b:${p}`), true));
  withdraw();
  withdraw();
  assert.equal(queue.waiting, 3);
  queue.offer("1");
  queue.offer("2");
  queue.offer("3");
  assert.deepEqual(got, ["a:1", "b:2"]);
  assert.equal(queue.waiting, 0);
  assert.equal(queue.size, 1);
  assert.equal(queue.take(), "3");
});
