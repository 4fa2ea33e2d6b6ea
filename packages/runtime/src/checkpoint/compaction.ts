/**
 * Compaction, in two forms. Both read files, never live state, so they run in the background
 * without touching processing (the coordinator's on a worker thread, compaction-thread.ts);
 * memory is bounded by one key group's state.
 *  - A full merge writes a chain (a full base and the incremental files after it) into one full
 *    file: a new base that bounds restore time, or the state of a savepoint. Its cost grows with
 *    the whole state, so it runs only once the chain holds much state that later records
 *    superseded (see {@link shouldCompact}).
 *  - An incremental merge writes {@link MERGE_FAN_IN} consecutive incremental files of one level
 *    into one incremental file of the next level, keeping deletions. Its cost grows with the
 *    changes only, so it keeps chains short when checkpoints are frequent and small (group
 *    commit): once merges catch up, a chain holds fewer than {@link MERGE_FAN_IN} files per
 *    level, the level of a file being log_{@link MERGE_FAN_IN} of the number of checkpoints it
 *    spans.
 * Both copy records as the files hold them: only a record with a value that has expired is
 * decoded (by a full merge, to drop that value), and no value is encoded again.
 */
import type { CheckpointStorage } from "./storage.js";
import type { ChainFile } from "./coordinator.js";
import type { CheckpointFile, CheckpointSectionInfo, EncodedStateRecord } from "./format/index.js";
import { decodeStateRecord, encodeCheckpoint, openCheckpoint } from "./format/index.js";
import type { CheckpointManifest, GlobalContent, KeyGroupContent, StateRecord } from "./model.js";
import type { ResolvedCheckpointingOptions } from "./options.js";
import { changeSpanOf } from "./names.js";

/** Incremental files merged into one by an incremental merge. */
export const MERGE_FAN_IN = 8;
/**
 * Bytes of the files of a run above which it is merged only once the chain is longer than
 * {@link LONG_CHAIN} files. Merging large files buys little: a restore reads as many bytes either
 * way, and only the count of files falls, while the merge rewrites every byte. In a run of
 * 8,000,000 new addresses, merges of 40 MB checkpoint files kept the compaction thread busy for
 * most of the run and were where its rate dropped most.
 */
export const MERGE_MAX_BYTES = 64 * 1024 * 1024;
/** Files in a chain beyond which runs are merged whatever their size (see {@link MERGE_MAX_BYTES}). */
export const LONG_CHAIN = 64;

/** The key groups that any of `files` has content in, ascending. */
function keyGroupsOf(files: readonly CheckpointFile[]): number[] {
  return [...new Set(files.flatMap((file) => file.keyGroups()))].sort((a, b) => a - b);
}

/**
 * The newest record of each address of one key group in `files` (oldest first), as the files
 * hold them: merges copy them without decoding values or encoding them again.
 */
async function newestRecords(
  files: readonly CheckpointFile[],
  keyGroup: number,
): Promise<EncodedStateRecord[]> {
  const merged = new Map<string, EncodedStateRecord>();
  for (const file of files) {
    if (!file.hasKeyGroup(keyGroup)) continue;
    for (const record of await file.readKeyGroupEncodedState(keyGroup)) {
      merged.set(record.key, record);
    }
  }
  return [...merged.values()];
}

/** Writes a checkpoint file to `target` and returns its size in bytes. */
export async function writeFile(
  storage: CheckpointStorage,
  target: string,
  chunks: AsyncIterable<Uint8Array>,
): Promise<number> {
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  await storage.write(target, counted());
  return bytes;
}

/**
 * Levels of chain files, by file: {@link mergeRun} looks at the whole chain after every
 * checkpoint, and parsing each name each time showed in profiles of group commit.
 */
const levels = new WeakMap<ChainFile, number | undefined>();

/** The level of an incremental chain file (0 for one checkpoint), `undefined` for a base. */
function levelOf(file: ChainFile): number | undefined {
  if (levels.has(file)) return levels.get(file);
  const span = file.full ? undefined : changeSpanOf(file.name);
  let level: number | undefined;
  if (span !== undefined) {
    level = 0;
    for (let n = span.last - span.first + 1; n >= MERGE_FAN_IN; n = Math.floor(n / MERGE_FAN_IN)) {
      level++;
    }
  }
  levels.set(file, level);
  return level;
}

