/**
 * The checkpoint file format: one file per checkpoint or savepoint, written as a stream of
 * chunks and read back by ranges, one key group at a time. Layout and evolution rules:
 * `docs/checkpoint-format.md`. This is the folder's only entry point; the generated protobuf code
 * behind it never appears in its API.
 */
export { encodeCheckpoint, encodeCheckpointBytes } from "./encode.js";
export { decodeCheckpointBytes, openCheckpoint } from "./decode.js";
export type { CheckpointFile, DecodedCheckpoint } from "./decode.js";
export type { CheckpointSectionInfo } from "./manifest.js";
export { decodeStateRecord } from "./state-records.js";
export type { EncodedStateRecord } from "./state-records.js";
export { FORMAT_VERSION } from "./layout.js";
export type { SectionKind } from "./layout.js";
