/**
 * Reading checkpoint files. {@link openCheckpoint} reads a small file whole, and only the footer
 * (one or two range reads) of a larger one: magics, manifest CRC, JSON, format version and
 * section index are checked before anything else is read. Sections of a larger file are then read
 * on demand, one key group (or the global part) per range read; every section is checked against
 * its CRC. Every problem with the bytes is a `corrupt-data` error naming the
 * file, the section and what is wrong; storage failures pass through unchanged.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { CheckpointStorage } from "../storage.js";
import type {
  CheckpointManifest,
  ComponentState,
  GlobalContent,
  KeyGroupContent,
  StateRecord,
} from "../model.js";
import { FILE_MAGIC, sectionLabel } from "./layout.js";
import { footerBytes } from "./encode.js";
import { checkManifest } from "./manifest.js";
import type { SectionKind } from "./layout.js";
import type { CheckpointSectionInfo } from "./manifest.js";
import { checkSection, decodeSection, scanStateSection } from "./section-reader.js";
import type { SectionDecoding } from "./section-reader.js";
import type { SectionRecords } from "./records.js";
import { readFooter } from "./footer.js";
import type { EncodedStateRecord } from "./state-records.js";
import type { ByteSource } from "./footer.js";

/** An opened checkpoint file: its manifest, and its sections read on demand. */
export interface CheckpointFile {
  /** The file's name in its storage. */
  readonly name: string;
  /** The file's size in bytes. */
  readonly sizeBytes: number;
  /** The manifest the file was written with. */
  readonly manifest: CheckpointManifest;
  /** The index of the file's sections, in file order. */
  readonly sections: readonly CheckpointSectionInfo[];
  /** The key groups that have at least one section (state, messages or delayed), ascending. */
  keyGroups(): number[];
  /** True when the file has a section of `keyGroup`. */
  hasKeyGroup(keyGroup: number): boolean;
  /**
   * Reads one key group's content with a single range read of its sections. A key group without
   * sections reads as empty.
   *
   * @throws StatefunError `invalid-argument` for a key group outside `[0, maxKeyGroups)`;
   *   `corrupt-data` when a section is damaged.
   */
  readKeyGroup(keyGroup: number): Promise<KeyGroupContent>;
  /**
   * Reads only one key group's state records (what a chain member contributes), leaving its
   * messages undecoded.
   *
   * @throws StatefunError as {@link readKeyGroup}.
   */
  readKeyGroupState(keyGroup: number): Promise<StateRecord[]>;
  /**
   * Reads one key group's state records as they are, each with a key that tells its address,
   * without decoding their values: for merging files, which copies the newest record of each
   * address (see `KeyGroupContent.encodedState`).
   *
   * @throws StatefunError as {@link readKeyGroup}.
   */
  readKeyGroupEncodedState(keyGroup: number): Promise<EncodedStateRecord[]>;
  /**
   * Reads every key group's content, in key group order, for a restore: several key groups per
   * range read (runs of about {@link RUN_BYTES}; a larger key group is read alone), the next read
   * under way while the key groups of the last one are decoded and used. Memory holds two reads'
   * bytes and the key group being used. With `stateOnly`, messages and delayed messages are not
   * decoded (read as empty); with `withoutState`, state records are not (a key group with only
   * state is left out); with `encodedValues`, state records carry their values' bytes as well
   * (`StateRecord.encodedValues`).
   *
   * @throws StatefunError `corrupt-data` when a section is damaged (from the iteration).
   */
  keyGroupsInOrder(options?: {
    readonly stateOnly?: boolean;
    readonly withoutState?: boolean;
    readonly encodedValues?: boolean;
  }): AsyncGenerator<KeyGroupContent>;
  /** Bytes of the file's state sections (the state changes it holds). */
  readonly stateBytes: number;
  /** Records of the file's state sections (one per address it holds a change of). */
  readonly stateRecords: number;
  /** Reads the global content (egress, sink and ingress state) with a single range read. */
  readGlobal(): Promise<GlobalContent>;
  /**
   * The file's bytes with `manifest` in place of its own: the magic and the sections as they are
   * (read about {@link RUN_BYTES} at a time, each section's CRC and header checked), then a new
   * footer. The content stays the same; what the manifest says of it (kind, chain, info) changes.
   *
   * @throws StatefunError `invalid-argument` for an invalid manifest or one with another
   *   `maxKeyGroups` (the sections' key groups would not fit it); `corrupt-data` (from the
   *   iteration) when a section is damaged.
   */
  withManifest(manifest: CheckpointManifest): AsyncGenerator<Uint8Array>;
}