/**
 * The files an incremental merge should merge now: the oldest {@link MERGE_FAN_IN} files of the
 * lowest level that has that many consecutive incremental files in the chain, of at most
 * {@link MERGE_MAX_BYTES} in all unless the chain is longer than {@link LONG_CHAIN} files;
 * otherwise `undefined`.
 */
export function mergeRun(chain: readonly ChainFile[]): readonly ChainFile[] | undefined {
  const anySize = chain.length > LONG_CHAIN;
  let end = chain.length;
  while (end > 0) {
    const level = levelOf(chain[end - 1] as ChainFile);
    if (level === undefined) return undefined;
    let start = end - 1;
    while (start > 0 && levelOf(chain[start - 1] as ChainFile) === level) start--;
    if (end - start >= MERGE_FAN_IN) {
      const run = chain.slice(start, start + MERGE_FAN_IN);
      if (anySize || run.reduce((sum, file) => sum + file.bytes, 0) <= MERGE_MAX_BYTES) return run;
    }
    end = start;
  }
  return undefined;
}

/** Told about each section of a merged file as it is encoded (see `encodeCheckpoint`). */
export type SectionListener = (section: CheckpointSectionInfo) => void;

/**
 * Counts the bytes and records of a file's state sections as it is encoded, which
 * `ChainFile.stateBytes` and `ChainFile.stateRecords` hold: give {@link onSection} to the
 * encoding, read {@link bytes} and {@link records} once it is done.
 */
export class StateSizeCounter {
  bytes = 0;
  records = 0;
  readonly onSection: SectionListener = (section) => {
    if (section.kind !== "state") return;
    this.bytes += section.length;
    this.records += section.records;
  };
}

/**
 * The bytes of an incremental file holding the state changes of `names` (consecutive incremental
 * files, oldest first): per address, the newest record, deletions included. Its manifest is the
 * newest file's, with `chain` set to `before` (the files it builds on).
 */
export async function incrementalMergeChunks(
  storage: CheckpointStorage,
  names: readonly string[],
  before: readonly string[],
  onSection?: SectionListener,
): Promise<AsyncIterable<Uint8Array>> {
  const files = await Promise.all(names.map((name) => openCheckpoint(storage, name)));
  const newest = files.at(-1);
  if (newest === undefined) throw new Error("nothing to merge");
  const manifest: CheckpointManifest = {
    ...newest.manifest,
    kind: "checkpoint",
    full: false,
    chain: [...before],
    info: { mergedFrom: names.length },
  };
  async function* contents(): AsyncGenerator<KeyGroupContent> {
    for (const keyGroup of keyGroupsOf(files)) {
      const encodedState = (await newestRecords(files, keyGroup)).map((record) => record.bytes);
      if (encodedState.length > 0) {
        yield { keyGroup, state: [], encodedState, messages: [], delayed: [] };
      }
    }
  }
  const empty: GlobalContent = { egress: [], sinks: [], ingresses: [] };
  return encodeCheckpoint(manifest, contents(), empty, onSection);
}

/**
 * True when the chain holds enough superseded state to be worth a new base: when its incremental
 * files, less the state of the addresses new since the base, reach `compactionRatio` times the
 * live state (the base's plus the new addresses'), which bounds what a restore reads to about
 * (1 + ratio) times the live state. A chain whose records all still hold (addresses that are only
 * ever added) never calls for a base: it would rewrite the same state, and a restore reads as
 * much either way; merges of its tail bound its files. `liveAddresses` hold state now; the state
 * of the new ones is taken at the incremental files' mean record size.
 */
export function shouldCompact(
  chain: readonly ChainFile[],
  options: Pick<ResolvedCheckpointingOptions, "compactionRatio" | "compactionMinBytes">,
  liveAddresses: number,
): boolean {
  if (chain.length < 2) return false;
  // Many small files cost restore time too: bound the count as well as the bytes.
  if (chain.length > 256) return true;
  const base = chain[0] as ChainFile;
  const baseBytes = base.full ? base.stateBytes : 0;
  const baseRecords = base.full ? base.stateRecords : 0;
  let incremental = 0;
  let incrementalRecords = 0;
  for (let i = base.full ? 1 : 0; i < chain.length; i++) {
    incremental += (chain[i] as ChainFile).stateBytes;
    incrementalRecords += (chain[i] as ChainFile).stateRecords;
  }
  const added = Math.min(incrementalRecords, Math.max(0, liveAddresses - baseRecords));
  const addedBytes = added === 0 ? 0 : (incremental * added) / incrementalRecords;
  const superseded = incremental - addedBytes;
  return (
    superseded >= options.compactionMinBytes &&
    superseded >= (baseBytes + addedBytes) * options.compactionRatio
  );
}

