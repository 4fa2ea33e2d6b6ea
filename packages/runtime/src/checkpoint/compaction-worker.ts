/**
 * The worker thread of checkpoint compaction (see compaction-protocol.ts): it prepares the bytes
 * of merged files, reading the files to merge through the main thread's storage, and hands the
 * chunks over one at a time as the main thread asks for them, preparing the next one meanwhile.
 */
import { parentPort } from "node:worker_threads";
import { StatefunError } from "@statefun-ts/protocol";
import { StateSizeCounter, compactedChunks, incrementalMergeChunks } from "./compaction.js";
import type { CompactionJob, FromWorker, SentError, ToWorker } from "./compaction-protocol.js";
import { receivedError, sendError } from "./compaction-protocol.js";
import type { CheckpointStorage } from "./storage.js";

const port = parentPort;
if (port === null) throw new Error("compaction-worker.js runs as a worker thread only");

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** Storage calls waiting for the main thread's reply. */
const calls = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
let nextCall = 1;

function call<T>(
  method: "read" | "size",
  name: string,
  range?: { readonly offset: number; readonly length: number },
) {
  const id = nextCall++;
  return new Promise<T>((resolve, reject) => {
    calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
    post({ type: "call", call: id, method, name, ...(range === undefined ? {} : { range }) });
  });
}

function readOnly(operation: string): StatefunError {
  return new StatefunError("illegal-state", `the compaction thread does not ${operation} objects`);
}

/** The main thread's storage, for reading. */
const storage: CheckpointStorage = {
  location: "main thread",
  read: (name, range) => call<Uint8Array>("read", name, range),
  size: (name) => call<number>("size", name),
  write: () => Promise.reject(readOnly("write")),
  list: () => Promise.reject(readOnly("list")),
  delete: () => Promise.reject(readOnly("delete")),
  close: () => Promise.resolve(),
};

/** A job's chunks, with the next one being prepared. */
interface Running {
  readonly chunks: AsyncIterator<Uint8Array>;
  next: Promise<IteratorResult<Uint8Array>>;
  readonly stateSize: StateSizeCounter;
}

const running = new Map<number, Running>();

async function start(job: number, work: CompactionJob): Promise<void> {
  try {
    const stateSize = new StateSizeCounter();
    const { onSection } = stateSize;
    const source =
      work.kind === "merge"
        ? await incrementalMergeChunks(storage, work.names, work.before, onSection)
        : await compactedChunks(storage, work.names, work.maxKeyGroups, onSection);
    const chunks = source[Symbol.asyncIterator]();
    running.set(job, { chunks, next: chunks.next(), stateSize });
    post({ type: "started", job });
  } catch (error) {
    post({ type: "failed", job, error: sendError(error) });
  }
}

async function next(job: number): Promise<void> {
  const entry = running.get(job);
  if (entry === undefined) {
    post({ type: "failed", job, error: { message: `no compaction job ${job}`, code: undefined } });
    return;
  }
  try {
    const result = await entry.next;
    if (result.done === true) {
      running.delete(job);
      const { bytes, records } = entry.stateSize;
      post({ type: "end", job, stateBytes: bytes, stateRecords: records });
      return;
    }
    entry.next = entry.chunks.next();
    // A copy of its own, handed over: the chunk may be a view of a larger buffer, all of which
    // a message would otherwise copy.
    const chunk = new Uint8Array(result.value);
    post({ type: "chunk", job, chunk }, [chunk.buffer]);
  } catch (error) {
    running.delete(job);
    post({ type: "failed", job, error: sendError(error) });
  }
}

function cancel(job: number): void {
  const entry = running.get(job);
  running.delete(job);
  // The chunk being prepared settles into nothing; a failure of it is no one's to hear.
  entry?.next.catch(() => undefined);
  void entry?.chunks.return?.().catch(() => undefined);
}

function reply(id: number, value: unknown, error: SentError | undefined): void {
  const pending = calls.get(id);
  calls.delete(id);
  if (error !== undefined) pending?.reject(receivedError(error));
  else pending?.resolve(value);
}

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      void start(message.job, message.work);
      break;
    case "next":
      void next(message.job);
      break;
    case "cancel":
      cancel(message.job);
      break;
    case "reply":
      reply(message.call, message.value, message.error);
      break;
  }
});
