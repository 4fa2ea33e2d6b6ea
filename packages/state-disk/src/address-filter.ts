/**
 * The addresses written to the database since it was opened (the database starts empty, see
 * disk-store.ts), as a set of their 32-bit hashes, so that looking up an address never written —
 * the first message to every new address — skips the database read.
 *
 * It is an open-addressing hash table of the hashes themselves (linear probing in a `Uint32Array`,
 * 0 marking a free slot), so a lookup of a new address costs one cache miss however many
 * addresses there are. Its only false positives are addresses whose hash another one has (about 1
 * in 430 lookups at 10,000,000 addresses), each a database read that finds nothing, as a deleted
 * address costs too: nothing is ever removed. The table doubles once three quarters full (5–11
 * bytes per address: 64 MB at 10,000,000, and the old table's while it grows). It moves the old
 * table's hashes a few slots per add rather than all at once, so that no add stalls (moving
 * 12,000,000 hashes at once took 185 ms). The layout of its bytes depends on these figures (see
 * `LAYOUT` in kept-state.ts).
 *
 * While it grows, each lookup still probes one table. A hash's home slot is the top bits of its
 * product with 2^32 / φ, so the homes keep their order in a table twice as long, and the old
 * table is moved in slot order: a hash whose old home lies before the part moved so far is in
 * the new table, and any other hash in the old one, where adds also put such hashes. The move
 * stops only after a free slot, so that no run of occupied slots straddles the part moved. The
 * one exception is a run that wraps past the old table's end into that part: an add that would
 * land there goes to the new table, and a lookup whose probe of the old table wraps there probes
 * the new one too.
 */
import { hashId } from "@statefun-ts/runtime";

/** Slots of a new filter (1 MB): its first 196,608 addresses fit before it grows. */
const FIRST_SLOTS = 1 << 18;
/** The share of its slots a table holds before it doubles. */
const MAX_LOAD = 0.75;
/**
 * Slots of the old table moved per add while the table grows: all of them are moved after a
 * sixteenth of the old table's size in adds, long before the new one is three quarters full.
 */
const MOVES_PER_ADD = 16;

/** A 32-bit hash of a table's seed and an id (see `hashId`). */
export function addressHash(seed: number, id: string): number {
  return hashId(seed, id);
}

/** A seed for a table, from its typename. */
export function tableSeed(typename: string): number {
  return addressHash(0x5bd1e995, typename);
}

/** A hash as the table holds it: 0 marks a free slot, so 0 is held as 1 (a false positive). */
function held(hash: number): number {
  return hash >>> 0 || 1;
}

/**
 * The home slot of `value` in a table of `length` slots (a power of two): the top bits of the hash
 * times 2^32 / φ (Fibonacci hashing), so every bit of the hash counts, and a home `h` becomes `2h`
 * or `2h + 1` in a table twice as long.
 */
function homeOf(length: number, value: number): number {
  return Math.imul(value, 0x9e3779b1) >>> (Math.clz32(length) + 1);
}

/**
 * The slot of `value` in `slots` (a power of two long, never full), probed from `home`: where it
 * is, or the free slot where it would go.
 */
function slotOf(slots: Uint32Array, value: number, home = homeOf(slots.length, value)): number {
  const mask = slots.length - 1;
  for (let slot = home; ; slot = (slot + 1) & mask) {
    const found = slots[slot] as number;
    if (found === value || found === 0) return slot;
  }
}

/** Addresses that may be in the database; see the file's comment. */
export class AddressFilter {
  private slots: Uint32Array;
  /** Hashes in {@link slots}. */
  private count = 0;
  /**
   * While the table grows: the old table, whose slots before {@link moved} are moved (the slot
   * just before it is free).
   */
  private old: Uint32Array | undefined = undefined;
  private moved = 0;

  /** An empty filter, or one of the slots given (taken over, not copied). */
  constructor(slots: number | Uint32Array = FIRST_SLOTS) {
    this.slots = typeof slots === "number" ? new Uint32Array(slots) : slots;
  }

