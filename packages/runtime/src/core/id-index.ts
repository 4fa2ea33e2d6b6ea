/**
 * Items by id in an open-addressing hash table (linear probing, deletion by backward shift, so no
 * tombstones), keyed by a 32-bit hash of the id that the caller computes once and keeps on the
 * item ({@link hashId}).
 *
 * It serves the workload of many addresses each seen briefly: the dispatcher's slots of busy
 * addresses and the disk backend's cache entries, where a stream of addresses never seen before
 * is each inserted once and removed once. A `Map` lookup that misses walks a chain of entries and
 * loads each one's key, and deletions leave holes until it rehashes; here a miss usually ends at
 * the first empty slot of one array of hashes (one cache line), and a deletion leaves the table
 * as if the item had never been inserted.
 *
 * Slots hold a tag (the hash, with 0 taken as 1: 0 marks an empty slot) and the item. Tags decide
 * the home slot, so backward shifts can find every item's home; items with equal tags are told
 * apart by their ids. The table grows at half full. By default it shrinks only once it has stayed
 * under an eighth full for as many deletions as it has slots, so that a table that empties and
 * fills again does not reallocate each time; one iterated often ({@link IdIndexOptions}) halves
 * as soon as it is under an eighth full, so that an iteration costs at most eight slots per item.
 */

/**
 * A 32-bit hash of an id under a seed: FNV-1a over its UTF-16 code units, then MurmurHash3's
 * finalizer ({@link mixHash}). Ids that differ only slightly get unrelated hashes; under a seed
 * an outsider cannot guess, ids chosen to collide are hard to find.
 */
export function hashId(seed: number, id: string): number {
  let h = (seed ^ 0x811c9dc5) | 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return mixHash(h);
}

/**
 * The finalizer of MurmurHash3: every input bit affects every output bit. The result is a signed
 * 32-bit integer, a small integer to V8 (an object keeps one in its field as it is, where it
 * would box an unsigned one of 2^31 or more).
 */
export function mixHash(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** What the index holds: an item with its id and that id's hash. */
export interface Indexed {
  readonly id: string;
  readonly hash: number;
}

/** Options of an {@link IdIndex}. */
export interface IdIndexOptions {
  /**
   * Halve the table as soon as it is under an eighth full (default false: only once it has stayed
   * so for as many deletions as it has slots).
   */
  readonly shrinkAtOnce?: boolean;
}

const MIN_CAPACITY = 1024;

/** The tag of a hash: its slot in the table and its mark of an occupied slot. */
function tagOf(hash: number): number {
  return hash === 0 ? 1 : hash >>> 0;
}

/** Items by id; see the file's comment. */
export class IdIndex<T extends Indexed> {
  private count = 0;
  private tags = new Uint32Array(MIN_CAPACITY);
  private items: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  /** Deletions since the table last was a quarter full or resized, while under an eighth full. */
  private sparseDeletions = 0;
  private readonly shrinkAtOnce: boolean;

  constructor(options: IdIndexOptions = {}) {
    this.shrinkAtOnce = options.shrinkAtOnce ?? false;
  }

  /** Items held. */
  get size(): number {
    return this.count;
  }

  /** Slots the table has (a power of two), held or empty. */
  get capacity(): number {
    return this.tags.length;
  }

  /** The item with this id, whose hash is `hash`. */
  get(hash: number, id: string): T | undefined {
    const tag = tagOf(hash);
    const tags = this.tags;
    const mask = this.mask;
    for (let i = tag & mask; ; i = (i + 1) & mask) {
      const found = tags[i] as number;
      if (found === 0) return undefined;
      if (found === tag) {
        const item = this.items[i] as T;
        if (item.id === id) return item;
      }
    }
  }

  /** Adds an item; its id must not be in the index. */
  add(item: T): void {
    if (2 * (this.count + 1) > this.tags.length) this.resize(2 * this.tags.length);
    this.place(item);
    this.count++;
    if (4 * this.count > this.tags.length) this.sparseDeletions = 0;
  }

  /** Removes this item (compared by identity); false if the index does not hold it. */
  delete(item: T): boolean {
    const tags = this.tags;
    const items = this.items;
    const mask = this.mask;
    let i = tagOf(item.hash) & mask;
    while (items[i] !== item) {
      if (tags[i] === 0) return false;
      i = (i + 1) & mask;
    }
    // Backward shift: each later item of the run moves into the hole unless that would put it
    // before its home slot.
    for (let j = (i + 1) & mask; tags[j] !== 0; j = (j + 1) & mask) {
      const home = (tags[j] as number) & mask;
      // Whether `home` lies cyclically in (i, j]: the item at j may not move to i.
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      tags[i] = tags[j] as number;
      items[i] = items[j];
      i = j;
    }
    tags[i] = 0;
    items[i] = undefined;
    this.count--;
    if (this.tags.length > MIN_CAPACITY && 8 * this.count < this.tags.length) {
      this.sparseDeletions++;
      if (this.shrinkAtOnce || this.sparseDeletions > this.tags.length) {
        this.resize(this.tags.length / 2);
      }
    }
    return true;
  }

  /** Calls `each` with every item, in no particular order; the index must not change meanwhile. */
  forEach(each: (item: T) => void): void {
    for (const item of this.items) if (item !== undefined) each(item);
  }

  /** Removes every item. */
  clear(): void {
    this.count = 0;
    this.tags = new Uint32Array(MIN_CAPACITY);
    this.items = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
    this.sparseDeletions = 0;
  }

  private place(item: T): void {
    const tag = tagOf(item.hash);
    const mask = this.mask;
    let i = tag & mask;
    while (this.tags[i] !== 0) i = (i + 1) & mask;
    this.tags[i] = tag;
    this.items[i] = item;
  }

  private resize(capacity: number): void {
    const old = this.items;
    this.sparseDeletions = 0;
    this.tags = new Uint32Array(capacity);
    this.items = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (const item of old) if (item !== undefined) this.place(item);
  }
}
