/**
 * Checkpoint storage in an S3-compatible object store. Object `a/b` is the key `<prefix>a/b`.
 *
 * Invariants (tests cite them):
 * 1. An object appears only when its PUT or its multipart completion succeeds, which S3 makes
 *    atomic: readers and listings never see a partial object, and a replaced object is read
 *    whole in its old or its new version.
 * 2. A write buffers up to one part (`partSizeBytes`); a source that ends within it is sent with
 *    one PutObject, a longer one is streamed as a multipart upload with at most 4 parts in flight,
 *    so memory stays bounded whatever the object's size.
 * 3. When the chunk source throws, the write sends nothing (small objects) or aborts the multipart
 *    upload, and rethrows the source's error; SDK errors become `storage-failed` naming the bucket
 *    and the key.
 * 4. Request and response checksums are computed only when an operation requires them: default
 *    checksums make the SDK send streamed bodies with aws-chunked framing, which S3-compatible
 *    servers such as s3rver store verbatim (65,581 bytes for 65,536), corrupting the object.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { isStatefunError } from "@statefun-ts/protocol";
import {
  checkByteRange,
  checkObjectName,
  checkObjectPrefix,
  compareObjectNames,
  createOperationGuard,
  rangeBeyondEnd,
} from "@statefun-ts/runtime";
import type { ByteRange, CheckpointStorage } from "@statefun-ts/runtime";
import { resolveS3CheckpointStorageOptions } from "./options.js";
import type { S3CheckpointStorageOptions } from "./options.js";
import { httpStatusOf, s3Failure } from "./s3-errors.js";
import { uploadObject } from "./s3-upload.js";

/** A {@link CheckpointStorage} in an S3 bucket. */
export interface S3CheckpointStorage extends CheckpointStorage {
  readonly bucket: string;
  /** The key prefix of the objects: empty or ending with `/`. */
  readonly prefix: string;
}

/** Plain `Uint8Array` view of bytes (same memory), so results compare equal everywhere. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Creates a checkpoint storage in an S3 bucket (which must exist). No request is sent until the
 * first operation.
 *
 * @throws StatefunError `invalid-config` for invalid options.
 */
export function createS3CheckpointStorage(
  options: S3CheckpointStorageOptions,
): S3CheckpointStorage {
  const resolved = resolveS3CheckpointStorageOptions(options);
  const { bucket, prefix, partSizeBytes, listPageSize } = resolved;
  const location = `s3://${bucket}/${prefix}`;
  const config: S3ClientConfig = {
    region: resolved.region,
    forcePathStyle: resolved.forcePathStyle,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: resolved.timeoutMs,
      socketTimeout: resolved.timeoutMs,
    },
  };
  if (resolved.endpoint !== undefined) config.endpoint = resolved.endpoint;
  if (resolved.credentials !== undefined) config.credentials = resolved.credentials;
  const client = new S3Client(config);

  const context = (operation: string, name: string) => ({
    location,
    operation,
    name,
    bucket,
    key: `${prefix}${name}`,
  });

  const { run, close } = createOperationGuard(`s3 checkpoint storage ${location}`);

  /** The object's size from HeadObject; errors name `where`'s operation. */
  const headSize = async (where: ReturnType<typeof context>): Promise<number> => {
    try {
      const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: where.key }));
      if (response.ContentLength === undefined)
        throw new Error("the response has no Content-Length");
      return response.ContentLength;
    } catch (error) {
      throw s3Failure(where, error);
    }
  };

  const read = async (name: string, range: ByteRange | undefined): Promise<Uint8Array> => {
    const where = context("read", name);
    if (range?.length === 0) {
      const size = await headSize(where);
      if (range.offset > size) throw rangeBeyondEnd(range, size, name, location);
      return new Uint8Array(0);
    }
    let bytes: Uint8Array;
    let contentRange: string | undefined;
    let contentLength: number | undefined;
    try {
      const response = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: where.key,
          ...(range === undefined
            ? {}
            : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` }),
        }),
      );
      if (response.Body === undefined) throw new Error("the response has no body");
      bytes = plain(await response.Body.transformToByteArray());
      contentRange = response.ContentRange;
      contentLength = response.ContentLength;
    } catch (error) {
      if (range !== undefined && (httpStatusOf(error) === 416 || isInvalidRange(error))) {
        const size = await headSize(where);
        throw rangeBeyondEnd(range, size, name, location);
      }
      throw s3Failure(where, error);
    }
    if (contentLength !== undefined && bytes.length !== contentLength) {
      throw s3Failure(where, new Error(`received ${bytes.length} of ${contentLength} bytes`));
    }
    if (range === undefined) return bytes;
    if (contentRange === undefined) {
      // The server ignored the Range header and sent the whole object.
      if (range.offset + range.length > bytes.length) {
        throw rangeBeyondEnd(range, bytes.length, name, location);
      }
      return bytes.subarray(range.offset, range.offset + range.length);
    }
    // `bytes <first>-<last>/<size>`; some servers send more than asked (s3rver for `bytes=0-0`).
    const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange);
    if (match === null || Number(match[1]) !== range.offset) {
      throw s3Failure(where, new Error(`unexpected Content-Range ${contentRange}`));
    }
    if (bytes.length < range.length) {
      const total = match[2] === "*" ? range.offset + bytes.length : Number(match[2]);
      throw rangeBeyondEnd(range, total, name, location);
    }
    return bytes.subarray(0, range.length);
  };

  const list = async (namePrefix: string): Promise<string[]> => {
    const where = { ...context("list", JSON.stringify(namePrefix)), key: prefix + namePrefix };
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${prefix}${namePrefix}`,
            MaxKeys: listPageSize,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(prefix.length);
          if (name !== undefined && isObjectName(name)) names.push(name);
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        if (page.IsTruncated === true && token === undefined) {
          throw new Error("a truncated listing has no continuation token");
        }
      } while (token !== undefined);
    } catch (error) {
      throw s3Failure(where, error);
    }
    return names.sort(compareObjectNames);
  };

  const remove = async (name: string): Promise<void> => {
    const where = context("delete", name);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: where.key }));
    } catch (error) {
      if (httpStatusOf(error) === 404 && errorName(error) !== "NoSuchBucket") return;
      throw s3Failure(where, error);
    }
  };

  return {
    location,
    bucket,
    prefix,
    write: (name, chunks) =>
      run("write", name, () =>
        uploadObject(
          { client, where: context("write", checkObjectName(name, location)), partSizeBytes },
          chunks,
        ),
      ),
    read: (name, range) =>
      run("read", name, () =>
        read(
          checkObjectName(name, location),
          range === undefined ? undefined : checkByteRange(range, name, location),
        ),
      ),
    size: (name) =>
      run("size", name, () => headSize(context("size", checkObjectName(name, location)))),
    list: (namePrefix) =>
      run("list", namePrefix, () => list(checkObjectPrefix(namePrefix, location))),
    delete: (name) => run("delete", name, () => remove(checkObjectName(name, location))),
    close: async () => {
      if (await close()) client.destroy();
    },
  };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isInvalidRange(error: unknown): boolean {
  return errorName(error) === "InvalidRange";
}

function isObjectName(name: string): boolean {
  try {
    checkObjectName(name, "");
    return true;
  } catch (error) {
    if (isStatefunError(error, "invalid-argument")) return false;
    throw error;
  }
}
