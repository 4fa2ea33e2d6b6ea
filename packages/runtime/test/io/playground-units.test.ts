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
import type { TopicRecord } from "../../src/io/playground/topic-queue.js";

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

/** Takes a record and settles it delivered; its payload. */
function takeDelivered(queue: TopicQueue): string | undefined {
  const record = queue.take();
  if (record !== undefined) queue.settle(record, true);
  return record?.payload;
}

void test("TopicQueue is FIFO with consecutive sequence numbers (model-based, across compactions)", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constant(null)), { maxLength: 3000 }), (ops) => {
      const queue = new TopicQueue("t");
      const model: { seq: number; payload: string }[] = [];
      let seq = 0;
      for (const op of ops) {
        if (op === null) {
          const record = queue.take();
          assert.deepEqual(record, model.shift());
          if (record !== undefined) queue.settle(record, true);
        } else {
          assert.deepEqual(queue.offer(op), { seq: ++seq, payload: op });
          model.push({ seq, payload: op });
        }
        assert.equal(queue.size, model.length);
      }
      while (model.length > 0) assert.equal(takeDelivered(queue), model.shift()?.payload);
      assert.equal(queue.take(), undefined);
    }),
    { numRuns: 50 },
  );
  // Deterministic pass over the compaction threshold.
  const queue = new TopicQueue("t");
  for (let i = 0; i < 5000; i++) queue.offer(String(i));
  for (let i = 0; i < 2500; i++) assert.equal(takeDelivered(queue), String(i));
  for (let i = 5000; i < 6000; i++) queue.offer(String(i));
  for (let i = 2500; i < 6000; i++) assert.equal(takeDelivered(queue), String(i));
  assert.equal(queue.size, 0);
});

void test("TopicQueue keeps handed-out records until settled; undelivered ones go back in order", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.constant({ op: "offer" as const }),
          fc.constant({ op: "take" as const }),
          fc.record({
            op: fc.constant("settle" as const),
            index: fc.nat(),
            delivered: fc.boolean(),
          }),
        ),
        { maxLength: 300 },
      ),
      (ops) => {
        const queue = new TopicQueue("t");
        const out: TopicRecord[] = [];
        const delivered = new Set<number>();
        let offered = 0;
        for (const step of ops) {
          if (step.op === "offer") queue.offer(`p${++offered}`);
          else if (step.op === "take") {
            const record = queue.take();
            if (record !== undefined) out.push(record);
          } else if (out.length > 0) {
            const [record] = out.splice(step.index % out.length, 1) as [TopicRecord];
            queue.settle(record, step.delivered);
            queue.settle(record, true); // a second settle changes nothing
            if (step.delivered) delivered.add(record.seq);
          }
          // The snapshot holds every record not delivered, by sequence, and nothing else.
          const snapshot = queue.snapshot();
          const expected: number[] = [];
          for (let seq = 1; seq <= offered; seq++) if (!delivered.has(seq)) expected.push(seq);
          assert.deepEqual(
            snapshot.records.map((r) => r.seq),
            expected,
          );
          for (const r of snapshot.records) assert.equal(r.payload, `p${r.seq}`);
          assert.equal(snapshot.next, offered + 1);
          assert.equal(queue.size, expected.length);
          assert.equal(queue.queued, expected.length - out.length);
        }
        // Queued records leave in sequence order.
        let previous = 0;
        for (let record = queue.take(); record !== undefined; record = queue.take()) {
          assert.ok(record.seq > previous);
          previous = record.seq;
        }
      },
    ),
    { numRuns: 200 },
  );
});

void test("TopicQueue restores a snapshot: same records, numbering continues", () => {
  const queue = new TopicQueue("t");
  for (const p of ["a", "b", "c"]) queue.offer(p);
  const a = queue.take() as TopicRecord;
  queue.settle(a, true);
  const b = queue.take() as TopicRecord; // handed out, not settled: part of the snapshot
  const snapshot = queue.snapshot();
  assert.deepEqual(snapshot, {
    next: 4,
    records: [
      { seq: 2, payload: "b" },
      { seq: 3, payload: "c" },
    ],
  });
  const restored = new TopicQueue("t");
  restored.restore(snapshot);
  assert.deepEqual(restored.take(), b);
  assert.deepEqual(restored.offer("d"), { seq: 4, payload: "d" });
  assert.throws(
    () => restored.restore({ next: 3, records: [{ seq: 3, payload: "x" }] }),
    /expected the next sequence number above 3, found 3/,
  );
  assert.throws(
    () =>
      restored.restore({
        next: 9,
        records: [
          { seq: 2, payload: "x" },
          { seq: 2, payload: "y" },
        ],
      }),
    /expected increasing sequence numbers, found 2 after 2/,
  );
});

void test("TopicQueue hands records to waiters in order, skipping those that are gone", () => {
  const queue = new TopicQueue("t");
  const got: string[] = [];
  queue.wait(() => false);
  const withdraw = queue.wait((r) => (got.push(`withdrawn:${r.payload}`), true));
  queue.wait((r) => (got.push(`a:${r.payload}`), true));
  queue.wait((r) => (got.push(`b:${r.payload}`), true));
  withdraw();
  withdraw();
  assert.equal(queue.waiting, 3);
  queue.offer("1");
  queue.offer("2");
  queue.offer("3");
  assert.deepEqual(got, ["a:1", "b:2"]);
  assert.equal(queue.waiting, 0);
  assert.equal(queue.size, 3, "two handed out, one queued");
  assert.equal(queue.queued, 1);
  assert.equal(takeDelivered(queue), "3");
  // A record a reader could not take goes to the next waiter.
  const first = queue.snapshot().records[0] as TopicRecord;
  queue.wait((r) => (got.push(`c:${r.payload}`), true));
  queue.settle(first, false);
  assert.deepEqual(got, ["a:1", "b:2", "c:1"]);
});
