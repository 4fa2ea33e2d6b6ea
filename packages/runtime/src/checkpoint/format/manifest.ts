/**
 * The footer manifest of a checkpoint file: the {@link CheckpointManifest} fields plus the index
 * of the file's sections, as canonical UTF-8 JSON (fixed key order, `info` keys sorted), so that
 * the same checkpoint always gives the same bytes. The same validation runs when writing (bad
 * input) and reading (a corrupt file), so everything that is written can be read back.
 */
import type { CheckpointManifest } from "../model.js";
import {
  FORMAT_VERSION,
  NO_KEY_GROUP,
  SECTION_KIND_CODES,
  isComponentKind,
  isKeyGroupKind,
} from "./layout.js";
import type { SectionKind, SectionOwner } from "./layout.js";

/** Where one section of a checkpoint file is, from the manifest's index. */
export interface CheckpointSectionInfo extends SectionOwner {
  /** Offset of the section's header from the start of the file, in bytes. */
  readonly offset: number;
  /** Length of the section (header, payload and CRC), in bytes. */
  readonly length: number;
  /** Number of records in the section. */
  readonly records: number;
}

/** Reports a problem with a field; never returns. */
export type ManifestProblem = (what: string) => never;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function found(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/** True for an integer from 0 to `max`. */
function isCount(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
}

function count(value: unknown, field: string, fail: ManifestProblem, max = Infinity): number {
  if (!isCount(value, max)) {
    fail(`${field}: expected an integer from 0 to ${max}, found ${found(value)}`);
  }
  return value;
}

/** The name of the section index's entry `i`, for errors. */
function sectionField(i: number): string {
  return `sections[${i}]`;
}

/** {@link count} of a field of the section index's entry `i`, its name built only if it fails. */
function checkedCount(
  value: unknown,
  max: number,
  fail: ManifestProblem,
  i: number,
  field: string,
): number {
  return isCount(value, max) ? value : count(value, `${sectionField(i)}${field}`, fail, max);
}

/** Adds `value` to `set`; false when it was there already. */
function addNew<T>(set: Set<T>, value: T): boolean {
  if (set.has(value)) return false;
  set.add(value);
  return true;
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  fail: ManifestProblem,
): T {
  if (!allowed.includes(value as T)) {
    fail(`${field}: expected one of ${allowed.join(", ")}, found ${found(value)}`);
  }
  return value as T;
}

/** Checks a manifest's fields (and their mutual constraints) and returns a plain copy. */
export function checkManifest(value: unknown, fail: ManifestProblem): CheckpointManifest {
  if (!isRecord(value)) fail(`expected an object, found ${found(value)}`);
  if (value["formatVersion"] !== FORMAT_VERSION) {
    fail(`formatVersion: expected ${FORMAT_VERSION}, found ${found(value["formatVersion"])}`);
  }
  const kind = oneOf(value["kind"], ["checkpoint", "savepoint"], "kind", fail);
  const mode = oneOf(value["mode"], ["exactly-once", "at-least-once"], "mode", fail);
  const full = value["full"];
  if (typeof full !== "boolean") fail(`full: expected a boolean, found ${found(full)}`);
  const chain = value["chain"];
  if (!Array.isArray(chain) || !chain.every((name) => typeof name === "string")) {
    fail(`chain: expected an array of file names, found ${found(chain)}`);
  }
  if (full && chain.length > 0)
    fail(`chain: a full checkpoint has no chain, found ${chain.length}`);
  if (!full && chain.length === 0) fail("chain: an incremental checkpoint needs its chain");
  if (kind === "savepoint" && !full) fail("full: a savepoint is always full");
  const info = value["info"];
  if (!isRecord(info)) fail(`info: expected an object, found ${found(info)}`);
  const entries = Object.keys(info)
    .sort()
    .map((key): [string, string | number] => {
      const entry = info[key];
      if (typeof entry !== "string" && !(typeof entry === "number" && Number.isFinite(entry))) {
        fail(`info.${key}: expected a string or a finite number, found ${found(entry)}`);
      }
      return [key, entry];
    });
  // fromEntries defines own properties, so that a key such as `__proto__` stays a plain key.
  const sortedInfo = Object.fromEntries(entries);
  return {
    formatVersion: FORMAT_VERSION,
    id: count(value["id"], "id", fail, Number.MAX_SAFE_INTEGER),
    kind,
    createdAtMs: count(value["createdAtMs"], "createdAtMs", fail, Number.MAX_SAFE_INTEGER),
    maxKeyGroups: maxKeyGroupsOf(value["maxKeyGroups"], fail),
    mode,
    full,
    chain: [...chain],
    info: sortedInfo,
  };
}

function maxKeyGroupsOf(value: unknown, fail: ManifestProblem): number {
  const max = count(value, "maxKeyGroups", fail, NO_KEY_GROUP);
  if (max === 0) fail("maxKeyGroups: expected at least 1, found 0");
  return max;
}

/** The canonical JSON bytes of a manifest (already checked) and its section index. */
export function serializeManifest(
  manifest: CheckpointManifest,
  sections: readonly CheckpointSectionInfo[],
): Uint8Array {
  const json = {
    formatVersion: manifest.formatVersion,
    id: manifest.id,
    kind: manifest.kind,
    createdAtMs: manifest.createdAtMs,
    maxKeyGroups: manifest.maxKeyGroups,
    mode: manifest.mode,
    full: manifest.full,
    chain: manifest.chain,
    info: manifest.info,
    sections: sections.map(sectionJson),
  };
  return textEncoder.encode(JSON.stringify(json));
}

const textEncoder = new TextEncoder();

/** A section's index entry as JSON, keys in this order (a section has a key group, a component or neither). */
function sectionJson({
  kind,
  keyGroup,
  component,
  offset,
  length,
  records,
}: CheckpointSectionInfo) {
  // One object literal per shape: spreading optional keys in took a slow generic path.
  if (keyGroup !== undefined && component === undefined) {
    return { kind, keyGroup, offset, length, records };
  }
  if (keyGroup === undefined && component !== undefined) {
    return { kind, component, offset, length, records };
  }
  if (keyGroup === undefined) return { kind, offset, length, records };
  return { kind, keyGroup, component, offset, length, records };
}

/**
 * Checks a parsed manifest's section index: known kinds, key groups in range, sections inside
 * `[firstOffset, endOffset)`, in file order and without overlap, no section twice.
 */
export function checkSections(
  value: unknown,
  maxKeyGroups: number,
  firstOffset: number,
  endOffset: number,
  fail: ManifestProblem,
): CheckpointSectionInfo[] {
  if (!Array.isArray(value)) fail(`sections: expected an array, found ${found(value)}`);
  const entries = value as unknown[];
  const sections: CheckpointSectionInfo[] = [];
  // A file has a section index entry per key group it touches, and merges open files dozens of
  // times a second: the checks allocate nothing unless one fails (field names are built then).
  const seenKeyGroups = new Set<number>();
  const seenOthers = new Set<string>();
  let next = firstOffset;
  const kinds = Object.keys(SECTION_KIND_CODES) as SectionKind[];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!isRecord(entry)) fail(`${sectionField(i)}: expected an object, found ${found(entry)}`);
    const kindValue = entry["kind"];
    const kind = kinds.includes(kindValue as SectionKind)
      ? (kindValue as SectionKind)
      : oneOf(kindValue, kinds, `${sectionField(i)}.kind`, fail);
    let keyGroup: number | undefined;
    if (isKeyGroupKind(kind)) {
      keyGroup = checkedCount(entry["keyGroup"], maxKeyGroups - 1, fail, i, ".keyGroup");
    } else if (entry["keyGroup"] !== undefined) {
      fail(`${sectionField(i)}.keyGroup: a ${kind} section has no key group`);
    }
    let component: string | undefined;
    if (isComponentKind(kind)) {
      component = entry["component"] as string;
      if (typeof component !== "string") {
        fail(`${sectionField(i)}.component: expected a string, found ${found(component)}`);
      }
    } else if (entry["component"] !== undefined) {
      fail(`${sectionField(i)}.component: a ${kind} section has no component`);
    }
    const offset = checkedCount(entry["offset"], Number.MAX_SAFE_INTEGER, fail, i, ".offset");
    const length = checkedCount(entry["length"], Number.MAX_SAFE_INTEGER, fail, i, ".length");
    const records = checkedCount(entry["records"], 0xffffffff, fail, i, ".records");
    if (offset < next) {
      fail(
        `${sectionField(i)}.offset: ${offset} overlaps the previous section or the magic (ends at ${next})`,
      );
    }
    if (offset + length > endOffset) {
      fail(
        `${sectionField(i)}: bytes ${offset}..${offset + length} extend past the sections' end ${endOffset}`,
      );
    }
    // Unambiguous: the kind says which one of key group and component a section has.
    const fresh =
      keyGroup === undefined
        ? addNew(seenOthers, `${kind}\u0000${component ?? ""}`)
        : addNew(seenKeyGroups, SECTION_KIND_CODES[kind] * (maxKeyGroups + 1) + keyGroup);
    if (!fresh) fail(`${sectionField(i)}: a second ${kind} section for the same owner`);
    next = offset + length;
    sections.push({ kind, keyGroup, component, offset, length, records });
  }
  return sections;
}
