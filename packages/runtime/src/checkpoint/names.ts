/**
 * Names of checkpoint files in checkpoint storage: `checkpoints/chk-<id>.sfc` for checkpoints,
 * `checkpoints/base-<id>.sfc` for full bases written by compaction, and
 * `checkpoints/inc-<first id>-<last id>.sfc` for the merged state changes of the checkpoints
 * from the first to the last id. Ids are zero-padded so that names sort by id.
 */

const PREFIX = "checkpoints/";
const CHECKPOINT = /^checkpoints\/chk-(\d{20})\.sfc$/u;
const BASE = /^checkpoints\/base-(\d{20})\.sfc$/u;
const MERGED = /^checkpoints\/inc-(\d{20})-(\d{20})\.sfc$/u;

/** The prefix under which checkpoint files live. */
export const CHECKPOINT_PREFIX = PREFIX;

function pad(id: number): string {
  return String(id).padStart(20, "0");
}

/** The name of checkpoint `id`. */
export function checkpointName(id: number): string {
  return `${PREFIX}chk-${pad(id)}.sfc`;
}

/** The name of the full base written for checkpoint `id` by compaction. */
export function baseName(id: number): string {
  return `${PREFIX}base-${pad(id)}.sfc`;
}

/** The id of a checkpoint file name, or `undefined` for other names. */
export function checkpointIdOf(name: string): number | undefined {
  const match = CHECKPOINT.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** The id of a base file name, or `undefined` for other names. */
export function baseIdOf(name: string): number | undefined {
  const match = BASE.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** The name of the merged state changes of checkpoints `firstId` to `lastId`. */
export function mergedName(firstId: number, lastId: number): string {
  return `${PREFIX}inc-${pad(firstId)}-${pad(lastId)}.sfc`;
}

/**
 * The ids of the checkpoints whose state changes a file holds: one id for a checkpoint, the range
 * of a merged file; `undefined` for other names (bases included).
 */
export function changeSpanOf(name: string): { first: number; last: number } | undefined {
  const id = checkpointIdOf(name);
  if (id !== undefined) return { first: id, last: id };
  const match = MERGED.exec(name);
  return match === null ? undefined : { first: Number(match[1]), last: Number(match[2]) };
}

/** True for the files compaction writes: full bases and merged state changes. */
export function isCompactionOutput(name: string): boolean {
  return BASE.test(name) || MERGED.test(name);
}
