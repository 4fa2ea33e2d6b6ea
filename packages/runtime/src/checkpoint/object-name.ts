/**
 * The rules every `CheckpointStorage` applies to object names, list prefixes and byte
 * ranges, so that a checkpoint written to one storage can be copied to any other (a local
 * directory, an object store) under the same names, and listings sort the same everywhere.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** Longest object name, in UTF-8 bytes (S3 allows 1,024 bytes per key, prefix included). */
export const MAX_OBJECT_NAME_BYTES = 512;
/** Longest segment (the text between two `/`) of an object name, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_SEGMENT_BYTES = 200;

/** Why `name` is not a valid object name, or undefined when it is. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (Buffer.byteLength(name, "utf8") > MAX_OBJECT_NAME_BYTES) {
    return `it is longer than ${MAX_OBJECT_NAME_BYTES} UTF-8 bytes`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name)) return "it contains a control character or `\\`";
  for (const segment of name.split("/")) {
    if (segment.length === 0) return "it has an empty segment (a leading, trailing or double `/`)";
    if (segment.startsWith(".")) return `its segment ${JSON.stringify(segment)} starts with "."`;
    if (Buffer.byteLength(segment, "utf8") > MAX_OBJECT_NAME_SEGMENT_BYTES) {
      return `a segment is longer than ${MAX_OBJECT_NAME_SEGMENT_BYTES} UTF-8 bytes`;
    }
  }
  return undefined;
}

function invalidArgument(message: string, details: Record<string, unknown>): StatefunError {
  return new StatefunError("invalid-argument", message, { details });
}

/**
 * Checks an object name: 1 to {@link MAX_OBJECT_NAME_BYTES} UTF-8 bytes of segments separated by
 * `/`; each segment non-empty, at most {@link MAX_OBJECT_NAME_SEGMENT_BYTES} bytes, not starting
 * with `.` (names starting with `.` are reserved for a storage's own files); no control characters
 * and no `\`. Returns the name.
 *
 * @param location The storage's location, for the error message.
 * @throws StatefunError `invalid-argument` saying what is wrong with the name.
 */
export function checkObjectName(name: unknown, location: string): string {
  const problem = typeof name === "string" ? nameProblem(name) : "it is not a string";
  if (problem !== undefined) {
    throw invalidArgument(
      `checkpoint storage ${location}: invalid object name ${JSON.stringify(name)}: ${problem}`,
      { location, name: String(name) },
    );
  }
  return name as string;
}

/**
 * Checks a `CheckpointStorage.list` prefix: the empty string or the beginning of some valid
 * object name (e.g. `chk-1`, `checkpoints/`, `checkpoints/chk-00`). Returns the prefix.
 *
 * @throws StatefunError `invalid-argument` when no valid name starts with `prefix`.
 */
export function checkObjectPrefix(prefix: unknown, location: string): string {
  if (prefix === "") return prefix;
  const problem =
    typeof prefix !== "string"
      ? "it is not a string"
      : nameProblem(`${prefix}x`) === undefined
        ? undefined
        : "no valid object name starts with it";
  if (problem !== undefined) {
    throw invalidArgument(
      `checkpoint storage ${location}: invalid prefix ${JSON.stringify(prefix)}: ${problem}`,
      { location, prefix: String(prefix) },
    );
  }
  return prefix as string;
}

/** A byte range of an object. */
export interface ByteRange {
  /** First byte, from 0. */
  readonly offset: number;
  /** Number of bytes, 0 or more. */
  readonly length: number;
}

/**
 * Checks that `range` has a non-negative integer offset and length.
 *
 * @throws StatefunError `invalid-argument` naming the object and the range.
 */
export function checkByteRange(range: ByteRange, name: string, location: string): ByteRange {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw invalidArgument(
      `checkpoint storage ${location}: read ${name}: invalid range ${JSON.stringify(range)}: ` +
        "expected a non-negative integer offset and length",
      { location, name, offset, length },
    );
  }
  return range;
}

/**
 * The error for a range that extends past the end of an object.
 */
export function rangeBeyondEnd(
  range: ByteRange,
  sizeBytes: number,
  name: string,
  location: string,
): StatefunError {
  const end = range.offset + range.length;
  return invalidArgument(
    `checkpoint storage ${location}: read ${name}: range [${range.offset}, ${end}) extends ` +
      `past the end of the object (${sizeBytes} bytes)`,
    { location, name, offset: range.offset, length: range.length, sizeBytes },
  );
}

/**
 * Orders object names by their UTF-8 bytes, the order S3 lists keys in; every storage's
 * `CheckpointStorage.list` returns names in this order.
 */
export function compareObjectNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