/** A whole checkpoint file, decoded. */
export interface DecodedCheckpoint {
  /** The manifest the file was written with. */
  readonly manifest: CheckpointManifest;
  /** The key groups with any section, ascending. */
  readonly keyGroups: readonly KeyGroupContent[];
  /** The process-wide content. */
  readonly global: GlobalContent;
}

/** Files up to this size are read whole when opened. */
const WHOLE_FILE_BYTES = 1024 * 1024;
/**
 * Bytes of key groups that {@link CheckpointFile.keyGroupsInOrder} reads at once: a read per key
 * group would cost a storage round trip (a thread pool trip per file operation, a request to an
 * object store) for every few hundred records.
 */
export const RUN_BYTES = 4 * 1024 * 1024;

/** Reads one object of a checkpoint storage by ranges. */
function storageSource(storage: CheckpointStorage, name: string, size: number): ByteSource {
  return {
    name,
    size: () => Promise.resolve(size),
    read: (offset, length) => storage.read(name, { offset, length }),
  };
}

/** Reads an in-memory file by ranges (views, no copies). */
function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: () => Promise.resolve(bytes.length),
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/**
 * Opens a checkpoint file: reads and checks its footer (a range read of its tail, plus one of its
 * first bytes for a file over 64 KiB). Sections are read later, by the returned object. A file of
 * up to 1 MiB is read whole instead, with one read.
 *
 * @throws StatefunError `corrupt-data` when the file is too short, lacks a magic (torn write), has
 *   a damaged or invalid manifest, or was written in a newer format version;
 *   `storage-failed` when the storage cannot read it.
 */
export async function openCheckpoint(
  storage: CheckpointStorage,
  name: string,
): Promise<CheckpointFile> {
  const size = await storage.size(name);
  // One read of a small file beats a read per key group (a group-commit chain has many).
  if (size <= WHOLE_FILE_BYTES) return openSource(bytesSource(await storage.read(name), name));
  return openSource(storageSource(storage, name, size));
}

/**
 * Decodes a whole checkpoint file held in memory, through the same code as
 * {@link openCheckpoint}. For tests, tools and small files.
 *
 * @param name - names the file in error messages.
 * @throws StatefunError `corrupt-data` as {@link openCheckpoint} and {@link CheckpointFile}.
 */
export async function decodeCheckpointBytes(
  bytes: Uint8Array,
  name = "<in memory>",
): Promise<DecodedCheckpoint> {
  const file = await openSource(bytesSource(bytes, name));
  const keyGroups: KeyGroupContent[] = [];
  for (const keyGroup of file.keyGroups()) keyGroups.push(await file.readKeyGroup(keyGroup));
  return { manifest: file.manifest, keyGroups, global: await file.readGlobal() };
}

