/**
 * Configuration problems: how one is located and worded ("file: document N (kind K): path:
 * expected X, found Y"), and how all problems of a load become one `invalid-config` error.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** One thing wrong with the module configuration, located as precisely as known. */
export interface ConfigProblem {
  /** The module file as the user named it; for application-wide problems, every file, joined. */
  readonly file: string;
  /** 1-based document number in the file, or `undefined` for file- or application-wide problems. */
  readonly document: number | undefined;
  /** The document's `kind`, when known. */
  readonly kind: string | undefined;
  /** Field path from the document root (`spec.transport.call`, `spec.topics[0]`); `""` for none. */
  readonly path: string;
  /** What was expected, as a phrase (`a duration such as "2 min"`). */
  readonly expected: string;
  /** What was found, as a phrase (`"fast"`, `nothing`, `a list`). */
  readonly found: string;
  /** 1-based line of the offending YAML node, when known. */
  readonly line: number | undefined;
  /** 1-based column of the offending YAML node, when known. */
  readonly column: number | undefined;
  /** Extra advice appended to the message (e.g. the duration syntax), if any. */
  readonly hint?: string;
}

/** A field path: property names and list indices, as in zod issues. */
export type FieldPath = readonly (string | number)[];

/** Formats a field path: `["spec", "topics", 0]` → `spec.topics[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** Describes a YAML value for a message: `"fast"`, `12`, `nothing`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** Formats one problem on one line. */
export function formatProblem(problem: ConfigProblem): string {
  const parts = [problem.file];
  if (problem.document !== undefined) {
    const kind = problem.kind === undefined ? "" : ` (kind ${problem.kind})`;
    parts.push(`document ${problem.document}${kind}`);
  }
  if (problem.path !== "") parts.push(problem.path);
  const position =
    problem.line === undefined
      ? ""
      : ` (line ${problem.line}${problem.column === undefined ? "" : `, column ${problem.column}`})`;
  const hint = problem.hint === undefined ? "" : `; ${problem.hint}`;
  return `${parts.join(": ")}: expected ${problem.expected}, found ${problem.found}${position}${hint}`;
}

/**
 * Builds the one error reporting every problem: a single problem is the whole message; several
 * are listed one per line. `details` carries the first problem's fields and `problems` (all).
 */
export function createConfigError(
  problems: readonly ConfigProblem[],
  cause?: unknown,
): StatefunError {
  const [first] = problems;
  if (first === undefined) {
    return new StatefunError("illegal-state", "createConfigError called without problems");
  }
  const message =
    problems.length === 1
      ? formatProblem(first)
      : `invalid module configuration (${problems.length} problems):\n` +
        problems.map((problem) => `  ${formatProblem(problem)}`).join("\n");
  return new StatefunError("invalid-config", message, {
    details: {
      file: first.file,
      document: first.document,
      kind: first.kind,
      path: first.path,
      expected: first.expected,
      found: first.found,
      line: first.line,
      column: first.column,
      problems,
    },
    ...(cause === undefined ? {} : { cause }),
  });
}
