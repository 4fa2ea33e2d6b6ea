/**
 * Writing a checkpoint file as a stream of chunks: the magic, the global sections, the sections
 * of each key group in increasing key group order, then the footer (manifest with the section
 * index). Memory is bounded by one key group's sections; the same input always gives the same
 * bytes. Layout in `layout.ts` and `docs/checkpoint-format.md`.
 */
import protobuf from "protobufjs/minimal.js";
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import type {
  CheckpointManifest,
  ComponentState,
  GlobalContent,
  KeyGroupContent,
} from "../model.js";
import {
  END_MAGIC,
  FILE_MAGIC,
  FOOTER_TAIL_BYTES,
  MAX_COMPONENT_ID_BYTES,
  crc32Of,
  encodeSectionHeader,
  isWellFormedText,
  SECTION_CRC_BYTES,
  sectionLabel,
  u32Bytes,
} from "./layout.js";
import type { SectionOwner } from "./layout.js";
import { checkManifest, serializeManifest } from "./manifest.js";
import type { CheckpointSectionInfo } from "./manifest.js";
import { MessagePayloadWriter } from "./message-payload.js";
import { StatePayloadWriter } from "./state-payload.js";
import type { IndexedProblem } from "./payload-bytes.js";
import { RECORD_ENCODERS } from "./records.js";
import type { RecordEncoder, SectionRecords, WriterSectionKind } from "./records.js";

/** Chunks are gathered into yields of about this many bytes. */
const CHUNK_BYTES = 64 * 1024;
/** The first chunk's buffer starts this small and grows up to {@link CHUNK_BYTES}. */
const FIRST_CHUNK_BYTES = 4 * 1024;
const EMPTY_CHUNK = new Uint8Array(0);

/**
 * Gathers small pieces (section headers, payloads, CRCs) into chunks of about
 * {@link CHUNK_BYTES}: a group-commit checkpoint has hundreds of small sections, and handing each
 * piece on through an async generator costs far more than copying it.
 */
class ChunkGatherer {
  // Small at first: most group-commit checkpoints are a few kB, and each would otherwise
  // allocate (and zero) a whole chunk.
  private buffer = new Uint8Array(FIRST_CHUNK_BYTES);
  private used = 0;
  private readonly full: Uint8Array[] = [];

