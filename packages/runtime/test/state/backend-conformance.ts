/**
 * The model-based conformance suite every state backend must pass: random operations (writes,
 * deletes, reads with expire-after-invoke refresh, time moving, sweeps) are applied to the
 * backend and to a plain Map model; captures are taken at random cuts and read back after more
 * changes (copy-on-write must keep the cut's state); "crashes" restore a fresh backend from the
 * captured chain (in bulk, as recovery does) and compare it with the model as of the last cut.
 */
import assert from "node:assert/strict";
import type { StateSpec } from "@statefun-ts/protocol";
import { TypedValue, stringType } from "@statefun-ts/protocol";
import fc from "fast-check";
import protobuf from "protobufjs/minimal.js";
import { StatePayloadWriter } from "../../src/checkpoint/format/state-payload.js";
import type { StateBackend, StateChangeCapture, StateRecord } from "../../src/index.js";
import { StateRecordDecoder, compareIds, keyGroupOf } from "../../src/index.js";

/** The records a capture writes for `keyGroup`, as a checkpoint file holds them. */
function capturedRecords(capture: StateChangeCapture, keyGroup: number): StateRecord[] {
  const writer = new StatePayloadWriter((what) => assert.fail(what));
  capture.write(keyGroup, writer);
  const reader = protobuf.Reader.create(writer.finish());
  const decoder = new StateRecordDecoder();
  const records: StateRecord[] = [];
  while (reader.pos < reader.len) records.push(decoder.decode(reader, reader.uint32()));
  return records;
}

const TYPES = ["t/a", "t/b"] as const;
const IDS = ["x", "y", "z", "ω", "a/b"] as const;

const SPECS: readonly StateSpec[] = [
  { name: "plain", typename: stringType.typename, expiration: { mode: "none" } },
  {
    name: "written",
    typename: stringType.typename,
    expiration: { mode: "after-write", afterMs: 100 },
  },
  {
    name: "invoked",
    typename: stringType.typename,
    expiration: { mode: "after-invoke", afterMs: 100 },
  },
];

type Op =
  | { kind: "write"; type: number; id: number; spec: number; value: string | undefined }
  | { kind: "read"; type: number; id: number }
  | { kind: "advance"; ms: number }
  | { kind: "sweep" }
  | { kind: "capture"; changed: number; settle: boolean }
  | { kind: "crash" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("write" as const),
      type: fc.nat(1),
      id: fc.nat(4),
      spec: fc.nat(2),
      value: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("read" as const), type: fc.nat(1), id: fc.nat(4) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      // Mostly within an expiration (100 ms), sometimes past a sweep's delay (SWEEP_DELAY_MS).
      ms: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 80 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 2500 }) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "sweep" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("capture" as const),
      // Which of the addresses change after the cut (one bit each).
      changed: fc.nat((1 << (TYPES.length * IDS.length)) - 1),
      settle: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
);

interface ModelValue {
  readonly value: string;
  expiresAtMs: number;
}
type Model = Map<string, Map<string, ModelValue>>;

function copy(model: Model): Model {
  return new Map(
    [...model].map(([key, values]) => [key, new Map([...values].map(([n, v]) => [n, { ...v }]))]),
  );
}

function live(model: Model, nowMs: number): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const [key, values] of model) {
    for (const [name, value] of values) {
      if (value.expiresAtMs <= nowMs) continue;
      (result[key] ??= {})[name] = value.value;
    }
  }
  return result;
}

function backendLive(backend: StateBackend, nowMs: number): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const type of TYPES) {
    for (const id of IDS) {
      for (const stored of backend
        .table(type)
        .entries(id, keyGroupOf(id, backend.maxKeyGroups), nowMs)) {
        (result[`${type}\u0000${id}`] ??= {})[stored.name] = stored.value.as(stringType) as string;
      }
    }
  }
  return result;
}

/** How long an expired value may outlast a sweep (the memory backend sweeps by the second). */
const SWEEP_DELAY_MS = 1000;

/** Values of the model that expire after `ms` (live at `ms`). */
function valuesExpiringAfter(model: Model, ms: number): number {
  let count = 0;
  for (const values of model.values()) {
    for (const value of values.values()) if (value.expiresAtMs > ms) count++;
  }
  return count;
}

/** Paged listing (pages of 2) gives exactly the ids with live values, in (key group, id) order. */
function checkListing(backend: StateBackend, model: Model, nowMs: number): void {
  const expectedLive = live(model, nowMs);
  let liveValues = 0;
  for (const values of Object.values(expectedLive)) liveValues += Object.keys(values).length;
  assert.ok(backend.liveValues() >= liveValues, "the live value count covers every live value");
  for (const type of TYPES) {
    const expected = IDS.filter((id) => expectedLive[`${type}\u0000${id}`] !== undefined)
      .map((id) => ({ id, keyGroup: keyGroupOf(id, backend.maxKeyGroups) }))
      .sort((a, b) => a.keyGroup - b.keyGroup || compareIds(a.id, b.id))
      .map((entry) => entry.id);
    const listed: string[] = [];
    let page = backend.listIds(type, undefined, 2, nowMs);
    listed.push(...page.ids);
    while (page.next !== undefined) {
      page = backend.listIds(type, page.next, 2, nowMs);
      listed.push(...page.ids);
    }
    assert.deepEqual(listed, expected, `ids of ${type}`);
    const counted = backend.functionTypes().find((t) => t.typename === type)?.addresses ?? 0;
    assert.ok(counted >= expected.length, `address count of ${type}`);
  }
}