/** The merged state of one key group: records to write, and records to copy as they are. */
interface MergedKeyGroup {
  readonly keyGroup: number;
  readonly state: StateRecord[];
  readonly encodedState: Uint8Array[];
}

/**
 * The merged state of `files` (oldest first), one key group at a time: the newest record of each
 * address wins, deleted addresses and values expired at the newest file's cut are dropped. A
 * record with no expired value is copied as it is; only one with some is decoded, to drop them.
 */
async function* mergedState(files: readonly CheckpointFile[]): AsyncGenerator<MergedKeyGroup> {
  const newest = files.at(-1);
  if (newest === undefined) return;
  const cutMs = newest.manifest.createdAtMs;
  for (const keyGroup of keyGroupsOf(files)) {
    const state: StateRecord[] = [];
    const encodedState: Uint8Array[] = [];
    for (const record of await newestRecords(files, keyGroup)) {
      if (record.values === 0) continue;
      if (record.earliestExpiryMs > cutMs) {
        encodedState.push(record.bytes);
        continue;
      }
      const decoded = decodeStateRecord(record.bytes);
      const values = decoded.values.filter((value) => value.expiresAtMs > cutMs);
      if (values.length > 0) state.push({ ...decoded, values });
    }
    yield { keyGroup, state, encodedState };
  }
}

/**
 * The bytes of one full file: the merged state of `names` plus, when `pendingFrom` is given, its
 * pending messages, delayed messages and global content (a savepoint).
 */
async function mergedChunks(
  storage: CheckpointStorage,
  names: readonly string[],
  manifestFor: (newest: CheckpointManifest) => CheckpointManifest,
  pendingFrom?: CheckpointFile,
  onSection?: SectionListener,
): Promise<AsyncIterable<Uint8Array>> {
  const files = await Promise.all(names.map((name) => openCheckpoint(storage, name)));
  const newestFile = files.at(-1);
  if (newestFile === undefined) throw new Error("nothing to merge");
  const manifest = manifestFor(newestFile.manifest);
  const pendingGroups = new Set(pendingFrom?.keyGroups() ?? []);
  async function* contents(): AsyncGenerator<KeyGroupContent> {
    const stateGroups = mergedState(files);
    let next = await stateGroups.next();
    const all = [...new Set([...keyGroupsOf(files), ...pendingGroups])].sort((a, b) => a - b);
    for (const keyGroup of all) {
      let state: StateRecord[] = [];
      let encodedState: Uint8Array[] = [];
      if (!next.done && next.value.keyGroup === keyGroup) {
        ({ state, encodedState } = next.value);
        next = await stateGroups.next();
      }
      const pending =
        pendingFrom !== undefined && pendingGroups.has(keyGroup)
          ? await pendingFrom.readKeyGroup(keyGroup)
          : undefined;
      yield {
        keyGroup,
        state,
        encodedState,
        messages: pending?.messages ?? [],
        delayed: pending?.delayed ?? [],
      };
    }
  }
  const global: GlobalContent =
    pendingFrom === undefined
      ? { egress: [], sinks: [], ingresses: [] }
      : await pendingFrom.readGlobal();
  return encodeCheckpoint(manifest, contents(), global, onSection);
}

/**
 * Writes one full file to `target` in `targetStorage` (see {@link mergedChunks}). Returns its size
 * in bytes.
 */
export async function writeMerged(
  storage: CheckpointStorage,
  names: readonly string[],
  targetStorage: CheckpointStorage,
  target: string,
  manifestFor: (newest: CheckpointManifest) => CheckpointManifest,
  pendingFrom?: CheckpointFile,
): Promise<number> {
  return writeFile(
    targetStorage,
    target,
    await mergedChunks(storage, names, manifestFor, pendingFrom),
  );
}

/** The bytes of a full base made of a chain of files. */
export function compactedChunks(
  storage: CheckpointStorage,
  names: readonly string[],
  maxKeyGroups: number,
  onSection?: SectionListener,
): Promise<AsyncIterable<Uint8Array>> {
  return mergedChunks(
    storage,
    names,
    (newest) => ({
      ...newest,
      kind: "checkpoint",
      maxKeyGroups,
      full: true,
      chain: [],
      info: { compactedFrom: names.length },
    }),
    undefined,
    onSection,
  );
}