  /** True when chunks are ready to be taken. */
  get ready(): boolean {
    return this.full.length > 0;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length >= CHUNK_BYTES) {
      // Large pieces go as they are (as a plain `Uint8Array` view of a `Buffer`, so that results
      // compare equal everywhere), after what was gathered before them.
      this.seal();
      this.full.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return;
    }
    const needed = this.used + bytes.length;
    if (needed > this.buffer.length) {
      if (needed > CHUNK_BYTES) this.seal();
      // After a seal the buffer is empty, and a whole chunk is allocated once something comes.
      const grown = new Uint8Array(
        this.buffer.length === 0
          ? CHUNK_BYTES
          : Math.min(CHUNK_BYTES, Math.max(needed, 2 * this.buffer.length)),
      );
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** The chunks gathered so far; with `all`, also the partly filled one. */
  take(all: boolean): Uint8Array[] {
    if (all) this.seal();
    return this.full.splice(0);
  }

  private seal(): void {
    if (this.used === 0) return;
    this.full.push(this.buffer.subarray(0, this.used));
    // The last seal of a file is followed by nothing: no chunk is allocated in advance.
    this.buffer = EMPTY_CHUNK;
    this.used = 0;
  }
}

/**
 * Encodes one section into `out` and returns its index entry, or `undefined` (writing nothing)
 * when there are no records.
 */
function encodeSection<K extends WriterSectionKind>(
  owner: SectionOwner & { readonly kind: K },
  records: readonly SectionRecords[K][],
  offset: number,
  out: ChunkGatherer,
): CheckpointSectionInfo | undefined {
  if (records.length === 0) return undefined;
  const codec = RECORD_ENCODERS[owner.kind] as RecordEncoder<SectionRecords[K]>;
  const writer = protobuf.Writer.create();
  let index = 0;
  const fail = (what: string, cause?: unknown): never => recordProblem(owner, index, what, cause);
  for (; index < records.length; index++) {
    writer.fork();
    try {
      codec.encode(records[index] as SectionRecords[K], writer, fail);
    } catch (error) {
      if (isStatefunError(error)) throw error;
      fail(error instanceof Error ? error.message : String(error), error);
    }
    writer.ldelim();
  }
  return frameSection(owner, writer.finish(), records.length, offset, out);
}

/** A payload writer of {@link encodeDirect}. */
interface DirectWriter {
  readonly count: number;
  finish(): Uint8Array;
}

/**
 * Encodes a section whose payload a writer builds straight into bytes (`fill` adds the records);
 * returns its index entry, or `undefined` (writing nothing) when there are no records.
 */
function encodeDirect<W extends DirectWriter>(
  owner: SectionOwner,
  create: (fail: (what: string, index: number) => never) => W,
  fill: (writer: W) => void,
  offset: number,
  out: ChunkGatherer,
): CheckpointSectionInfo | undefined {
  const writer = create((what, index) => recordProblem(owner, index, what));
  try {
    fill(writer);
  } catch (error) {
    if (isStatefunError(error)) throw error;
    const what = error instanceof Error ? error.message : String(error);
    recordProblem(owner, writer.count, what, error);
  }
  const payload = writer.finish();
  if (writer.count === 0) return undefined;
  return frameSection(owner, payload, writer.count, offset, out);
}

const messageWriter = (fail: IndexedProblem): MessagePayloadWriter =>
  new MessagePayloadWriter(fail);
const stateWriter = (fail: IndexedProblem): StatePayloadWriter => new StatePayloadWriter(fail);

function recordProblem(owner: SectionOwner, index: number, what: string, cause?: unknown): never {
  throw new StatefunError(
    "invalid-argument",
    `cannot write the ${sectionLabel(owner)} of a checkpoint: record ${index}: ${what}`,
    { cause, details: { section: owner.kind, keyGroup: owner.keyGroup, record: index } },
  );
}

/** Writes a section's header, payload and CRC into `out`; returns its index entry. */
function frameSection(
  owner: SectionOwner,
  payload: Uint8Array,
  records: number,
  offset: number,
  out: ChunkGatherer,
): CheckpointSectionInfo {
  // Objects are built field by field: spreading `owner` took a slow generic path (over half the
  // encoding time of a checkpoint made of many small sections).
  const { kind, keyGroup, component } = owner;
  const header = encodeSectionHeader({
    kind,
    keyGroup,
    component,
    records,
    payloadBytes: payload.length,
  });
  out.push(header);
  out.push(payload);
  out.push(u32Bytes(crc32Of(header, payload)));
  const length = header.length + payload.length + SECTION_CRC_BYTES;
  return { kind, keyGroup, component, offset, length, records };
}

function invalid(what: string): never {
  throw new StatefunError("invalid-argument", `cannot write a checkpoint: ${what}`);
}

function checkComponents(components: readonly ComponentState[], field: string): void {
  const seen = new Set<string>();
  for (const [i, component] of components.entries()) {
    if (typeof component.id !== "string") invalid(`${field}[${i}].id: expected a string`);
    const idBytes = Buffer.byteLength(component.id, "utf8");
    if (!isWellFormedText(component.id) || idBytes > MAX_COMPONENT_ID_BYTES) {
      const shown = JSON.stringify(component.id.slice(0, 80));
      invalid(
        `${field}[${i}].id: expected text of at most ${MAX_COMPONENT_ID_BYTES} UTF-8 bytes ` +
          `without lone surrogates, found ${shown} (${idBytes} bytes)`,
      );
    }
    if (!(component.bytes instanceof Uint8Array)) {
      invalid(`${field}[${i}].bytes: expected a Uint8Array`);
    }
    if (seen.has(component.id)) {
      invalid(`${field}[${i}].id: ${JSON.stringify(component.id)} appears twice`);
    }
    seen.add(component.id);
  }
}

/** Longest stretch of encoding, in ms, before the event loop gets a turn. */
const SLICE_MS = 3;

/**
 * Paces work that runs beside processing (writing a checkpoint, merging or compacting files): a
 * source read from memory resolves at once, so a large file would otherwise be encoded in one
 * go, holding up requests, timers and checkpoints for tens of milliseconds.
 */
class Pacer {
  private sliceStart = performance.now();

