/**
 * Turns AWS SDK errors into `storage-failed` StatefunErrors that name the storage, the operation,
 * the object, the bucket and the key, with the SDK error as the cause.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** Where a failed operation was working. */
export interface S3ErrorContext {
  /** The storage's `s3://bucket/prefix` location. */
  readonly location: string;
  readonly operation: string;
  /** The object name (or the list prefix). */
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
}

/** The HTTP status of an SDK error, if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== "object" || metadata === null || !("httpStatusCode" in metadata)) {
    return undefined;
  }
  return typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** What went wrong, in words, for the message. */
function reasonOf(error: unknown): string {
  const name = errorName(error);
  if (name === "NoSuchBucket") return "no such bucket";
  if (name === "NoSuchKey" || name === "NotFound" || httpStatusOf(error) === 404) {
    return "no such object";
  }
  if (error instanceof Error) {
    const status = httpStatusOf(error);
    return `${error.name}${status === undefined ? "" : ` (HTTP ${status})`}: ${error.message}`;
  }
  return String(error);
}

/** A `storage-failed` error for an SDK error (or any other) met while doing `context.operation`. */
export function s3Failure(context: S3ErrorContext, cause: unknown): StatefunError {
  const { location, operation, name, bucket, key } = context;
  return new StatefunError(
    "storage-failed",
    `s3 checkpoint storage ${location}: ${operation} ${name} failed (bucket ${bucket}, key ${key}): ${reasonOf(cause)}`,
    { cause, details: { operation, name, bucket, key, httpStatus: httpStatusOf(cause) } },
  );
}
