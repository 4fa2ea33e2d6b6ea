/**
 * Typenames (`<namespace>/<name>`) and function types. Parsing follows the JVM runtime's rule
 * (exactly one `/`, both parts non-empty) so that anything we accept the official runtime accepts.
 */
import { StatefunError } from "./errors.js";

/** A parsed typename. */
export interface TypeName {
  /** The part before the `/`. */
  readonly namespace: string;
  /** The part after the `/`. */
  readonly name: string;
  /** `<namespace>/<name>`. */
  readonly typename: string;
}

/**
 * Parses a typename of the form `<namespace>/<name>`.
 *
 * @throws StatefunError `invalid-typename` when the text does not have exactly one `/` with
 *   non-empty parts on both sides.
 */
export function parseTypeName(typename: string): TypeName {
  const slash = typename.indexOf("/");
  if (slash <= 0 || slash === typename.length - 1 || typename.indexOf("/", slash + 1) !== -1) {
    throw new StatefunError(
      "invalid-typename",
      `expected a typename of the form <namespace>/<name>, found ${JSON.stringify(typename)}`,
    );
  }
  return { namespace: typename.slice(0, slash), name: typename.slice(slash + 1), typename };
}

/** True when `typename` is a valid `<namespace>/<name>` typename. */
export function isTypeName(typename: string): boolean {
  const slash = typename.indexOf("/");
  return slash > 0 && slash < typename.length - 1 && typename.indexOf("/", slash + 1) === -1;
}
