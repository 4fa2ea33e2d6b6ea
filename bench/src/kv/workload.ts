/**
 * The workload of the `kv-stores` scenarios, shaped like the disk state backend's: keys are a
 * 2-byte big-endian key group (0–127), a UTF-8 function type, a zero byte and a UTF-8 id
 * (`id-<n>`); values are 100-byte state values. Key `n` is computed from `n` alone, so every
 * candidate sees the same keys and values in the same order without holding them in memory.
 */

/** Key groups of the workload (the runtime's default max parallelism). */
export const KEY_GROUPS = 128;
/** Bytes per value. */
export const VALUE_BYTES = 100;

const FUNCTION_TYPES = ["shop/cart", "shop/user-session", "shop/inventory", "shop/order"].map((t) =>
  Buffer.from(t, "utf8"),
);
// A value starts like a TypedValue's typename, then carries 64 pseudo-random payload bytes.
const VALUE_PREFIX = Buffer.from("type.googleapis.com/shop.CartState::", "utf8");
const PAYLOAD_BYTES = VALUE_BYTES - VALUE_PREFIX.length;

/** The key group of id number `n` (FNV-1a of the id's digits, as a stand-in for Murmur). */
export function keyGroupOf(n: number): number {
  let hash = 0x811c9dc5;
  for (let rest = n; ; rest = Math.floor(rest / 10)) {
    hash = Math.imul(hash ^ (48 + (rest % 10)), 0x01000193);
    if (rest < 10) break;
  }
  return (hash >>> 0) % KEY_GROUPS;
}

/** The key of id number `n`: key group, function type, 0x00, `id-<n>`. */
export function keyOf(n: number): Buffer {
  const type = FUNCTION_TYPES[n % FUNCTION_TYPES.length] as Buffer;
  const id = `id-${n}`;
  const key = Buffer.allocUnsafe(2 + type.length + 1 + id.length);
  key.writeUInt16BE(keyGroupOf(n), 0);
  type.copy(key, 2);
  key[2 + type.length] = 0;
  key.write(id, 3 + type.length, "latin1");
  return key;
}

/** The first key of key group `group` and the first key past it (`[start, end)`). */
export function keyGroupRange(group: number): { start: Buffer; end: Buffer } {
  const start = Buffer.alloc(2);
  start.writeUInt16BE(group, 0);
  const end = Buffer.alloc(2);
  end.writeUInt16BE(group + 1, 0);
  return { start, end };
}

/** A fast deterministic pseudo-random generator (xorshift32), one per candidate process. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** A 32-bit unsigned integer. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** An integer in `[0, bound)` (bound ≤ 2^32). */
  below(bound: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * bound);
  }
}

/** A fresh 100-byte value: the typename-like prefix, then pseudo-random payload. */
export function valueOf(random: Random): Buffer {
  const value = Buffer.allocUnsafe(VALUE_BYTES);
  VALUE_PREFIX.copy(value, 0);
  for (let offset = VALUE_PREFIX.length; offset < VALUE_BYTES; offset += 4) {
    value.writeUInt32LE(random.next(), offset);
  }
  return value;
}

/** The new value of a read-then-write update: a copy of `old` with its first payload word bumped. */
export function updatedValue(old: Buffer | undefined, random: Random): Buffer {
  if (old === undefined) return valueOf(random);
  const value = Buffer.from(old);
  value.writeUInt32LE((value.readUInt32LE(VALUE_PREFIX.length) + 1) >>> 0, VALUE_PREFIX.length);
  return value;
}

/** A value that the consistency check writes and then must not see through a snapshot. */
export function markerValue(): Buffer {
  return Buffer.alloc(VALUE_BYTES, 0xee);
}

/** Whether `value` is a marker value. */
export function isMarker(value: Uint8Array): boolean {
  return value.length === VALUE_BYTES && value[0] === 0xee && value[VALUE_BYTES - 1] === 0xee;
}

// PAYLOAD_BYTES must be a multiple of 4 for valueOf's word writes.
if (PAYLOAD_BYTES % 4 !== 0)
  throw new Error(`payload of ${PAYLOAD_BYTES} bytes is not whole words`);
