/**
 * fast-check arbitraries of checkpoint content: manifests of every kind (full, incremental with a
 * chain, savepoint), key groups in increasing order with state records (unicode ids, empty and
 * large values, finite and infinite expirations, deletions), pending messages with and without a
 * caller, typed values without a value, delayed messages with and without tokens, egress entries,
 * and sink and ingress states.
 */
import fc from "fast-check";
import type {
  CheckpointAddress,
  CheckpointManifest,
  ComponentState,
  DelayedMessageRecord,
  EgressRecordEntry,
  GlobalContent,
  KeyGroupContent,
  PendingMessageRecord,
  StateRecord,
  StateValueRecord,
  StoredTypedValue,
} from "../../src/checkpoint/model.js";

/** Records with `Object.prototype`, as decoding produces (fast-check's default has none). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom("", "Bob", "example/greeter", "io.statefun.types/int", "Zoë 🚀", "名前"),
);

/** A large value: 100 KiB with a random fill, so that records span many buffer chunks. */
const largeBytes = fc
  .integer({ min: 0, max: 255 })
  .map((fill) => new Uint8Array(100_000).fill(fill));

const bytes = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 2000 }) },
  { weight: 1, arbitrary: largeBytes },
);

/** A time in ms as the format holds it: any safe integer, small ones more often. */
const timeMs = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 42 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);

const address: fc.Arbitrary<CheckpointAddress> = record({ functionType: text, id: text });

const typedValue: fc.Arbitrary<StoredTypedValue> = record({
  typename: text,
  hasValue: fc.boolean(),
  value: bytes,
});

const stateValue: fc.Arbitrary<StateValueRecord> = record({
  name: text,
  typename: text,
  value: bytes,
  expiresAtMs: fc.oneof(fc.constant(Infinity), timeMs),
});

/** A state record; an empty `values` is a deletion. */
export const stateRecord: fc.Arbitrary<StateRecord> = record({
  functionType: text,
  id: text,
  values: fc.array(stateValue, { maxLength: 4 }),
});

/**
 * A state record of one of a few addresses (unicode, empty and long ids), so that later files of
 * a chain change the same addresses again.
 */
export const fewAddressRecord: fc.Arbitrary<StateRecord> = fc
  .tuple(
    fc.constantFrom("example/a", "ex/名前", ""),
    fc.constantFrom("", "1", "Zoë 🚀", "k".repeat(200)),
    stateRecord,
  )
  .map(([functionType, id, { values }]) => ({ functionType, id, values }));

export const pendingMessage: fc.Arbitrary<PendingMessageRecord> = record({
  target: address,
  caller: fc.option(address, { nil: undefined }),
  argument: typedValue,
});

const delayedMessage: fc.Arbitrary<DelayedMessageRecord> = record({
  sender: address,
  dueMs: timeMs,
  cancellationToken: fc.option(text, { nil: undefined }),
  target: address,
  argument: typedValue,
});

const egressEntry: fc.Arbitrary<EgressRecordEntry> = record({ egress: text, value: typedValue });

const components: fc.Arbitrary<ComponentState[]> = fc.uniqueArray(record({ id: text, bytes }), {
  maxLength: 3,
  selector: (component) => component.id,
});

/** Process-wide content, sometimes empty. */
export const globalContent: fc.Arbitrary<GlobalContent> = record({
  egress: fc.array(egressEntry, { maxLength: 4 }),
  sinks: components,
  ingresses: components,
});

const infoValue = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
);

/** A manifest whose fields agree with each other (a savepoint is full; only incremental ones have a chain). */
export const manifest: fc.Arbitrary<CheckpointManifest> = fc
  .record({
    id: fc.maxSafeNat(),
    kind: fc.constantFrom("checkpoint", "savepoint"),
    createdAtMs: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.maxSafeNat()),
    maxKeyGroups: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(32768)),
    mode: fc.constantFrom("exactly-once", "at-least-once"),
    full: fc.boolean(),
    chain: fc.array(text, { minLength: 1, maxLength: 4 }),
    info: fc.dictionary(text, infoValue, { maxKeys: 4, noNullPrototype: true }),
  })
  .map(({ full, chain, kind, ...rest }): CheckpointManifest => {
    const isFull = full || kind === "savepoint";
    return { formatVersion: 1, ...rest, kind, full: isFull, chain: isFull ? [] : chain };
  });

function keyGroupContent(keyGroup: number): fc.Arbitrary<KeyGroupContent> {
  return record({
    keyGroup: fc.constant(keyGroup),
    state: fc.array(stateRecord, { maxLength: 5 }),
    messages: fc.array(pendingMessage, { maxLength: 4 }),
    delayed: fc.array(delayedMessage, { maxLength: 3 }),
  });
}

/** A whole checkpoint: manifest, key groups (ascending, some possibly empty) and global content. */
export interface CheckpointInput {
  readonly manifest: CheckpointManifest;
  readonly keyGroups: readonly KeyGroupContent[];
  readonly global: GlobalContent;
}

/** A whole checkpoint's content. */
export const checkpointInput: fc.Arbitrary<CheckpointInput> = manifest.chain((m) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: m.maxKeyGroups - 1 }), { maxLength: 6 })
    .chain((groups) =>
      fc.tuple(...groups.sort((a, b) => a - b).map((keyGroup) => keyGroupContent(keyGroup))),
    )
    .chain((keyGroups) =>
      globalContent.map((global): CheckpointInput => ({ manifest: m, keyGroups, global })),
    ),
);

/** The key groups a file holds: those with at least one record. */
export function nonEmptyKeyGroups(keyGroups: readonly KeyGroupContent[]): KeyGroupContent[] {
  return keyGroups.filter(
    (content) =>
      content.state.length > 0 || content.messages.length > 0 || content.delayed.length > 0,
  );
}
