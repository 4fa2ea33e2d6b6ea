/**
 * The pure part of the playground ingress (reference §3.8, checklist G1): from a request's path
 * and `Content-Type` values to the target address and the message typename, or to the 400 reason.
 * No sockets here, so every rule is testable on its own.
 */
import type { Address } from "@statefun-ts/protocol";
import {
  BUILTIN_TYPENAMES,
  addressFromParts,
  isStatefunError,
  isTypeName,
} from "@statefun-ts/protocol";

/** The typename of messages whose request has no `application/vnd.*` content type. */
export const DEFAULT_INGRESS_TYPENAME: string = BUILTIN_TYPENAMES.string;

const VND_PREFIX = "application/vnd.";
const SEGMENT_NAMES = ["namespace", "type", "id"] as const;

/** A parse result: the value, or why the request is malformed (answered 400). */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly code: "invalid-argument" | "invalid-typename";
      readonly reason: string;
    };

/**
 * Parses the request target `/<namespace>/<type>/<id>` (query string ignored). The leading `/`
 * is dropped and the rest split on `/`; exactly three non-empty segments are required, one
 * trailing `/` is tolerated. Each segment is percent-decoded after splitting, so an id may
 * contain `/` as `%2F`.
 */
export function parseIngressTarget(url: string): Parsed<Address> {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  const expected = "expected a path /<namespace>/<type>/<id>";
  if (!path.startsWith("/")) {
    return fail("invalid-argument", `${expected}, found ${JSON.stringify(path)}`);
  }
  const segments = path.slice(1).split("/");
  if (segments.length === 4 && segments[3] === "") segments.pop();
  if (segments.length !== 3) {
    return fail(
      "invalid-argument",
      `${expected}, found ${segments.length} segment(s) in ${JSON.stringify(path)}`,
    );
  }
  const decoded: string[] = [];
  for (let i = 0; i < 3; i++) {
    const raw = segments[i] as string;
    const name = SEGMENT_NAMES[i] as string;
    if (raw === "") {
      return fail(
        "invalid-argument",
        `${expected}, found an empty ${name} in ${JSON.stringify(path)}`,
      );
    }
    try {
      decoded.push(decodeURIComponent(raw));
    } catch {
      return fail(
        "invalid-argument",
        `malformed percent-encoding in the ${name} ${JSON.stringify(raw)} of ${JSON.stringify(path)}`,
      );
    }
  }
  try {
    return { ok: true, value: addressFromParts(...(decoded as [string, string, string])) };
  } catch (error) {
    const code = isStatefunError(error, "invalid-typename")
      ? "invalid-typename"
      : "invalid-argument";
    return fail(code, `invalid target in ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}

/**
 * The message typename: the first `Content-Type` value starting with `application/vnd.`
 * (compared case-insensitively), that prefix removed, and media-type parameters (`; ...`) and
 * surrounding spaces dropped. {@link DEFAULT_INGRESS_TYPENAME} when there is none.
 *
 * @param contentTypes - every `Content-Type` header value of the request, in order.
 */
export function parseIngressTypename(contentTypes: readonly string[]): Parsed<string> {
  const vnd = contentTypes.find((value) => value.trimStart().toLowerCase().startsWith(VND_PREFIX));
  if (vnd === undefined) return { ok: true, value: DEFAULT_INGRESS_TYPENAME };
  const semicolon = vnd.indexOf(";");
  const typename = (semicolon === -1 ? vnd : vnd.slice(0, semicolon))
    .trim()
    .slice(VND_PREFIX.length);
  if (!isTypeName(typename)) {
    return fail(
      "invalid-typename",
      `expected Content-Type application/vnd.<namespace>/<name>, found ${JSON.stringify(vnd)}`,
    );
  }
  return { ok: true, value: typename };
}

function fail(code: "invalid-argument" | "invalid-typename", reason: string): Parsed<never> {
  return { ok: false, code, reason };
}
