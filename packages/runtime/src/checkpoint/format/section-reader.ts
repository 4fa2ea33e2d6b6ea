/**
 * Reading one section of a checkpoint file: its header must agree with the manifest's index entry,
 * its CRC must match, and its payload must hold exactly the indexed number of records, each one
 * decodable. Every problem is reported through a callback that names what is wrong.
 */
import protobuf from "protobufjs/minimal.js";
import { isStatefunError } from "@statefun-ts/protocol";
import {
  SECTION_CRC_BYTES,
  crc32Of,
  decodeSectionHeader,
  readU32,
  sectionLabel,
} from "./layout.js";
import type { SectionKind } from "./layout.js";
import type { CheckpointSectionInfo } from "./manifest.js";
import { RECORD_DECODERS, createDecodeContext } from "./records.js";
import type { RecordDecoder, SectionRecords } from "./records.js";
import { StateRecordDecoder, scanStateRecord } from "./state-records.js";
import type { EncodedStateRecord } from "./state-records.js";

/** Reports a problem with a section; never returns. */
export type SectionProblem = (what: string, cause?: unknown) => never;

/** How records are decoded. */
export interface SectionDecoding {
  /** Give state records their `encodedValues` (see `StateRecord`). */
  readonly encodedValues?: boolean;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

/**
 * Decodes the records of one section.
 *
 * @param bytes - exactly the section's bytes (`info.length` of them, from `info.offset`).
 * @param info - the section's index entry; the header must say the same.
 * @param fail - called with what is wrong; must throw.
 * @param options - how records are decoded.
 */
export function decodeSection<K extends SectionKind>(
  bytes: Uint8Array,
  info: CheckpointSectionInfo & { readonly kind: K },
  fail: SectionProblem,
  options: SectionDecoding = {},
): SectionRecords[K][] {
  const payload = checkSection(bytes, info, fail);
  return decodeRecords(bytes.subarray(payload.start, payload.end), info, fail, options);
}

/**
 * Checks one section's length, CRC and header against its index entry, without decoding its
 * records. Returns where its payload is in `bytes`.
 *
 * @param bytes - exactly the section's bytes (`info.length` of them, from `info.offset`).
 * @param info - the section's index entry; the header must say the same.
 * @param fail - called with what is wrong; must throw.
 */
export function checkSection(
  bytes: Uint8Array,
  info: CheckpointSectionInfo,
  fail: SectionProblem,
): { readonly start: number; readonly end: number } {
  if (bytes.length !== info.length || info.length < SECTION_CRC_BYTES) {
    fail(`truncated: read ${bytes.length} of the section's ${info.length} bytes`);
  }
  // The CRC covers everything before it, found from the index alone: a damaged header is a CRC
  // mismatch like a damaged payload, and the header is trusted only once the CRC matches.
  const crcAt = info.length - SECTION_CRC_BYTES;
  const stored = readU32(bytes, crcAt);
  const computed = crc32Of(bytes.subarray(0, crcAt));
  if (stored !== computed) {
    fail(`CRC mismatch: stored ${hex32(stored)}, computed ${hex32(computed)}`);
  }
  const decoded = decodeSectionHeader(bytes.subarray(0, crcAt));
  if (typeof decoded === "string") fail(`bad section header: ${decoded}`);
  const { header, headerBytes } = decoded;
  if (
    header.kind !== info.kind ||
    header.keyGroup !== info.keyGroup ||
    header.component !== info.component
  ) {
    fail(`the section header names the ${sectionLabel(header)}, the manifest's index this one`);
  }
  const payloadEnd = headerBytes + header.payloadBytes;
  if (payloadEnd !== crcAt) {
    fail(
      `the header's payload length ${header.payloadBytes} does not fit the indexed section ` +
        `length ${info.length}`,
    );
  }
  if (header.records !== info.records) {
    fail(`the header counts ${header.records} records, the manifest's index ${info.records}`);
  }
  return { start: headerBytes, end: payloadEnd };
}

/**
 * Reads the records of one state section as they are (see {@link scanStateRecord}), checked as
 * {@link decodeSection} checks them except for their values' content.
 *
 * @param bytes - exactly the section's bytes (`info.length` of them, from `info.offset`).
 * @param info - the section's index entry, of a state section.
 * @param fail - called with what is wrong; must throw.
 */
export function scanStateSection(
  bytes: Uint8Array,
  info: CheckpointSectionInfo,
  fail: SectionProblem,
): EncodedStateRecord[] {
  const { start, end } = checkSection(bytes, info, fail);
  const payload = bytes.subarray(start, end);
  const latin1 = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return readEach(payload, info, fail, (reader, length) => scanStateRecord(reader, length, latin1));
}

/**
 * Reads the `info.records` length-delimited records of `payload` with `read`, checking that each
 * fits the payload and that nothing follows the last.
 */
function readEach<T>(
  payload: Uint8Array,
  info: CheckpointSectionInfo,
  fail: SectionProblem,
  read: (reader: protobuf.Reader, length: number, problem: SectionProblem) => T,
): T[] {
  const reader = protobuf.Reader.create(payload);
  const records: T[] = [];
  let index = 0;
  const problem = (what: string, cause?: unknown): never =>
    fail(`undecodable record at index ${index}: ${what}`, cause);
  for (; index < info.records; index++) {
    if (reader.pos >= reader.len) problem(`the payload ends after ${index} records`);
    try {
      const length = reader.uint32();
      if (reader.pos + length > reader.len)
        problem(`a record of ${length} bytes runs past the payload`);
      records.push(read(reader, length, problem));
    } catch (error) {
      if (isStatefunError(error)) throw error;
      problem(error instanceof Error ? error.message : String(error), error);
    }
  }
  if (reader.pos !== reader.len) {
    fail(`${reader.len - reader.pos} bytes follow the last of the ${info.records} records`);
  }
  return records;
}

function decodeRecords<K extends SectionKind>(
  payload: Uint8Array,
  info: CheckpointSectionInfo & { readonly kind: K },
  fail: SectionProblem,
  options: SectionDecoding,
): SectionRecords[K][] {
  const codec = RECORD_DECODERS[info.kind] as RecordDecoder<SectionRecords[K]>;
  let context: ReturnType<typeof createDecodeContext> | undefined;
  if (info.kind === "state") {
    const stateDecoder = new StateRecordDecoder(options.encodedValues === true);
    return readEach(
      payload,
      info,
      fail,
      (reader, length) => stateDecoder.decode(reader, length) as SectionRecords[K],
    );
  }
  return readEach(payload, info, fail, (reader, length, problem) => {
    context ??= createDecodeContext(problem);
    return codec.decode(reader, length, context);
  });
}
