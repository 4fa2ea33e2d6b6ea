/**
 * `@statefun-ts/state-disk`: a disk state backend for statefun-ts on LMDB.
 */
export { createDiskStateBackend } from "./disk-backend.js";
export type { DiskStateBackend, DiskStateBackendOptions } from "./disk-backend.js";
