/**
 * Paging `GET /v1/functions/:namespace/:type/ids` over real HTTP across many key groups: small
 * limits list every id exactly once in (key group, id) order; and while a writer adds and deletes
 * ids between page requests (through real invocations), no id is listed twice, the order holds,
 * every id that held state throughout the listing is listed, and no id is listed while it holds
 * no state.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keyGroupOf } from "../../src/index.js";
import type { StateFixture } from "./state-fixture.js";
import { KEYS, startStateFixture } from "./state-fixture.js";

const IDS = Array.from({ length: 300 }, (_, i) => `id-${i}`);

/** (key group, id) order, the order of the listing. */
function compare(a: string, b: string): number {
  return keyGroupOf(a) - keyGroupOf(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A deterministic pseudo-random sequence (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

interface Page {
  readonly ids: string[];
  readonly next: string | null;
}

describe("paging ids across key groups", () => {
  let f: StateFixture;

  const page = async (after: string | null, limit: number): Promise<Page> => {
    const query = after === null ? `limit=${limit}` : `limit=${limit}&after=${after}`;
    return (await f.json(`/v1/functions/${KEYS}/ids?${query}`)) as Page;
  };

  before(async () => {
    f = await startStateFixture();
    await f.send(KEYS, IDS, 1);
  });
  after(() => f.stop());

  it("lists every id once, in (key group, id) order, with any page size", async () => {
    const groups = new Set(IDS.map((id) => keyGroupOf(id)));
    assert.ok(groups.size >= 100, `the ids fall in only ${groups.size} key groups`);
    const expected = [...IDS].sort(compare);
    for (const limit of [1, 7, 128, 1000]) {
      const listed: string[] = [];
      let requests = 0;
      let next: string | null = null;
      do {
        const answer = await page(next, limit);
        requests++;
        assert.ok(answer.ids.length <= limit);
        listed.push(...answer.ids);
        next = answer.next;
      } while (next !== null);
      assert.deepEqual(listed, expected, `limit ${limit}`);
      assert.equal(requests, Math.ceil(IDS.length / limit), `limit ${limit}`);
    }
  });

  it("keeps its guarantees while a writer adds and deletes ids between pages", async () => {
    const next = random(42);
    const before = new Set(IDS);
    const live = new Set(IDS);
    /** For each deleted id, how many pages had been fetched when it was deleted. */
    const deletedAfter = new Map<string, number>();
    /** For each added id, how many pages had been fetched when it was added. */
    const addedAfter = new Map<string, number>();
    const listed: string[] = [];
    const pageOf = new Map<string, number>();
    let pages = 0;
    let cursor: string | null = null;
    do {
      const answer = await page(cursor, 9);
      for (const id of answer.ids) pageOf.set(id, pages);
      pages++;
      listed.push(...answer.ids);
      cursor = answer.next;
      // The writer: three new ids (landing ahead of and behind the cursor) and two deletions.
      const added = [0, 1, 2].map((j) => `new-${pages}-${j}`);
      const pool = [...live];
      const deleted = [0, 1].map(() => pool[Math.floor(next() * pool.length)] as string);
      await f.send(KEYS, added, 1);
      await f.send(KEYS, deleted, 0);
      for (const id of added) {
        live.add(id);
        addedAfter.set(id, pages);
      }
      for (const id of deleted) {
        live.delete(id);
        deletedAfter.set(id, pages);
      }
    } while (cursor !== null);

    assert.ok(pages > 30, `only ${pages} pages`);
    assert.equal(new Set(listed).size, listed.length, "an id was listed twice");
    for (let i = 1; i < listed.length; i++) {
      const [a, b] = [listed[i - 1] as string, listed[i] as string];
      assert.ok(compare(a, b) < 0, `${a} (key group ${keyGroupOf(a)}) listed before ${b}`);
    }
    for (const id of before) {
      if (!deletedAfter.has(id)) assert.ok(pageOf.has(id), `${id} held state but was not listed`);
    }
    for (const [id, at] of pageOf) {
      const deleted = deletedAfter.get(id);
      assert.ok(deleted === undefined || deleted > at, `${id} listed after its deletion`);
      const added = addedAfter.get(id);
      assert.ok(before.has(id) || (added !== undefined && added <= at), `${id} listed unborn`);
    }
    assert.ok(deletedAfter.size > 20 && addedAfter.size > 60, "the writer did little");
  });
});
