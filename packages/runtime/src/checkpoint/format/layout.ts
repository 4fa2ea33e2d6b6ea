/**
 * The byte layout of a checkpoint file, below the records: magics, section kinds, the section
 * header and the fixed part of the footer. See `docs/checkpoint-format.md`.
 *
 * ```text
 * file    = "SFCKPT01" section* manifest u32(manifest length) u32(CRC32 of manifest) "SFCKEND1"
 * section = header payload u32(CRC32 of header and payload)
 * header  = u8(kind) u32(key group, or 0xFFFFFFFF) u32(record count) u64(payload length)
 *           u16(component id length) component id (UTF-8)
 * payload = (varint(record length) record)*
 * ```
 *
 * Integers are little-endian and unsigned.
 */
import { crc32 } from "node:zlib";

/** The first 8 bytes of every checkpoint file. */
export const FILE_MAGIC = new TextEncoder().encode("SFCKPT01");

/** The last 8 bytes of every complete checkpoint file. */
export const END_MAGIC = new TextEncoder().encode("SFCKEND1");

/** Bytes after the manifest: its length, its CRC32 and {@link END_MAGIC}. */
export const FOOTER_TAIL_BYTES = 4 + 4 + END_MAGIC.length;

/** The smallest possible file: the magic and an (impossible) empty footer. */
export const MIN_FILE_BYTES = FILE_MAGIC.length + FOOTER_TAIL_BYTES;

/** The format version this code writes and the newest it reads. */
export const FORMAT_VERSION = 1;

/** Section kinds with their byte in the section header. Per key group: state, messages, delayed. */
export const SECTION_KIND_CODES = {
  state: 1,
  messages: 2,
  delayed: 3,
  egress: 4,
  sink: 5,
  ingress: 6,
} as const;

/** The kind of a section: what its records are. */
export type SectionKind = keyof typeof SECTION_KIND_CODES;

/** Whether sections of a kind belong to a key group (else they are global). */
export function isKeyGroupKind(kind: SectionKind): boolean {
  return kind === "state" || kind === "messages" || kind === "delayed";
}

/** Whether sections of a kind belong to a named component (one section per component). */
export function isComponentKind(kind: SectionKind): boolean {
  return kind === "sink" || kind === "ingress";
}

/** Section kinds by header byte. */
const KINDS_BY_CODE: readonly (SectionKind | undefined)[] = (() => {
  const kinds: (SectionKind | undefined)[] = [];
  for (const [kind, code] of Object.entries(SECTION_KIND_CODES)) kinds[code] = kind as SectionKind;
  return kinds;
})();

/** The section kind of a header byte, or `undefined` for an unknown byte. */
export function sectionKindOfCode(code: number): SectionKind | undefined {
  return KINDS_BY_CODE[code];
}

/** Who a section belongs to: a key group, a component, or nobody (the egress section). */
export interface SectionOwner {
  /** What the section's records are. */
  readonly kind: SectionKind;
  /** The key group, for `state`, `messages` and `delayed` sections; else `undefined`. */
  readonly keyGroup: number | undefined;
  /** The component id, for `sink` and `ingress` sections; else `undefined`. */
  readonly component: string | undefined;
}

/** Names a section in messages: `state section of key group 5`, `sink section "x"`. */
export function sectionLabel(section: SectionOwner): string {
  if (section.keyGroup !== undefined) {
    return `${section.kind} section of key group ${section.keyGroup}`;
  }
  if (section.component !== undefined) {
    return `${section.kind} section of component ${JSON.stringify(section.component)}`;
  }
  return `${section.kind} section`;
}

/** The key group field of a global section's header. */
export const NO_KEY_GROUP = 0xffffffff;

/** The longest component id a section header holds, in UTF-8 bytes. */
export const MAX_COMPONENT_ID_BYTES = 0xffff;

/** Header bytes before the component id. */
const HEADER_FIXED_BYTES = 1 + 4 + 4 + 8 + 2;

