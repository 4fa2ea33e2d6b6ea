/**
 * The index of one table's cache entries by id: an open-addressing hash table (linear probing,
 * deletion by backward shift, so no tombstones) keyed by the entry's address hash
 * (address-filter.ts), which the store computes anyway for its address filter.
 *
 * It replaces a `Map` keyed by id for the workload the disk backend exists for: a stream of
 * addresses never seen before, each inserted once and evicted once. A `Map` lookup that misses
 * walks a chain of entries and loads each one's key, and deletions leave holes until it rehashes;
 * here a miss usually ends at the first empty slot of one array of hashes (one cache line), and a
 * deletion leaves the table as if the entry had never been inserted.
 *
 * Slots hold a tag (the hash, with 0 taken as 1: 0 marks an empty slot) and the item. Tags decide
 * the home slot, so backward shifts can find every item's home; items with equal tags are told
 * apart by their ids. The table grows at half full, and shrinks only once it has stayed under an
 * eighth full for as many deletions as it has slots: a cache that empties and fills again does
 * not make it reallocate each time.
 */

/** What the index holds: an item with its id and that id's hash. */
export interface Indexed {
  readonly id: string;
  readonly hash: number;
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

  /** Items held. */
  get size(): number {
    return this.count;
  }

  /** Slots the table has (a power of two), held or empty. */
  get capacity(): number {
    return this.tags.length;
  }

  /** The item with this id, whose address hash is `hash`. */
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
      if (this.sparseDeletions > this.tags.length) this.resize(this.tags.length / 2);
    }
    return true;
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
