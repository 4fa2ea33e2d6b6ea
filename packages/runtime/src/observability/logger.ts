/**
 * The structured logger the runtime writes to. Library code never prints: a logger is injected.
 * The interface is the subset of pino that the runtime uses, so a pino logger can be passed as is.
 */

/** Log fields: a flat object of JSON-serializable values. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One log method: fields first, then a message. */
export type LogMethod = (fields: LogFields, message: string) => void;

/** A structured logger. */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

const noop: LogMethod = () => {};

/** A logger that discards everything. The default when none is given. */
export const noopLogger: Logger = {
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  child: () => noopLogger,
};

/** Text for a thrown value that is not an `Error`: strings as is, objects as JSON. */
function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/**
 * Fields describing an error for a log line: message, code and cause chain (at most 5 causes).
 * A thrown value that is not an `Error` is described as a string, objects as JSON.
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: describeThrown(error) };
  const fields: Record<string, unknown> = { error: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") fields.errorCode = code;
  const causes: string[] = [];
  let cause: unknown = error.cause;
  while (cause !== undefined && causes.length < 5) {
    causes.push(cause instanceof Error ? cause.message : describeThrown(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length > 0) fields.causes = causes;
  return fields;
}