async function openSource(source: ByteSource): Promise<CheckpointFile> {
  const footer = await readFooter(source);
  const { manifest, sections, sizeBytes } = footer;
  const byKeyGroup = new Map<number, CheckpointSectionInfo[]>();
  const globalSections: CheckpointSectionInfo[] = [];
  for (const section of sections) {
    if (section.keyGroup === undefined) globalSections.push(section);
    else {
      const owned = byKeyGroup.get(section.keyGroup);
      if (owned === undefined) byKeyGroup.set(section.keyGroup, [section]);
      else owned.push(section);
    }
  }
  const keyGroups = [...byKeyGroup.keys()].sort((a, b) => a - b);

  async function read(
    selected: readonly CheckpointSectionInfo[],
  ): Promise<Map<CheckpointSectionInfo, unknown[]>> {
    const first = selected[0];
    const last = selected[selected.length - 1];
    if (first === undefined || last === undefined) return new Map();
    const start = first.offset;
    const bytes = await source.read(start, last.offset + last.length - start);
    return decodeSections(bytes, start, selected);
  }

  /** Decodes `selected` sections out of `bytes`, which hold the file from offset `start` on. */
  function decodeSections(
    bytes: Uint8Array,
    start: number,
    selected: readonly CheckpointSectionInfo[],
    options: SectionDecoding = {},
  ): Map<CheckpointSectionInfo, unknown[]> {
    const decoded = new Map<CheckpointSectionInfo, unknown[]>();
    for (const section of selected) {
      const from = section.offset - start;
      const fail = (what: string, cause?: unknown): never => {
        throw corruptSection(source.name, section, what, cause);
      };
      decoded.set(
        section,
        decodeSection(bytes.subarray(from, from + section.length), section, fail, options),
      );
    }
    return decoded;
  }

  function recordsOf<K extends SectionKind>(
    decoded: Map<CheckpointSectionInfo, unknown[]>,
    kind: K,
  ): SectionRecords[K][] {
    for (const [section, records] of decoded) {
      if (section.kind === kind) return records as SectionRecords[K][];
    }
    return [];
  }

  /** A key group's content from its decoded sections (a kind without a section: none). */
  function contentOf(
    keyGroup: number,
    decoded: Map<CheckpointSectionInfo, unknown[]>,
  ): KeyGroupContent {
    return {
      keyGroup,
      state: recordsOf(decoded, "state"),
      messages: recordsOf(decoded, "messages"),
      delayed: recordsOf(decoded, "delayed"),
    };
  }

  function components(
    decoded: Map<CheckpointSectionInfo, unknown[]>,
    kind: "sink" | "ingress",
  ): ComponentState[] {
    const states: ComponentState[] = [];
    for (const [section, records] of decoded) {
      if (section.kind !== kind) continue;
      const [bytes] = records as Uint8Array[];
      if (records.length !== 1 || bytes === undefined) {
        throw corruptSection(source.name, section, `expected 1 record, found ${records.length}`);
      }
      states.push({ id: section.component ?? "", bytes });
    }
    return states;
  }

  function sectionsOf(keyGroup: number): CheckpointSectionInfo[] {
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= manifest.maxKeyGroups) {
      throw new StatefunError(
        "invalid-argument",
        `checkpoint file ${source.name}: key group ${keyGroup} is outside [0, ${manifest.maxKeyGroups})`,
      );
    }
    return byKeyGroup.get(keyGroup) ?? [];
  }

  return {
    name: source.name,
    sizeBytes,
    manifest,
    sections,
    keyGroups: () => [...keyGroups],
    hasKeyGroup: (keyGroup) => byKeyGroup.has(keyGroup),
    stateBytes: sections.reduce((sum, s) => sum + (s.kind === "state" ? s.length : 0), 0),
    stateRecords: sections.reduce((sum, s) => sum + (s.kind === "state" ? s.records : 0), 0),
    async readKeyGroup(keyGroup) {
      return contentOf(keyGroup, await read(sectionsOf(keyGroup)));
    },
    async readKeyGroupState(keyGroup) {
      const state = sectionsOf(keyGroup).filter((section) => section.kind === "state");
      return recordsOf(await read(state), "state");
    },
    async readKeyGroupEncodedState(keyGroup) {
      const records: EncodedStateRecord[] = [];
      for (const section of sectionsOf(keyGroup)) {
        if (section.kind !== "state") continue;
        const bytes = await source.read(section.offset, section.length);
        const fail = (what: string, cause?: unknown): never => {
          throw corruptSection(source.name, section, what, cause);
        };
        for (const record of scanStateSection(bytes, section, fail)) records.push(record);
      }
      return records;
    },
    async *keyGroupsInOrder({
      stateOnly = false,
      withoutState = false,
      encodedValues = false,
    } = {}) {
      const wanted = (section: CheckpointSectionInfo): boolean =>
        section.kind === "state" ? !withoutState : !stateOnly;
      const selected = new Map(
        keyGroups.map((keyGroup) => [keyGroup, (byKeyGroup.get(keyGroup) ?? []).filter(wanted)]),
      );
      // A key group with no selected section is in no run.
      const runs = keyGroupRuns(keyGroups, selected);
      const readRun = (index: number): Promise<Uint8Array> | undefined => {
        const run = runs[index];
        if (run === undefined) return undefined;
        const reading = source.read(run.start, run.end - run.start);
        // Its failure surfaces where it is awaited; until then it is not an unhandled rejection.
        reading.catch(() => undefined);
        return reading;
      };
      let next = readRun(0);
      for (let index = 0; next !== undefined; index++) {
        const bytes = await next;
        next = readRun(index + 1);
        const run = runs[index] as KeyGroupRun;
        for (const keyGroup of run.keyGroups) {
          const sections = selected.get(keyGroup) ?? [];
          yield contentOf(keyGroup, decodeSections(bytes, run.start, sections, { encodedValues }));
        }
      }
    },
    async readGlobal() {
      const decoded = await read(globalSections);
      return {
        egress: recordsOf(decoded, "egress"),
        sinks: components(decoded, "sink"),
        ingresses: components(decoded, "ingress"),
      };
    },
    withManifest(replacement) {
      const checked = checkManifest(replacement, (what) => {
        throw new StatefunError(
          "invalid-argument",
          `cannot rewrite ${source.name}: manifest: ${what}`,
        );
      });
      if (checked.maxKeyGroups !== manifest.maxKeyGroups) {
        throw new StatefunError(
          "invalid-argument",
          `cannot rewrite ${source.name}: its sections are of ${manifest.maxKeyGroups} key groups, the new manifest has ${checked.maxKeyGroups}`,
        );
      }
      return copySections(source, sections, footerBytes(checked, sections));
    },
  };
}

