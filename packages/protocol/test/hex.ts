/**
 * Byte helpers shared by the tests: hex text (spaces allowed, as in the reference tables) and
 * UTF-8, always as plain `Uint8Array`s so that `deepStrictEqual` never trips over `Buffer`.
 */

/** Parses hex text such as `"0D 01 00 00 00"` (case and spaces ignored). */
export function fromHex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new Error(`expected hex digits in pairs, found ${JSON.stringify(text)}`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Renders bytes as lowercase hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A copy of `bytes` as a plain `Uint8Array` (a `Buffer` or a view becomes a fresh array). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}
