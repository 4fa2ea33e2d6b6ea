/**
 * Uploading one object's chunks to S3 (invariants 1 to 3 of s3-storage.ts): up to one part is
 * buffered; a source that ends within it goes in one PutObject, a longer one is streamed as a
 * multipart upload that lib-storage aborts when the source throws.
 */
import { Readable } from "node:stream";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createChunkSource } from "@statefun-ts/runtime";
import { s3Failure } from "./s3-errors.js";
import type { S3ErrorContext } from "./s3-errors.js";

/** Parts of a multipart upload sent concurrently. */
export const PARTS_IN_FLIGHT = 4;

/** Where and how to upload. */
export interface UploadTarget {
  readonly client: S3Client;
  /** Names the write (bucket, key) in errors. */
  readonly where: S3ErrorContext;
  /** Multipart part size; also the largest object sent with one PutObject. */
  readonly partSizeBytes: number;
}

function concat(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = Buffer.concat(chunks, totalBytes);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Uploads `chunks` as the object `target.where.key`.
 *
 * @throws the source's own error when the chunks throw; StatefunError `storage-failed` naming the
 *   bucket and the key for S3 errors.
 */
export async function uploadObject(
  target: UploadTarget,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const { client, where, partSizeBytes } = target;
  const source = createChunkSource(
    chunks,
    `s3 checkpoint storage ${where.location}: write ${where.name}`,
  );
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let body: Readable | undefined;
  try {
    let ended = false;
    while (!ended && headBytes <= partSizeBytes) {
      const chunk = await source.next();
      if (chunk === undefined) ended = true;
      else {
        head.push(chunk);
        headBytes += chunk.byteLength;
      }
    }
    if (ended) {
      const bytes = concat(head.splice(0), headBytes);
      const put = { Bucket: where.bucket, Key: where.key, Body: bytes, ContentLength: headBytes };
      await client.send(new PutObjectCommand(put));
      return;
    }
    async function* all(): AsyncGenerator<Uint8Array> {
      try {
        for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift()) yield chunk;
        for (let chunk = await source.next(); chunk !== undefined; chunk = await source.next()) {
          yield chunk;
        }
      } finally {
        await source.stop();
      }
    }
    body = Readable.from(all(), { highWaterMark: 1 });
    const upload = new Upload({
      client,
      params: { Bucket: where.bucket, Key: where.key, Body: body },
      partSize: partSizeBytes,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    await upload.done();
  } catch (error) {
    body?.destroy();
    await source.stop();
    if (source.failure !== undefined) throw source.failure.error;
    throw s3Failure(where, error);
  }
}
