/**
 * Keys of the disk state: key group (2 bytes, big-endian), function type (UTF-8), a zero byte,
 * id (UTF-8). LMDB orders keys bytewise, so one function type's addresses in one key group are
 * a contiguous range, in key group then id order.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An address as a key: the cache's entries are such, so a key is written with no buffer of its own. */
export interface AddressKeyParts {
  readonly keyGroup: number;
  readonly id: string;
  readonly table: { readonly typenameKey: Uint8Array };
}

/**
 * Writes a key into LMDB's key buffer (the database's `keyEncoder`): bytes as they are, or an
 * address's key built in place. Past the end of `target`, it throws a `RangeError`, which LMDB
 * answers by retrying in a larger buffer or refusing a key longer than its maximum.
 */
function writeKey(key: Uint8Array | AddressKeyParts, target: Uint8Array, start: number): number {
  if (key instanceof Uint8Array) {
    target.set(key, start);
    return start + key.length;
  }
  const typename = key.table.typenameKey;
  const id = key.id;
  let at = start + 3 + typename.length;
  const length = id.length;
  let ascii = true;
  for (let i = 0; i < length; i++) {
    if (id.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  const idBytes = ascii ? undefined : encoder.encode(id);
  const end = at + (idBytes === undefined ? length : idBytes.length);
  if (end > target.length) throw new RangeError("the key does not fit the key buffer");
  target[start] = key.keyGroup >>> 8;
  target[start + 1] = key.keyGroup & 0xff;
  target.set(typename, start + 2);
  target[at - 1] = 0;
  if (idBytes !== undefined) {
    target.set(idBytes, at);
  } else {
    for (let i = 0; i < length; i++) target[at++] = id.charCodeAt(i);
  }
  return end;
}

/** Keys read from the database, as copies (LMDB reuses the buffer they are read into). */
function readKey(source: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(source.subarray(start, end));
}

/**
 * An address as a key of the state database, typed as the bytes its key encoder writes in place.
 * It must be used at once: the key is written when the database call is made.
 */
export function keyOf(parts: AddressKeyParts): Uint8Array {
  return parts as unknown as Uint8Array;
}

/** LMDB's longest key, in bytes. */
const MAX_KEY_BYTES = 1978;
/** Bytes an expiry index key puts before the address key. */
const EXPIRY_PREFIX_BYTES = 6;

/**
 * Whether the key of an address of a function type (typename bytes `typename`) fits LMDB, with
 * room for the expiry index's prefix: an id of about 1,950 UTF-8 bytes or more does not.
 */
export function keyFits(typename: Uint8Array, id: string): boolean {
  const room = MAX_KEY_BYTES - EXPIRY_PREFIX_BYTES - 3 - typename.length;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most ids are decided without counting.
  if (id.length * 3 <= room) return true;
  return id.length <= room && Buffer.byteLength(id, "utf8") <= room;
}

/** The `keyEncoder` of the state database: keys are bytes, or addresses written in place. */
export const stateKeyEncoder = { writeKey, readKey };

/**
 * The key of an address as bytes of its own (for ranges, restores and the expiry index), laid out
 * as the key encoder writes it in place.
 */
export function addressKey(keyGroup: number, typename: Uint8Array, id: string): Uint8Array {
  const key = Buffer.allocUnsafe(3 + typename.length + Buffer.byteLength(id, "utf8"));
  writeKey({ keyGroup, id, table: { typenameKey: typename } }, key, 0);
  return key;
}

/**
 * Where a range of keys starts that continues after an address: its key, or (for an id too long
 * for LMDB, see {@link keyFits}) the longest prefix of it that LMDB takes, which sorts before it.
 */
export function continuationKey(
  keyGroup: number,
  typename: Uint8Array,
  id: string,
): { readonly key: Uint8Array; readonly exact: boolean } {
  const key = addressKey(keyGroup, typename, id);
  return key.length <= MAX_KEY_BYTES
    ? { key, exact: true }
    : { key: key.subarray(0, MAX_KEY_BYTES), exact: false };
}

/** The first and one-past-last keys of a function type in a key group. */
export function typeRange(
  keyGroup: number,
  typename: Uint8Array,
): { start: Uint8Array; end: Uint8Array } {
  const start = new Uint8Array(2 + typename.length + 1);
  start[0] = keyGroup >>> 8;
  start[1] = keyGroup & 0xff;
  start.set(typename, 2);
  const end = start.slice();
  end[end.length - 1] = 1;
  return { start, end };
}

/** The id of a key of a function type of `typenameLength` bytes. */
export function idOfKey(key: Uint8Array, typenameLength: number): string {
  const start = 3 + typenameLength;
  // Most ids are short ASCII: built without a call into the decoder.
  if (key.length - start <= 64) {
    let id = "";
    for (let i = start; i < key.length; i++) {
      const byte = key[i] as number;
      if (byte >= 0x80) return decoder.decode(key.subarray(start));
      id += String.fromCharCode(byte);
    }
    return id;
  }
  return decoder.decode(key.subarray(start));
}

/** Encodes a typename once, for building keys. */
export function typenameBytes(typename: string): Uint8Array {
  return encoder.encode(typename);
}

/** The key of an expiry index entry: due time (6 bytes, big-endian ms) then the address key. */
export function expiryKey(dueMs: number, address: Uint8Array): Uint8Array {
  const key = new Uint8Array(EXPIRY_PREFIX_BYTES + address.length);
  let due = Math.max(0, Math.min(dueMs, 2 ** 48 - 1));
  for (let i = 5; i >= 0; i--) {
    key[i] = due % 256;
    due = Math.floor(due / 256);
  }
  key.set(address, 6);
  return key;
}

/** The due time and address key of an expiry index key. */
export function parseExpiryKey(key: Uint8Array): { dueMs: number; address: Uint8Array } {
  let due = 0;
  for (let i = 0; i < 6; i++) due = due * 256 + (key[i] as number);
  return { dueMs: due, address: key.subarray(6) };
}

/** Splits an address key into key group, function type and id. */
export function parseAddressKey(key: Uint8Array): {
  keyGroup: number;
  typename: string;
  id: string;
} {
  const zero = key.indexOf(0, 2);
  return {
    keyGroup: ((key[0] as number) << 8) | (key[1] as number),
    typename: decoder.decode(key.subarray(2, zero)),
    id: decoder.decode(key.subarray(zero + 1)),
  };
}