/**
 * Yields a file's bytes up to the end of its last section, in reads of about {@link RUN_BYTES}
 * ending at section boundaries, each section checked; then `footer`.
 */
async function* copySections(
  source: ByteSource,
  sections: readonly CheckpointSectionInfo[],
  footer: Uint8Array,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  let end = FILE_MAGIC.length;
  const read = async (run: readonly CheckpointSectionInfo[]): Promise<Uint8Array> => {
    const bytes = await source.read(at, end - at);
    if (bytes.length !== end - at) {
      throw new StatefunError(
        "corrupt-data",
        `checkpoint file ${source.name}: truncated: read ${bytes.length} of ${end - at} bytes at offset ${at}`,
        { details: { file: source.name } },
      );
    }
    for (const section of run) {
      const from = section.offset - at;
      checkSection(bytes.subarray(from, from + section.length), section, (what, cause) => {
        throw corruptSection(source.name, section, what, cause);
      });
    }
    at = end;
    return bytes;
  };
  let run: CheckpointSectionInfo[] = [];
  for (const section of sections) {
    const sectionEnd = section.offset + section.length;
    if (run.length > 0 && sectionEnd - at > RUN_BYTES) {
      yield await read(run);
      run = [];
    }
    run.push(section);
    end = sectionEnd;
  }
  yield await read(run);
  yield footer;
}

/** Consecutive key groups read together, and the bytes that hold their sections. */
interface KeyGroupRun {
  readonly keyGroups: number[];
  start: number;
  end: number;
}

/** Splits `keyGroups` (ascending) into runs of sections spanning about {@link RUN_BYTES}. */
function keyGroupRuns(
  keyGroups: readonly number[],
  byKeyGroup: ReadonlyMap<number, readonly CheckpointSectionInfo[]>,
): KeyGroupRun[] {
  const runs: KeyGroupRun[] = [];
  let current: KeyGroupRun | undefined;
  for (const keyGroup of keyGroups) {
    const sections = byKeyGroup.get(keyGroup) ?? [];
    if (sections.length === 0) continue;
    let start = Infinity;
    let end = 0;
    for (const section of sections) {
      start = Math.min(start, section.offset);
      end = Math.max(end, section.offset + section.length);
    }
    if (
      current !== undefined &&
      Math.max(current.end, end) - Math.min(current.start, start) <= RUN_BYTES
    ) {
      current.keyGroups.push(keyGroup);
      current.start = Math.min(current.start, start);
      current.end = Math.max(current.end, end);
    } else {
      current = { keyGroups: [keyGroup], start, end };
      runs.push(current);
    }
  }
  return runs;
}

function corruptSection(
  file: string,
  section: CheckpointSectionInfo,
  what: string,
  cause?: unknown,
): StatefunError {
  const end = section.offset + section.length;
  return new StatefunError(
    "corrupt-data",
    `checkpoint file ${file}: ${sectionLabel(section)} (bytes ${section.offset}..${end}): ${what}`,
    {
      cause,
      details: {
        file,
        section: section.kind,
        keyGroup: section.keyGroup,
        component: section.component,
        offset: section.offset,
      },
    },
  );
}
