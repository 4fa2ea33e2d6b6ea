/**
 * Durations in module.yaml, parsed exactly like Flink's `TimeUtils.parseDuration` (StateFun
 * reference §3.2) and returned in milliseconds, the unit used everywhere in the runtime.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** What a duration looks like, as the *expected* phrase of error messages. */
export const DURATION_EXPECTED = 'a duration such as "2 min" or "500ms"';

/** The accepted syntax, appended to duration error messages. */
export const DURATION_SYNTAX =
  "a duration is a whole number, optional spaces and an optional unit (d, h, m or min, s or " +
  "sec, ms, µs, ns, or their long forms such as minutes); without a unit it is in milliseconds";

const NANOS_PER_MS = 1_000_000n;

/**
 * Nanoseconds per unit label. The label set is Flink's: each unit has short labels and long
 * labels; only the long ones take a plural `s`. `mins`, `hrs` and the Greek letter mu (U+03BC)
 * are therefore rejected, as in Flink; `µ` is MICRO SIGN (U+00B5).
 */
const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map(
  (
    [
      [86_400_000_000_000n, ["d"], ["day"]],
      [3_600_000_000_000n, ["h"], ["hour"]],
      [60_000_000_000n, ["min", "m"], ["minute"]],
      [1_000_000_000n, ["s"], ["sec", "second"]],
      [1_000_000n, ["ms"], ["milli", "millisecond"]],
      [1_000n, ["µs"], ["micro", "microsecond"]],
      [1n, ["ns"], ["nano", "nanosecond"]],
    ] as const
  ).flatMap(([nanos, singular, plural]) => [
    ...singular.map((label) => [label, nanos] as const),
    ...plural.flatMap((label) => [[label, nanos] as const, [`${label}s`, nanos] as const]),
  ]),
);

/**
 * Parses a module.yaml duration and returns it in milliseconds.
 *
 * Syntax (Flink `TimeUtils`): leading and trailing whitespace is ignored; then ASCII digits,
 * optional whitespace, and an optional case-insensitive unit (`d`, `day(s)`; `h`, `hour(s)`; `m`,
 * `min`, `minute(s)`; `s`, `sec(s)`, `second(s)`; `ms`, `milli(s)`, `millisecond(s)`; `µs`,
 * `micro(s)`, `microsecond(s)`; `ns`, `nano(s)`, `nanosecond(s)`). Without a unit the number is in
 * milliseconds. A number (a bare YAML integer) is milliseconds too. Decimals, signs, exponents
 * and unknown units are rejected.
 *
 * Sub-millisecond values (`µs`, `ns`) are rounded **up** to the next whole millisecond, so a
 * non-zero duration never becomes zero (`1ns` → 1 ms, `1500µs` → 2 ms, `0ns` → 0 ms). Results
 * above `Number.MAX_SAFE_INTEGER` milliseconds are rejected.
 *
 * @param text the YAML value: a string, or a non-negative integer number of milliseconds.
 * @returns the duration in milliseconds (a non-negative safe integer).
 * @throws StatefunError `invalid-config` describing the accepted syntax.
 */
export function parseDuration(text: string | number): number {
  const millis = tryParseDuration(text);
  if (millis === undefined) {
    throw new StatefunError(
      "invalid-config",
      `expected ${DURATION_EXPECTED}, found ${JSON.stringify(text)}; ${DURATION_SYNTAX}`,
      { details: { expected: DURATION_EXPECTED, found: text } },
    );
  }
  return millis;
}

/**
 * Like {@link parseDuration}, but returns `undefined` instead of throwing. Used by the schema
 * validation, which reports problems itself.
 */
export function tryParseDuration(text: unknown): number | undefined {
  if (typeof text === "number") {
    return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  }
  if (typeof text !== "string") return undefined;
  const match = /^([0-9]+)(.*)$/su.exec(text.trim());
  if (match === null) return undefined;
  const [, digits = "", unitLabel = ""] = match;
  const unit = unitLabel.trim().toLowerCase();
  const nanosPerUnit = unit === "" ? NANOS_PER_MS : UNIT_NANOS.get(unit);
  if (nanosPerUnit === undefined) return undefined;
  const nanos = BigInt(digits) * nanosPerUnit;
  const millis = (nanos + NANOS_PER_MS - 1n) / NANOS_PER_MS;
  return millis <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(millis) : undefined;
}

/** Formats milliseconds for messages: `60000` → `"1 min"`, `1500` → `"1500 ms"`. */
export function formatDurationMs(millis: number): string {
  const units = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ] as const;
  for (const [size, label] of units) {
    if (millis >= size && millis % size === 0) return `${millis / size} ${label}`;
  }
  return `${millis} ms`;
}
