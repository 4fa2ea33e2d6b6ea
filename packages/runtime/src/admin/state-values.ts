/**
 * How the admin API shows a stored state value: built-in StateFun types decoded, UTF-8 JSON
 * parsed, anything else as base64, and values larger than {@link MAX_STATE_VALUE_BYTES} replaced
 * by their size, so that one answer stays bounded however large a value is. Pure: no runtime, no
 * I/O.
 */
import { BUILTIN_TYPES } from "@statefun-ts/protocol";
import type { TypedValue } from "@statefun-ts/protocol";
import type { StoredValue } from "../state/backend.js";

/** The largest value shown in full, in serialized bytes: 1 MiB. Larger values are truncated. */
export const MAX_STATE_VALUE_BYTES = 1024 * 1024;

/**
 * How a value is shown:
 * - `builtin`: an `io.statefun.types/*` value, decoded: `int`, `float` and `double` as JSON
 *   numbers (the non-finite `NaN`, `Infinity` and `-Infinity` as those strings), `long` as a
 *   decimal string (exact over 64 bits), `bool` as a boolean, `string` as a string;
 * - `json`: the bytes are valid UTF-8 and `JSON.parse` of that text gives an object, an array or
 *   a string; the parsed value is shown. Whatever the typename says: JSON is recognised by trying.
 *   Text that parses to a number, boolean or `null` is not taken for JSON (bytes such as `1` or
 *   `true` are as likely to be something else), so it is shown as base64;
 * - `base64`: anything else (binary values, a built-in value that does not decode), as standard
 *   base64 with padding;
 * - `truncated`: the value is larger than the limit; `value` is `{ truncated: true, bytes: n }`.
 */
export type StateValueEncoding = "builtin" | "json" | "base64" | "truncated";

/** A value, shown as its {@link StateValueEncoding} says. */
export interface RenderedValue {
  readonly encoding: StateValueEncoding;
  /** The shown value; for `truncated`, `{ truncated: true, bytes: <serialized size> }`. */
  readonly value: unknown;
}

/** One entry of `GET /v1/state/:namespace/:type/:id`. */
export interface StateValueView extends RenderedValue {
  /** The value spec's name. */
  readonly name: string;
  /** The typename the value was written with. */
  readonly typename: string;
  /** When the value expires, ISO-8601; `null` when it never does. */
  readonly expiresAt: string | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A decoded built-in value as JSON can carry it. */
function jsonSafe(decoded: unknown): unknown {
  if (typeof decoded === "bigint") return decoded.toString();
  if (typeof decoded === "number" && !Number.isFinite(decoded)) return String(decoded);
  return decoded ?? null;
}

/** The value decoded as a built-in type, or `undefined` when it is none or does not decode. */
function decodeBuiltin(value: TypedValue): RenderedValue | undefined {
  const type = BUILTIN_TYPES.get(value.typename);
  if (type === undefined) return undefined;
  try {
    return { encoding: "builtin", value: jsonSafe(value.decodeUnchecked(type)) };
  } catch {
    return undefined;
  }
}

/** The parsed JSON object, array or string that `bytes` hold, or `undefined`. */
function parseJson(bytes: Uint8Array): RenderedValue | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof parsed === "string" || (typeof parsed === "object" && parsed !== null)
    ? { encoding: "json", value: parsed }
    : undefined;
}

/**
 * Shows a value by the rules of {@link StateValueEncoding}.
 *
 * @param maxBytes - the largest serialized size shown in full, in bytes. Default:
 *   {@link MAX_STATE_VALUE_BYTES}.
 */
export function renderValue(value: TypedValue, maxBytes = MAX_STATE_VALUE_BYTES): RenderedValue {
  const bytes = value.bytes;
  if (bytes.byteLength > maxBytes) {
    return { encoding: "truncated", value: { truncated: true, bytes: bytes.byteLength } };
  }
  return (
    decodeBuiltin(value) ??
    parseJson(bytes) ?? { encoding: "base64", value: Buffer.from(bytes).toString("base64") }
  );
}

/** A stored value as the admin API shows it (see {@link renderValue}). */
export function stateValueView(
  stored: StoredValue,
  maxBytes = MAX_STATE_VALUE_BYTES,
): StateValueView {
  const { expiresAtMs } = stored;
  return {
    name: stored.name,
    typename: stored.value.typename,
    expiresAt: Number.isFinite(expiresAtMs) ? new Date(expiresAtMs).toISOString() : null,
    ...renderValue(stored.value, maxBytes),
  };
}
