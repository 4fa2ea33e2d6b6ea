/**
 * Options of the S3 checkpoint storage: what users pass (defaults and units documented here), the
 * pure function that validates them into resolved options where every field is set, and the
 * parser of `s3://bucket/prefix?endpoint=...` URLs (the form used on the command line).
 */
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import { checkObjectName } from "@statefun-ts/runtime";

/** Access keys for S3. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** For temporary credentials. */
  readonly sessionToken?: string;
}

/** Options of {@link createS3CheckpointStorage}. */
export interface S3CheckpointStorageOptions {
  /** The bucket; it must exist. */
  readonly bucket: string;
  /**
   * Key prefix of the objects, like a folder: `checkpoints/app-1` stores object `chk-1` under key
   * `checkpoints/app-1/chk-1`. A trailing `/` is added when missing. Default: none (keys are the
   * object names).
   */
  readonly prefix?: string;
  /**
   * URL of an S3-compatible server (`http://127.0.0.1:4569`, `https://minio.example:9000`).
   * Default: AWS S3 in {@link region}.
   */
  readonly endpoint?: string;
  /** The region. Default: `AWS_REGION` from the environment, else `us-east-1`. */
  readonly region?: string;
  /**
   * Address buckets in the path (`endpoint/bucket/key`) instead of the host name
   * (`bucket.endpoint/key`). Default: true when {@link endpoint} is set (S3-compatible servers
   * mostly need it), false for AWS.
   */
  readonly forcePathStyle?: boolean;
  /** Access keys. Default: the AWS SDK's default chain (environment, shared files, roles). */
  readonly credentials?: S3Credentials;
  /**
   * Objects larger than this are uploaded in parts of this size (multipart upload), smaller ones
   * with one PUT. At least 5 MiB (S3's minimum part size). Default: 8 MiB (8,388,608 bytes).
   * Memory used by one write: about 5 parts (4 uploading, 1 being filled).
   */
  readonly partSizeBytes?: number;
  /** Keys requested per page when listing, 1 to 1000. Default: 1000 (S3's maximum). */
  readonly listPageSize?: number;
  /**
   * A request fails when connecting takes this long, or when its connection then carries nothing
   * for this long, in ms: a server that stops answering cannot hold an operation (a checkpoint, a
   * lease renewal, a restore) for ever. The SDK retries a failed request. Default: 120000 (2 min).
   */
  readonly timeoutMs?: number;
}

/** {@link S3CheckpointStorageOptions} with every field set; `prefix` is empty or ends with `/`. */
export interface ResolvedS3CheckpointStorageOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly credentials: S3Credentials | undefined;
  readonly partSizeBytes: number;
  readonly listPageSize: number;
  readonly timeoutMs: number;
}

/** S3's smallest part size for multipart uploads: 5 MiB. */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** The default part size of multipart uploads: 8 MiB. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** The default (and largest) page size of listings. */
export const DEFAULT_LIST_PAGE_SIZE = 1000;
/** The default time a request may wait for its connection or for data, in ms: 2 minutes. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** The region used when neither the options nor `AWS_REGION` name one. */
export const DEFAULT_REGION = "us-east-1";

function invalid(option: string, expected: string, found: unknown): StatefunError {
  return new StatefunError(
    "invalid-config",
    `s3 checkpoint storage option ${option}: expected ${expected}, found ${JSON.stringify(found) ?? String(found)}`,
    { details: { option, expected, found: String(found) } },
  );
}

function checkString(option: string, value: unknown, expected: string): string {
  if (typeof value !== "string" || value.length === 0) throw invalid(option, expected, value);
  return value;
}

function checkInteger(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function resolvePrefix(value: unknown): string {
  if (value === undefined || value === "") return "";
  const expected = "a key prefix of non-empty segments separated by /, without a leading /";
  const prefix = checkString("prefix", value, expected);
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  try {
    checkObjectName(trimmed, "s3");
  } catch (error) {
    if (isStatefunError(error)) throw invalid("prefix", expected, value);
    throw error;
  }
  return `${trimmed}/`;
}

function resolveEndpoint(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const expected = "an http:// or https:// URL";
  const text = checkString("endpoint", value, expected);
  if (!URL.canParse(text)) throw invalid("endpoint", expected, value);
  const url = new URL(text);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalid("endpoint", expected, value);
  if (url.username !== "" || url.password !== "") {
    throw invalid(
      "endpoint",
      `${expected} without credentials`,
      `${url.protocol}//***@${url.host}`,
    );
  }
  return text;
}

function resolveCredentials(value: unknown): S3Credentials | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw invalid("credentials", "an object with accessKeyId and secretAccessKey", value);
  }
  const { accessKeyId, secretAccessKey, sessionToken } = value as Record<string, unknown>;
  const hidden = (v: unknown) => (typeof v === "string" ? "(a string)" : v);
  if (typeof accessKeyId !== "string" || accessKeyId.length === 0) {
    throw invalid("credentials.accessKeyId", "a non-empty string", hidden(accessKeyId));
  }
  if (typeof secretAccessKey !== "string" || secretAccessKey.length === 0) {
    throw invalid("credentials.secretAccessKey", "a non-empty string", hidden(secretAccessKey));
  }
  if (sessionToken !== undefined && typeof sessionToken !== "string") {
    throw invalid("credentials.sessionToken", "a string", hidden(sessionToken));
  }
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}

/**
 * Validates S3 checkpoint storage options and fills in defaults; reads `AWS_REGION` from `env`
 * when no region is given. Never mutates its input.
 *
 * @param env The environment. Default: `process.env`.
 * @throws StatefunError `invalid-config` naming the option, what was expected and what was found
 *   (secrets are never echoed).
 */
export function resolveS3CheckpointStorageOptions(
  options: S3CheckpointStorageOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedS3CheckpointStorageOptions {
  const bucketRule = "a bucket name of 3 to 63 lowercase letters, digits, '.' and '-'";
  const bucket = checkString("bucket", options.bucket, bucketRule);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw invalid("bucket", bucketRule, bucket);
  const endpoint = resolveEndpoint(options.endpoint);
  const envRegion = env["AWS_REGION"];
  const region = checkString(
    "region",
    options.region ?? (envRegion === undefined || envRegion === "" ? DEFAULT_REGION : envRegion),
    "a region name such as us-east-1",
  );
  const forcePathStyle: unknown = options.forcePathStyle ?? endpoint !== undefined;
  if (typeof forcePathStyle !== "boolean") {
    throw invalid("forcePathStyle", "true or false", forcePathStyle);
  }
  return {
    bucket,
    prefix: resolvePrefix(options.prefix),
    endpoint,
    region,
    forcePathStyle,
    credentials: resolveCredentials(options.credentials),
    partSizeBytes: checkInteger(
      "partSizeBytes",
      options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
      MIN_PART_SIZE_BYTES,
      5 * 1024 ** 3,
    ),
    listPageSize: checkInteger(
      "listPageSize",
      options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE,
      1,
      1000,
    ),
    timeoutMs: checkInteger("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 86_400_000),
  };
}
