/**
 * Messages between the coordinator's {@link CompactionThread} and its worker
 * (compaction-worker.ts). The worker does the work of a merge (decoding files, choosing each
 * address's newest record, encoding and checksumming the new file); every storage operation stays
 * on the main thread, in the coordinator's storage: the worker asks for reads, and the main thread
 * pulls the new file's chunks from it as the storage writes them.
 */
import type { ErrorCode } from "@statefun-ts/protocol";
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";

/** A merge for the worker to prepare. */
export type CompactionJob =
  | {
      readonly kind: "merge";
      readonly names: readonly string[];
      readonly before: readonly string[];
    }
  | {
      readonly kind: "compact";
      readonly names: readonly string[];
      readonly maxKeyGroups: number;
    };

/** An error as it crosses threads. */
export interface SentError {
  readonly message: string;
  readonly code: ErrorCode | undefined;
}

/** Main thread to worker. */
export type ToWorker =
  | { readonly type: "start"; readonly job: number; readonly work: CompactionJob }
  | { readonly type: "next"; readonly job: number }
  | { readonly type: "cancel"; readonly job: number }
  | {
      readonly type: "reply";
      readonly call: number;
      readonly value?: Uint8Array | number;
      readonly error?: SentError;
    };

/** Worker to main thread. */
export type FromWorker =
  | { readonly type: "started"; readonly job: number }
  | { readonly type: "chunk"; readonly job: number; readonly chunk: Uint8Array }
  | {
      readonly type: "end";
      readonly job: number;
      /** Bytes of the file's state sections (see `ChainFile.stateBytes`). */
      readonly stateBytes: number;
      /** Records of the file's state sections (see `ChainFile.stateRecords`). */
      readonly stateRecords: number;
    }
  | { readonly type: "failed"; readonly job: number; readonly error: SentError }
  | {
      readonly type: "call";
      readonly call: number;
      readonly method: "read" | "size";
      readonly name: string;
      readonly range?: { readonly offset: number; readonly length: number };
    };

/** An error made ready to cross threads, keeping a `StatefunError`'s code. */
export function sendError(error: unknown): SentError {
  return {
    message: error instanceof Error ? error.message : String(error),
    code: isStatefunError(error) ? error.code : undefined,
  };
}

/** The error a {@link SentError} stands for. */
export function receivedError(sent: SentError): Error {
  return sent.code === undefined
    ? new Error(sent.message)
    : new StatefunError(sent.code, sent.message);
}
