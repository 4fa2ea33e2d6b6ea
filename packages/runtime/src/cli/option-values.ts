/**
 * The building blocks of the `statefun` options pipeline: a raw value and where it came from (a
 * flag, or an environment variable), and a collector that parses raw values and gathers every
 * problem, so that all bad values are reported at once, in one style:
 * `<flag or variable>: expected <what>, found "<value>"`.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { parseDuration } from "../config/module/duration.js";

/** Environment variables, by name. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A raw value and its source: the flag's name, or `environment variable <NAME>`. */
export interface Raw {
  readonly value: string;
  readonly from: string;
}

/** The value of an environment variable; unset and empty are the same. */
export function fromEnv(env: Env, key: string): Raw | undefined {
  const text = env[key];
  return text === undefined || text === ""
    ? undefined
    : { value: text, from: `environment variable ${key}` };
}

/** The flag's value if given, else the environment variable's. */
export function pick(
  flag: string,
  flagValue: string | undefined,
  env: Env,
  key: string,
): Raw | undefined {
  return flagValue === undefined ? fromEnv(env, key) : { value: flagValue, from: flag };
}

/** Parses raw values, collecting a problem for each bad one; parsers return `undefined` then. */
export interface Problems {
  /** Records that `raw` is not `expected`. */
  readonly invalid: (raw: Raw, expected: string) => undefined;
  /** Records a problem in its own words. */
  readonly add: (problem: string) => void;
  /** A decimal integer from `min` to `max`. */
  readonly integer: (
    raw: Raw | undefined,
    min: number,
    max: number,
    expected: string,
  ) => number | undefined;
  /** One of `allowed`, exactly. */
  readonly oneOf: <T extends string>(raw: Raw | undefined, allowed: readonly T[]) => T | undefined;
  /** A Flink duration (`parseDuration`) from `minMs` to `maxMs`, in milliseconds. */
  readonly duration: (
    raw: Raw | undefined,
    minMs: number,
    maxMs: number,
    expected: string,
  ) => number | undefined;
  /**
   * @throws StatefunError `invalid-config` when a problem was recorded: its message is the
   *   problem, or with several, `invalid options (N problems):` and one problem per line.
   */
  readonly throwIfAny: () => void;
}

/** Creates an empty {@link Problems} collector. */
export function createProblems(): Problems {
  const problems: string[] = [];
  const invalid = (raw: Raw, expected: string): undefined => {
    problems.push(`${raw.from}: expected ${expected}, found ${JSON.stringify(raw.value)}`);
    return undefined;
  };
  return {
    invalid,
    add: (problem) => void problems.push(problem),
    integer(raw, min, max, expected) {
      if (raw === undefined) return undefined;
      const value = /^\d+$/.test(raw.value.trim()) ? Number(raw.value) : Number.NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max
        ? value
        : invalid(raw, expected);
    },
    oneOf<T extends string>(raw: Raw | undefined, allowed: readonly T[]) {
      if (raw === undefined) return undefined;
      return (allowed as readonly string[]).includes(raw.value)
        ? (raw.value as T)
        : invalid(raw, `one of ${allowed.join(", ")}`);
    },
    duration(raw, minMs, maxMs, expected) {
      if (raw === undefined) return undefined;
      let millis: number;
      try {
        millis = parseDuration(raw.value);
      } catch {
        return invalid(raw, expected);
      }
      return millis >= minMs && millis <= maxMs ? millis : invalid(raw, expected);
    },
    throwIfAny() {
      if (problems.length === 0) return;
      const message =
        problems.length === 1
          ? (problems[0] as string)
          : `invalid options (${problems.length} problems):\n${problems.map((p) => `  ${p}`).join("\n")}`;
      throw new StatefunError("invalid-config", message, { details: { problems: [...problems] } });
    },
  };
}