  /** True once the current slice has run for {@link SLICE_MS}. */
  due(): boolean {
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  /** Lets the event loop run (I/O, timers), then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

/**
 * Encodes one checkpoint file as a stream of chunks, ready for `CheckpointStorage.write`.
 * Chunks are produced as each section is encoded, so memory stays bounded by the largest key
 * group's content, and the event loop gets a turn every few milliseconds of encoding. Sections
 * without records are omitted. The footer holds `manifest` plus the index of the sections written
 * (kind, owner, offset, length, record count).
 *
 * Nothing is validated before the first chunk is requested; errors surface from iteration.
 *
 * @param manifest - describes the checkpoint; written as given (with `info` keys sorted).
 * @param keyGroups - each key group's content, in strictly increasing key group order; key groups
 *   without any record may be left out.
 * @param global - the process-wide parts, written before the key groups.
 * @param onSection - told about each section once encoded (kind, length, …).
 * @throws StatefunError `invalid-argument` for an invalid manifest, a key group outside
 *   `[0, maxKeyGroups)`, a duplicate component id, or a record the format cannot hold (a string
 *   with a lone surrogate, a fractional or unsafe time); `illegal-state` when key groups arrive
 *   out of order.
 */
export async function* encodeCheckpoint(
  manifest: CheckpointManifest,
  keyGroups: Iterable<KeyGroupContent> | AsyncIterable<KeyGroupContent>,
  global: GlobalContent,
  onSection?: (section: CheckpointSectionInfo) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const checked = checkManifest(manifest, (what) => invalid(`manifest: ${what}`));
  checkComponents(global.sinks, "sinks");
  checkComponents(global.ingresses, "ingresses");
  const index: CheckpointSectionInfo[] = [];
  let offset = FILE_MAGIC.length;
  const out = new ChunkGatherer();
  out.push(FILE_MAGIC);

  const add = (info: CheckpointSectionInfo | undefined): void => {
    if (info === undefined) return;
    index.push(info);
    onSection?.(info);
    offset += info.length;
  };
  const egress = { kind: "egress", keyGroup: undefined, component: undefined } as const;
  add(encodeSection(egress, global.egress, offset, out));
  for (const { id, bytes } of global.sinks) {
    const owner = { kind: "sink", keyGroup: undefined, component: id } as const;
    add(encodeSection(owner, [bytes], offset, out));
  }
  for (const { id, bytes } of global.ingresses) {
    const owner = { kind: "ingress", keyGroup: undefined, component: id } as const;
    add(encodeSection(owner, [bytes], offset, out));
  }
  let previous = -1;
  const addKeyGroup = (content: KeyGroupContent): void => {
    const keyGroup = content.keyGroup;
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= checked.maxKeyGroups) {
      invalid(`key group ${keyGroup} is outside [0, ${checked.maxKeyGroups})`);
    }
    if (keyGroup <= previous) {
      throw new StatefunError(
        "illegal-state",
        `cannot write a checkpoint: key group ${keyGroup} arrived after key group ${previous}; ` +
          "key groups must arrive in strictly increasing order",
      );
    }
    previous = keyGroup;
    const state = { kind: "state", keyGroup, component: undefined } as const;
    add(
      encodeDirect(
        state,
        stateWriter,
        (writer) => {
          writer.addRecords(content.state);
          content.writeState?.(writer);
          if (content.encodedState !== undefined) writer.addEncoded(content.encodedState);
        },
        offset,
        out,
      ),
    );
    const messages = { kind: "messages", keyGroup, component: undefined } as const;
    add(
      encodeDirect(
        messages,
        messageWriter,
        (writer) => {
          writer.addRecords(content.messages);
          if (content.messageRuns !== undefined) writer.addRuns(content.messageRuns);
        },
        offset,
        out,
      ),
    );
    const delayed = { kind: "delayed", keyGroup, component: undefined } as const;
    add(encodeSection(delayed, content.delayed, offset, out));
  };
  // A synchronous source is walked synchronously: an await per key group would cost a microtask
  // turn each. Either way, the event loop gets a turn every SLICE_MS of encoding.
  const pacer = new Pacer();
  if (Symbol.asyncIterator in keyGroups) {
    for await (const content of keyGroups) {
      addKeyGroup(content);
      if (out.ready) yield* out.take(false);
      if (pacer.due()) await pacer.pause();
    }
  } else {
    for (const content of keyGroups) {
      addKeyGroup(content);
      if (out.ready) yield* out.take(false);
      if (pacer.due()) await pacer.pause();
    }
  }

  out.push(footerBytes(checked, index));
  yield* out.take(true);
}

/**
 * The footer of a file: `manifest` (checked) with the section index, its length and CRC, and the
 * end magic.
 */
export function footerBytes(
  manifest: CheckpointManifest,
  sections: readonly CheckpointSectionInfo[],
): Uint8Array {
  const manifestBytes = serializeManifest(manifest, sections);
  const footer = new Uint8Array(manifestBytes.length + FOOTER_TAIL_BYTES);
  footer.set(manifestBytes, 0);
  footer.set(u32Bytes(manifestBytes.length), manifestBytes.length);
  footer.set(u32Bytes(crc32Of(manifestBytes)), manifestBytes.length + 4);
  footer.set(END_MAGIC, manifestBytes.length + 8);
  return footer;
}

/** Encodes a whole checkpoint file into one buffer: {@link encodeCheckpoint}, concatenated. */
export async function encodeCheckpointBytes(
  manifest: CheckpointManifest,
  keyGroups: Iterable<KeyGroupContent> | AsyncIterable<KeyGroupContent>,
  global: GlobalContent,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeCheckpoint(manifest, keyGroups, global)) chunks.push(chunk);
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
