/**
 * Keys of the disk state: key group (2 bytes, big-endian), function type (UTF-8), a zero byte,
 * id (UTF-8). LMDB orders keys bytewise, so one function type's addresses in one key group are
 * a contiguous range, in key group then id order.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The key of an address. It is built in one (pooled) allocation, as it is on every cache miss; the
 * caller must not change it.
 */
export function addressKey(keyGroup: number, typename: Uint8Array, id: string): Uint8Array {
  const offset = 3 + typename.length;
  const key = Buffer.allocUnsafe(offset + Buffer.byteLength(id, "utf8"));
  key[0] = keyGroup >>> 8;
  key[1] = keyGroup & 0xff;
  key.set(typename, 2);
  key[offset - 1] = 0;
  key.write(id, offset, "utf8");
  return key;
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
  return decoder.decode(key.subarray(3 + typenameLength));
}

/** Encodes a typename once, for building keys. */
export function typenameBytes(typename: string): Uint8Array {
  return encoder.encode(typename);
}

/** The key of an expiry index entry: due time (6 bytes, big-endian ms) then the address key. */
export function expiryKey(dueMs: number, address: Uint8Array): Uint8Array {
  const key = new Uint8Array(6 + address.length);
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