/** Bytes of the CRC32 after a section's payload. */
export const SECTION_CRC_BYTES = 4;

/** What a section header says: its owner, its record count and its payload length. */
export interface SectionHeader extends SectionOwner {
  /** How many records the payload holds. */
  readonly records: number;
  /** Payload length in bytes. */
  readonly payloadBytes: number;
}

const textEncoder = new TextEncoder();
const NO_BYTES = new Uint8Array(0);

/** Encodes a section header. */
export function encodeSectionHeader(header: SectionHeader): Uint8Array {
  const component =
    header.component === undefined || header.component === ""
      ? NO_BYTES
      : textEncoder.encode(header.component);
  const bytes = new Uint8Array(HEADER_FIXED_BYTES + component.length);
  bytes[0] = SECTION_KIND_CODES[header.kind];
  writeU32(bytes, 1, header.keyGroup ?? NO_KEY_GROUP);
  writeU32(bytes, 5, header.records);
  // A u64 from a safe integer: the low 32 bits, then the rest.
  writeU32(bytes, 9, header.payloadBytes % 0x1_0000_0000);
  writeU32(bytes, 13, Math.floor(header.payloadBytes / 0x1_0000_0000));
  bytes[17] = component.length & 0xff;
  bytes[18] = component.length >>> 8;
  if (component.length > 0) bytes.set(component, HEADER_FIXED_BYTES);
  return bytes;
}

/** Writes `value` as 4 little-endian bytes at `offset`. */
function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = value >>> 24;
}

/**
 * Decodes the section header at the start of `bytes`, or returns a description of what is wrong.
 * Returns the header and its length in bytes.
 */
export function decodeSectionHeader(
  bytes: Uint8Array,
): { readonly header: SectionHeader; readonly headerBytes: number } | string {
  if (bytes.length < HEADER_FIXED_BYTES) return `truncated header (${bytes.length} bytes)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = sectionKindOfCode(view.getUint8(0));
  if (kind === undefined) return `unknown section kind byte ${view.getUint8(0)}`;
  const keyGroup = view.getUint32(1, true);
  const payloadBytes = view.getBigUint64(9, true);
  if (payloadBytes > BigInt(Number.MAX_SAFE_INTEGER)) return `payload length ${payloadBytes}`;
  const componentBytes = view.getUint16(17, true);
  const headerBytes = HEADER_FIXED_BYTES + componentBytes;
  if (bytes.length < headerBytes) return `truncated header (${bytes.length} bytes)`;
  let component: string;
  try {
    component = new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(HEADER_FIXED_BYTES, headerBytes),
    );
  } catch {
    return "component id is not UTF-8";
  }
  const header: SectionHeader = {
    kind,
    keyGroup: keyGroup === NO_KEY_GROUP ? undefined : keyGroup,
    component: isComponentKind(kind) ? component : undefined,
    records: view.getUint32(5, true),
    payloadBytes: Number(payloadBytes),
  };
  return { header, headerBytes };
}

/**
 * Whether a string has a UTF-8 form: no lone surrogates. (Such strings would be written as
 * U+FFFD by the encoder and so not read back as they were.)
 */
export function isWellFormedText(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** CRC32 (IEEE, as zlib computes it) of the concatenation of `parts`. */
export function crc32Of(...parts: readonly Uint8Array[]): number {
  let crc = 0;
  for (const part of parts) crc = crc32(part, crc);
  return crc;
}

/** `value` as 4 little-endian bytes. */
export function u32Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  writeU32(bytes, 0, value);
  return bytes;
}

/** The little-endian u32 at `offset` of `bytes`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

/** Whether `bytes` at `offset` equal `expected`. */
export function bytesEqualAt(bytes: Uint8Array, offset: number, expected: Uint8Array): boolean {
  if (offset < 0 || offset + expected.length > bytes.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (bytes[offset + i] !== expected[i]) return false;
  }
  return true;
}
