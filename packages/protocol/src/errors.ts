/**
 * The project's error taxonomy: one base class with a closed list of codes. Retryability is a
 * property of the code, so callers decide whether to retry without string matching.
 */

/** Every error code the project raises, with whether an operation failing with it may be retried. */
export const ERROR_CODES = {
  /** A caller passed a value the API does not accept. */
  "invalid-argument": { retryable: false },
  /** A typename is not of the form `<namespace>/<name>`. */
  "invalid-typename": { retryable: false },
  /** Bytes on the wire could not be decoded as the expected protocol message. */
  "protocol-error": { retryable: true },
  /** A value's typename differs from the one it must have (state type, egress payload, `Message.as`). */
  "type-mismatch": { retryable: false },
  /** No function is bound to a function type. */
  "unknown-function-type": { retryable: false },
  /** No egress is declared with an id. */
  "unknown-egress": { retryable: false },
  /** Configuration (module.yaml, runtime options) is invalid. */
  "invalid-config": { retryable: false },
  /** User function code threw; the invocation is retried with backoff. */
  "function-failed": { retryable: true },
  /** A remote function endpoint could not be reached or answered with an error. */
  "remote-invocation-failed": { retryable: true },
  /** A function produced an effect the runtime must refuse (unknown state, duplicate token, negative delay). */
  "invalid-effect": { retryable: false },
  /** A component was used in a lifecycle state that does not allow the operation. */
  "illegal-state": { retryable: false },
  /** A bound (backlog, in-flight requests, payload size) was reached. */
  "capacity-exceeded": { retryable: true },
  /** Persistent data (a checkpoint, a savepoint, a state file) is corrupt or unreadable. */
  "corrupt-data": { retryable: false },
  /** Storage I/O failed. */
  "storage-failed": { retryable: true },
  /** The component is shutting down. */
  shutdown: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of a {@link StatefunError}. */
export interface StatefunErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown;
  /** Structured details for logs and API responses (address, file, field, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of the project: a code from a closed list, a message, an optional cause. */
export class StatefunError extends Error {
  /** What kind of failure this is. */
  readonly code: ErrorCode;
  /** Structured details (address, file, field, ...), safe to log. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: StatefunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StatefunError";
    this.code = code;
    this.details = options.details ?? {};
  }

  /** Whether the failed operation may succeed when retried. */
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** True when `error` is a {@link StatefunError}, optionally with the given code. */
export function isStatefunError(error: unknown, code?: ErrorCode): error is StatefunError {
  return error instanceof StatefunError && (code === undefined || error.code === code);
}

/** Marks a branch that the type checker proves unreachable; throws if reached at run time. */
export function assertNever(value: never, what = "value"): never {
  throw new StatefunError("illegal-state", `unexpected ${what}: ${JSON.stringify(value)}`);
}