/** Runs the conformance suite against backends made by `create`. */
export async function checkBackendConformance(
  create: () => StateBackend | Promise<StateBackend>,
  runs = 150,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), async (ops) => {
      let backend = await create();
      backend.trackChanges();
      let now = 1_000_000;
      let model: Model = new Map();
      const chain: StateRecord[][] = [];
      let modelAtLastCut: Model = new Map();
      let cutAtMs = now;
      for (const step of ops) {
        switch (step.kind) {
          case "write": {
            const type = TYPES[step.type] as string;
            const id = IDS[step.id] as string;
            const spec = SPECS[step.spec] as StateSpec;
            const key = `${type}\u0000${id}`;
            backend.table(type).write(
              id,
              keyGroupOf(id, backend.maxKeyGroups),
              [
                {
                  spec,
                  value:
                    step.value === undefined ? undefined : TypedValue.of(stringType, step.value),
                },
              ],
              now,
            );
            const values = model.get(key) ?? new Map<string, ModelValue>();
            for (const [name, value] of values) if (value.expiresAtMs <= now) values.delete(name);
            if (step.value === undefined) values.delete(spec.name);
            else
              values.set(spec.name, {
                value: step.value,
                expiresAtMs:
                  spec.expiration.mode === "none" ? Infinity : now + spec.expiration.afterMs,
              });
            if (values.size === 0) model.delete(key);
            else model.set(key, values);
            break;
          }
          case "read": {
            const type = TYPES[step.type] as string;
            const id = IDS[step.id] as string;
            const read = backend
              .table(type)
              .read(id, keyGroupOf(id, backend.maxKeyGroups), SPECS, now);
            const values = model.get(`${type}\u0000${id}`);
            SPECS.forEach((spec, index) => {
              const expected = values?.get(spec.name);
              const visible =
                expected !== undefined && expected.expiresAtMs > now ? expected.value : undefined;
              assert.equal(
                read[index]?.as(stringType),
                visible,
                `read ${type}/${id} ${spec.name} at ${now}`,
              );
              if (
                visible !== undefined &&
                expected !== undefined &&
                spec.expiration.mode === "after-invoke"
              ) {
                expected.expiresAtMs = now + spec.expiration.afterMs;
              }
            });
            break;
          }
          case "advance":
            now += step.ms;
            break;
          case "sweep": {
            // The disk backend finds due values through an index it reads from what is written.
            await backend.whenWritten();
            backend.sweepExpired(now);
            assert.ok(
              backend.liveValues() <= valuesExpiringAfter(model, now - SWEEP_DELAY_MS),
              `a sweep at ${now} leaves no value expired ${SWEEP_DELAY_MS} ms before`,
            );
            break;
          }
          case "capture": {
            const capture = backend.captureChanges(now);
            const atCut = copy(model);
            const cutNow = now;
            // Settled, changes are written and a backend with a bounded cache may drop any address
            // from memory, which the capture must then still write as of the cut.
            if (step.settle) await backend.whenWritten();
            // Copy-on-write: change some addresses after the cut, twice (the second change of an
            // address in a tracking epoch takes a shorter path).
            for (const text of ["after-cut", "after-cut again"])
              TYPES.forEach((type, t) =>
                IDS.forEach((id, i) => {
                  if ((step.changed & (1 << (t * IDS.length + i))) === 0) return;
                  backend
                    .table(type)
                    .write(
                      id,
                      keyGroupOf(id, backend.maxKeyGroups),
                      [{ spec: SPECS[0] as StateSpec, value: TypedValue.of(stringType, text) }],
                      now,
                    );
                }),
              );
            if (step.settle) await backend.whenWritten();
            // Then look at every address, changed or not, before reading the capture.
            for (const type of TYPES) {
              for (const id of IDS) {
                backend.table(type).entries(id, keyGroupOf(id, backend.maxKeyGroups), now);
              }
            }
            const records = capture
              .keyGroups()
              .flatMap((keyGroup) => capturedRecords(capture, keyGroup));
            capture.release();
            // A full capture holds every address: its checkpoint starts a new chain.
            if (capture.full === true) chain.length = 0;
            chain.push(records);
            // Undo the post-cut writes: the records bring back every address the capture holds;
            // "plain" is then set back to its value at the cut, or deleted, everywhere.
            backend.restore(records, { markChanged: true });
            for (const type of TYPES) {
              for (const id of IDS) {
                const plain = atCut.get(`${type}\u0000${id}`)?.get("plain");
                backend.table(type).write(
                  id,
                  keyGroupOf(id, backend.maxKeyGroups),
                  [
                    {
                      spec: SPECS[0] as StateSpec,
                      value:
                        plain === undefined ? undefined : TypedValue.of(stringType, plain.value),
                    },
                  ],
                  now,
                );
              }
            }
            model = copy(atCut);
            modelAtLastCut = copy(atCut);
            cutAtMs = cutNow;
            const replay = await create();
            for (const part of chain) replay.restore(part, { markChanged: false });
            assert.deepEqual(
              backendLive(replay, cutNow),
              live(atCut, cutNow),
              "the chain restores the state at the cut",
            );
            break;
          }
          case "crash": {
            backend = await create();
            // As recovery restores: in bulk, waiting for the writes after each file of the chain.
            for (const part of chain) {
              backend.restore(part, { markChanged: false, bulk: true });
              await backend.whenWritten();
            }
            backend.trackChanges();
            model = copy(modelAtLastCut);
            now = Math.max(now, cutAtMs);
            assert.deepEqual(
              backendLive(backend, now),
              live(model, now),
              "state after a crash is the last cut's",
            );
            break;
          }
        }
        assert.deepEqual(backendLive(backend, now), live(model, now), `after ${step.kind}`);
        checkListing(backend, model, now);
      }
    }),
    { numRuns: runs },
  );
}
