/**
 * The production {@link Logger}: pino writing one JSON object per line (`level` as a label,
 * `time` as ISO-8601, `msg`, base field `service`), or, for a terminal, the same lines rendered
 * as `time LEVEL msg key=value …` by a small formatter in front of the destination (no
 * pino-pretty dependency). Options go through {@link resolveLoggerOptions}.
 */
import { StatefunError } from "@statefun-ts/protocol";
import pino from "pino";
import type { Logger } from "./logger.js";

/** The levels a logger accepts, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A value of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of {@link createLogger}. Every field is optional. */
export interface LoggerOptions {
  /** Least severe level written. Default: `"info"`; env `STATEFUN_LOG_LEVEL`. */
  readonly level?: LogLevel;
  /** Human-readable single lines instead of JSON lines. Default: false. */
  readonly pretty?: boolean;
  /** Where lines go: a stream, or a file descriptor written synchronously. Default: 1 (stdout). */
  readonly destination?: NodeJS.WritableStream | number;
}

/** {@link LoggerOptions} with every field set. */
export interface ResolvedLoggerOptions {
  readonly level: LogLevel;
  readonly pretty: boolean;
  readonly destination: NodeJS.WritableStream | number;
}

function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

function invalid(where: string, expected: string, found: unknown): StatefunError {
  return new StatefunError(
    "invalid-config",
    `${where}: expected ${expected}, found ${JSON.stringify(found) ?? String(found)}`,
    { details: { option: where, expected, found } },
  );
}

/**
 * Fills in defaults, applies `STATEFUN_LOG_LEVEL` from `env` (an explicit `level` wins), and
 * validates. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option or variable and the allowed values.
 */
export function resolveLoggerOptions(
  options: LoggerOptions = {},
  env: Readonly<Record<string, string | undefined>> = {},
): ResolvedLoggerOptions {
  const allowed = `one of ${LOG_LEVELS.join(", ")}`;
  const envLevel = env.STATEFUN_LOG_LEVEL === "" ? undefined : env.STATEFUN_LOG_LEVEL;
  if (options.level === undefined && envLevel !== undefined && !isLogLevel(envLevel)) {
    throw invalid("environment variable STATEFUN_LOG_LEVEL", allowed, envLevel);
  }
  const level: unknown = options.level ?? envLevel ?? "info";
  if (!isLogLevel(level)) throw invalid("logger option level", allowed, level);
  const pretty: unknown = options.pretty ?? false;
  if (typeof pretty !== "boolean") throw invalid("logger option pretty", "a boolean", pretty);
  const destination = options.destination ?? 1;
  const isFd =
    typeof destination === "number" && Number.isSafeInteger(destination) && destination >= 0;
  const isStream =
    typeof destination === "object" &&
    destination !== null &&
    typeof (destination as { write?: unknown }).write === "function";
  if (!isFd && !isStream) {
    throw invalid(
      "logger option destination",
      "a writable stream or a file descriptor ≥ 0",
      destination,
    );
  }
  return { level, pretty, destination };
}

/** Where pino writes: something with a `write(line)` method. */
interface LineSink {
  write(line: string): unknown;
}

const PRETTY_SKIPPED = new Set(["time", "level", "msg", "service"]);
const BARE_VALUE = /^[^\s"=]+$/;

/** Renders one JSON log line as `time LEVEL msg key=value …`; returns other text unchanged. */
function prettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof record.level === "string" ? record.level.toUpperCase() : "?";
  const text = (value: unknown) =>
    typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  const parts = [text(record.time), level.padEnd(5), text(record.msg)];
  for (const [key, value] of Object.entries(record)) {
    if (PRETTY_SKIPPED.has(key)) continue;
    const shown =
      typeof value === "string" && BARE_VALUE.test(value) ? value : JSON.stringify(value);
    parts.push(`${key}=${shown}`);
  }
  return `${parts.join(" ")}\n`;
}

/**
 * Creates a pino-backed logger. Lines are JSON objects such as
 * `{"level":"info","time":"2025-01-01T00:00:00.000Z","service":"statefun","address":"ns/f/1","msg":"…"}`.
 * A file descriptor destination is written synchronously, so no line is lost when the process
 * exits right after logging. Reads `STATEFUN_LOG_LEVEL` from the process environment.
 *
 * @throws StatefunError `invalid-config` for an unknown level or a bad destination.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const resolved = resolveLoggerOptions(options, process.env);
  const target: LineSink =
    typeof resolved.destination === "number"
      ? pino.destination({ dest: resolved.destination, sync: true })
      : resolved.destination;
  const sink: LineSink = resolved.pretty
    ? { write: (line: string) => target.write(prettyLine(line)) }
    : target;
  return pino(
    {
      level: resolved.level,
      base: { service: "statefun" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
}
