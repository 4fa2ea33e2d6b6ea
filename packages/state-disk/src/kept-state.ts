/**
 * The database kept across a clean stop. The database is a working copy of the state: after a
 * crash it holds changes no checkpoint has, so a start normally empties it and recovery rebuilds
 * it from the checkpoint files. After a clean stop, though, it holds exactly the state of the last
 * checkpoint; the stop then makes it durable and leaves a marker naming that checkpoint, with what
 * the backend keeps in memory about it (counts, the address filter). The next start takes the
 * marker away at once (a crash from then on leaves no marker, and the database is rebuilt), and
 * recovery uses the database as it is when it restores that very checkpoint.
 * {@link openWorkingCopy} opens the database at a start, emptied or as kept.
 *
 * Files, in the database directory: `kept.json` (the marker, written last, by rename, with the
 * layout of the database it describes) and `kept-filter.bin` (the address filter, in native byte
 * order like LMDB's own files).
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Database, RootDatabase } from "lmdb";
import { open } from "lmdb";
import type { CheckpointRef } from "@statefun-ts/runtime";
import { stateKeyEncoder } from "./keys.js";

/** What the backend kept in memory about the database. */
export interface KeptState {
  readonly checkpoint: CheckpointRef;
  readonly maxKeyGroups: number;
  /** Values stored. */
  readonly values: number;
  /** Addresses holding state, per function type. */
  readonly addresses: Readonly<Record<string, number>>;
  /** The address filter's bytes. */
  readonly filter: Uint8Array;
}

const MARKER = "kept.json";
/**
 * The layout of the database's keys and values (keys.ts, state-values in the runtime) and of the
 * kept address filter (address-filter.ts: its table and where it places hashes). A marker of
 * another layout is ignored and the database rebuilt: bump it whenever one of them changes.
 */
const LAYOUT = 3;
const FILTER = "kept-filter.bin";
/** LMDB's data file in its directory. */
const DATA_FILE = "data.mdb";

function fsyncPath(path: string, flags = "r"): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Takes the kept state of `directory` away: returns it (if the marker is there and whole) after
 * deleting the marker durably, so that the database is rebuilt if this process crashes.
 */
export function takeKeptState(directory: string): KeptState | undefined {
  let marker: unknown;
  let filter: Uint8Array;
  try {
    marker = JSON.parse(readFileSync(join(directory, MARKER), "utf8"));
    filter = readFileSync(join(directory, FILTER));
  } catch {
    return undefined;
  } finally {
    rmSync(join(directory, MARKER), { force: true });
    rmSync(join(directory, FILTER), { force: true });
  }
  fsyncPath(directory);
  const kept = marker as (Partial<Omit<KeptState, "filter">> & { layout?: unknown }) | null;
  const checkpoint = kept?.checkpoint;
  const addresses = kept?.addresses;
  if (
    kept === null ||
    kept.layout !== LAYOUT ||
    typeof checkpoint !== "object" ||
    !isCount(checkpoint.id) ||
    typeof checkpoint.name !== "string" ||
    !isCount(kept.maxKeyGroups) ||
    !isCount(kept.values) ||
    typeof addresses !== "object" ||
    addresses === null ||
    !Object.values(addresses).every(isCount)
  ) {
    return undefined;
  }
  return {
    checkpoint: { id: checkpoint.id, name: checkpoint.name },
    maxKeyGroups: kept.maxKeyGroups,
    values: kept.values,
    addresses: { ...addresses },
    filter,
  };
}

/**
 * Makes the (closed) database in `directory` durable, then writes the marker of `kept`: the
 * filter first, the marker last by an atomic rename, each synchronized.
 */
export function keepState(directory: string, kept: KeptState): void {
  fsyncPath(join(directory, DATA_FILE), "r+");
  const filterPath = join(directory, FILTER);
  writeFileSync(filterPath, kept.filter);
  fsyncPath(filterPath);
  const { filter: _filter, ...marker } = kept;
  const temporary = join(directory, `${MARKER}.tmp`);
  writeFileSync(temporary, JSON.stringify({ layout: LAYOUT, ...marker }));
  fsyncPath(temporary);
  renameSync(temporary, join(directory, MARKER));
  fsyncPath(directory);
}

/** The databases {@link openWorkingCopy} opens. */
export interface WorkingCopy {
  /** Address state, by address key (keys.ts). */
  readonly root: RootDatabase<Uint8Array, Uint8Array>;
  /** The expiry index: keys only. */
  readonly expiry: Database<Uint8Array, Uint8Array>;
  /** What a clean stop kept of it, if anything: otherwise it starts empty. */
  readonly kept: KeptState | undefined;
}

/**
 * Opens the database in `directory` as a working copy: durability comes from checkpoints, so it
 * skips fsync and starts empty (after a crash, recovery rebuilds it from the latest checkpoint),
 * unless a clean stop kept it with the same number of key groups.
 */
export function openWorkingCopy(directory: string, maxKeyGroups: number): WorkingCopy {
  let kept = takeKeptState(directory);
  if (kept?.maxKeyGroups !== maxKeyGroups) {
    kept = undefined;
    rmSync(directory, { recursive: true, force: true });
  }
  const root = open<Uint8Array, Uint8Array>({
    path: directory,
    maxDbs: 2,
    noSync: true,
    // Each batch is one block of writes, closed before `batch` returns. With lmdb-js's default,
    // the writes of a turn of the event loop also form a block, closed in a later turn; a process
    // ending before that turn (`process.exit`, an uncaught error) would wait forever for LMDB's
    // writer, which waits for the rest of the block.
    eventTurnBatching: false,
    compression: false,
    encoding: "binary",
    keyEncoder: stateKeyEncoder,
  });
  const expiry = root.openDB<Uint8Array, Uint8Array>({
    name: "expiry",
    encoding: "binary",
    keyEncoding: "binary",
  });
  return { root, expiry, kept };
}
