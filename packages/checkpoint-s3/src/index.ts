/**
 * `@statefun-ts/checkpoint-s3`: checkpoint storage in S3-compatible object stores (AWS S3, and
 * servers that speak its API), for the statefun-ts runtime's checkpoints and savepoints.
 */
export { createS3CheckpointStorage } from "./s3-storage.js";
export type { S3CheckpointStorage } from "./s3-storage.js";
export {
  DEFAULT_LIST_PAGE_SIZE,
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_REGION,
  MIN_PART_SIZE_BYTES,
  resolveS3CheckpointStorageOptions,
} from "./options.js";
export type {
  ResolvedS3CheckpointStorageOptions,
  S3CheckpointStorageOptions,
  S3Credentials,
} from "./options.js";
export { S3_URL_PARAMETERS, parseS3Url } from "./s3-url.js";
