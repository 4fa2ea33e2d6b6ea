/**
 * The point-in-time check of the `kv-stores` scenario: what a checkpoint needs from the store.
 * An iterator over one key group and a view are begun; then a batch overwrites existing keys of
 * that group with a marker value and inserts new keys into it; then the iterator is drained and
 * the view is read. Isolated means neither saw any of those writes. That the writes did land is
 * asserted (otherwise the check would prove nothing); isolation itself is reported, not asserted,
 * so that a store without it shows up as "no" in the table rather than as a crash.
 */
import assert from "node:assert/strict";
import type { Candidate, Entry } from "./candidate.js";
import { isMarker, keyGroupOf, keyGroupRange, keyOf, markerValue } from "./workload.js";

const GROUP = 7;
const OVERWRITES = 1_000;
const INSERTS = 100;

/** Whether a scan begun before a batch of writes, and a view opened before it, saw none of it. */
export interface Isolation {
  readonly iterator: boolean;
  readonly view: boolean;
  /** Entries of the key group before the writes. */
  readonly groupKeys: number;
}

/** The first `count` ids at or after `from` whose key falls in `GROUP`. */
function idsInGroup(from: number, count: number): number[] {
  const ids: number[] = [];
  for (let n = from; ids.length < count; n++) if (keyGroupOf(n) === GROUP) ids.push(n);
  return ids;
}

async function drain(
  iterator: AsyncIterator<Entry>,
  first?: Entry,
): Promise<{ count: number; markers: number }> {
  let count = 0;
  let markers = 0;
  const visit = ([, value]: Entry): void => {
    count++;
    if (isMarker(value)) markers++;
  };
  if (first !== undefined) visit(first);
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    visit(next.value);
  }
  return { count, markers };
}

/** Runs the check on a store holding ids `0..keys-1`; leaves the written keys in place. */
export async function checkIsolation(store: Candidate, keys: number): Promise<Isolation> {
  const { start, end } = keyGroupRange(GROUP);
  const groupKeys = await store.scan(start, end);
  const overwritten = idsInGroup(0, OVERWRITES)
    .filter((n) => n < keys)
    .map(keyOf);
  const inserted = idsInGroup(keys, INSERTS).map(keyOf);

  const iterator = store.iterate(start, end);
  const first = await iterator.next();
  assert.notEqual(first.done, true, `key group ${GROUP} holds keys`);
  const view = await store.openView();

  const marker = markerValue();
  await store.updateBatch([...overwritten, ...inserted], () => marker);

  const scanned = await drain(iterator, first.value as Entry);
  const iteratorIsolated = scanned.count === groupKeys && scanned.markers === 0;

  let viewSawWrites = 0;
  for (const key of overwritten) {
    const value = await view.get(key);
    if (value === undefined || isMarker(value)) viewSawWrites++;
  }
  for (const key of inserted) if ((await view.get(key)) !== undefined) viewSawWrites++;
  const viewScan = await drain(view.entries(start, end)[Symbol.asyncIterator]());
  const viewIsolated =
    viewSawWrites === 0 && viewScan.count === groupKeys && viewScan.markers === 0;
  await view.close();

  // The writes landed: a fresh scan sees the inserts, and a fresh read sees a marker.
  assert.equal(await store.scan(start, end), groupKeys + inserted.length, "inserts are visible");
  const fresh =
    store.getSync?.(overwritten[0] as Buffer) ?? (await store.getAsync?.(overwritten[0] as Buffer));
  assert.ok(fresh !== undefined && isMarker(fresh), "overwrites are visible");
  return { iterator: iteratorIsolated, view: viewIsolated, groupKeys };
}
