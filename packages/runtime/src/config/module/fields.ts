/**
 * Zod building blocks for module.yaml specs, and the translation of zod issues into
 * "expected X, found Y" problems. Convention: a schema's error message is the *expected* phrase;
 * what was *found* is described from the YAML value at the issue's path, unless the issue carries
 * `params.found`.
 */
import { z } from "zod";
import type { ZodType } from "zod";
import { DURATION_EXPECTED, DURATION_SYNTAX, tryParseDuration } from "./duration.js";
import { describeValue } from "./problems.js";
import type { FieldPath } from "./problems.js";

/**
 * A schema issue in module terms: where, what was expected, what was found, and an optional
 * hint (custom issues may set `params.found` and `params.hint`).
 */
export interface SpecIssue {
  /** Path from the validated value's root. */
  readonly path: FieldPath;
  readonly expected: string;
  readonly found: string;
  readonly hint: string | undefined;
}

/** The result of {@link validateSpec}: the parsed value, or the issues. */
export type SpecValidation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly SpecIssue[] };

const TYPE_PHRASES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

/** Fallback expected-phrase for issues whose schema has no message of its own. */
const expectedPhrase: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_PHRASES[issue.expected] ?? `a value of type ${issue.expected}`;
    case "too_small":
      return issue.origin === "array"
        ? `a list of at least ${issue.minimum} items`
        : issue.origin === "string"
          ? `a string of at least ${issue.minimum} characters`
          : `a number ${issue.inclusive === true ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `at most ${issue.maximum} ${issue.origin === "array" ? "items" : "characters"}`
        : `a number ${issue.inclusive === true ? "<=" : "<"} ${issue.maximum}`;
    case "invalid_value":
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "custom":
    case "invalid_element":
    case "invalid_format":
    case "invalid_key":
    case "invalid_union":
    case "not_multiple_of":
    case "unrecognized_keys":
      return undefined; // keep zod's message: our schemas give these their own
  }
};

/** The value at `path` inside `root`, or `undefined` when the path does not exist. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Validates `value` with `schema` and words every issue as expected/found. */
export function validateSpec<T>(schema: ZodType<T>, value: unknown): SpecValidation<T> {
  const result = schema.safeParse(value, { error: expectedPhrase });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue): SpecIssue => {
    const path = issue.path.filter((key) => typeof key !== "symbol");
    const params = issue.code === "custom" ? issue.params : undefined;
    const text = (key: string): string | undefined =>
      typeof params?.[key] === "string" ? params[key] : undefined;
    return {
      path,
      expected: issue.message,
      found: text("found") ?? describeValue(valueAt(value, path)),
      hint: text("hint"),
    };
  });
  return { ok: false, issues };
}

/** Options of {@link durationSchema}. */
export interface DurationSchemaOptions {
  /** Whether `0` is allowed; timeouts must be non-zero (StateFun). Default `false`. */
  readonly allowZero?: boolean;
}

/**
 * A module.yaml duration (Flink syntax, see `parseDuration`) parsed to milliseconds. By default
 * zero is rejected, because StateFun rejects zero timeouts.
 */
export function durationSchema(options: DurationSchemaOptions = {}): ZodType<number> {
  const allowZero = options.allowZero ?? false;
  return z.union([z.string(), z.number()], { error: DURATION_EXPECTED }).transform((text, ctx) => {
    const millis = tryParseDuration(text);
    if (millis === undefined) {
      const params = { hint: DURATION_SYNTAX };
      ctx.addIssue({ code: "custom", message: DURATION_EXPECTED, input: text, params });
      return z.NEVER;
    }
    if (millis === 0 && !allowZero) {
      ctx.addIssue({ code: "custom", message: "a duration larger than 0", input: text });
      return z.NEVER;
    }
    return millis;
  });
}

/** A string that is not empty (after trimming). */
export function nonEmptyString(expected: string): ZodType<string> {
  return z.string({ error: expected }).refine((text) => text.trim() !== "", { error: expected });
}

/** The phrase used for playground ports. */
export const PORT_EXPECTED =
  "a TCP port number from 1 to 65535 (or 0 for an ephemeral port, chosen when the runtime starts)";

/** An integer from `min` to `max` (inclusive); any other value is reported as `expected`. */
export function intRangeSchema(expected: string, min: number, max: number): ZodType<number> {
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

/** A TCP port: 1..65535, or 0 for an ephemeral port. */
export const portSchema: ZodType<number> = intRangeSchema(PORT_EXPECTED, 0, 65_535);