  /** Adds an address by its {@link addressHash}. */
  add(hash: number): void {
    const value = held(hash);
    if (this.old === undefined && this.count >= this.slots.length * MAX_LOAD) this.grow();
    const old = this.old;
    if (old !== undefined) {
      this.move(MOVES_PER_ADD);
      const home = homeOf(old.length, value);
      if (this.old !== undefined && home >= this.moved) {
        const slot = slotOf(old, value, home);
        // A free slot in the part moved is past the end of a wrapped run: the new table takes it.
        if (slot >= this.moved) {
          old[slot] = value;
          return;
        }
      }
    }
    this.insert(value);
  }

  /** False when the address was never added; true when it (or one of the same hash) was. */
  mayContain(hash: number): boolean {
    const value = held(hash);
    const old = this.old;
    if (old !== undefined) {
      const home = homeOf(old.length, value);
      if (home >= this.moved) {
        const slot = slotOf(old, value, home);
        // A probe that wrapped into the part moved may have passed hashes the new table holds.
        if (old[slot] === value || slot >= this.moved) return old[slot] === value;
      }
    }
    return this.slots[slotOf(this.slots, value)] === value;
  }

  /** Bytes the filter takes. */
  get bytes(): number {
    return this.slots.byteLength + (this.old?.byteLength ?? 0);
  }

  /**
   * The filter as bytes (native byte order): its slot count, its hash count, then its slots. A
   * table still growing finishes first.
   */
  toBytes(): Uint8Array {
    if (this.old !== undefined) this.move(this.old.length);
    const out = new Uint32Array(2 + this.slots.length);
    out[0] = this.slots.length;
    out[1] = this.count;
    out.set(this.slots, 2);
    return new Uint8Array(out.buffer);
  }

  /**
   * A filter from {@link toBytes}, which takes the bytes over (a filter of 10,000,000 addresses
   * is 64 MB: a copy would add to the restart); `undefined` when the bytes are not one (wrong
   * length, a slot count that is not a power of two of at least the first table's, or a hash
   * count that does not match the slots).
   */
  static fromBytes(bytes: Uint8Array): AddressFilter | undefined {
    if (bytes.byteLength % 4 !== 0 || bytes.byteLength < 8) return undefined;
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    const slots = words[0] as number;
    const count = words[1] as number;
    if (slots < FIRST_SLOTS || (slots & (slots - 1)) !== 0 || words.length !== 2 + slots) {
      return undefined;
    }
    const filter = new AddressFilter(words.subarray(2));
    let found = 0;
    for (let slot = 2; slot < words.length; slot++) if (words[slot] !== 0) found++;
    filter.count = found;
    return found === count && count <= slots * MAX_LOAD ? filter : undefined;
  }

  private insert(value: number): void {
    const slot = slotOf(this.slots, value);
    if (this.slots[slot] === 0) {
      this.slots[slot] = value;
      this.count++;
    }
  }

  private grow(): void {
    this.old = this.slots;
    this.moved = 0;
    this.slots = new Uint32Array(this.old.length * 2);
    this.count = 0;
  }

  /**
   * Moves at least `slots` more slots of the old table into the new one (or the rest of it), up to
   * and including a free slot.
   */
  private move(slots: number): void {
    const old = this.old as Uint32Array;
    const target = this.slots;
    const mask = target.length - 1;
    let slot = this.moved;
    const end = Math.min(old.length, slot + slots);
    for (; slot < end || (slot < old.length && old[slot - 1] !== 0); slot++) {
      const value = old[slot] as number;
      if (value === 0) continue;
      // Not in the new table yet (see the file's comment): the first free slot from its home.
      let to = homeOf(target.length, value);
      while (target[to] !== 0) to = (to + 1) & mask;
      target[to] = value;
      this.count++;
    }
    this.moved = slot;
    if (slot === old.length) this.old = undefined;
  }
}
