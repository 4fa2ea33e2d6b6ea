/**
 * Runs the coordinator's merges on a worker thread (compaction-worker.ts), so that the work of
 * merging checkpoint files — decoding them, keeping each address's newest record, encoding and
 * checksumming the merged file, and the garbage all that makes — leaves the thread that processes
 * messages. The storage stays the coordinator's: the worker's reads are served here, and the
 * merged file is written here, its chunks pulled from the worker as the storage takes them (the
 * worker prepares the next one meanwhile), so memory holds a chunk or two, not the file.
 *
 * The worker starts when checkpointing does (or with the first merge) and is kept for the next
 * ones; a worker that dies fails the merges it had (the coordinator keeps the chain as it was),
 * and the next merge starts another.
 */
import { Worker } from "node:worker_threads";
import { StatefunError } from "@statefun-ts/protocol";
import { writeFile } from "./compaction.js";
import type { CompactionJob, FromWorker, ToWorker } from "./compaction-protocol.js";
import { receivedError, sendError } from "./compaction-protocol.js";
import type { CheckpointStorage } from "./storage.js";

/** The worker's answers to a job's steps: its start, then each chunk, then its end. */
type JobAnswer = Extract<FromWorker, { type: "started" | "chunk" | "end" }>;

/** What a job waits for from the worker. */
interface JobWaiter {
  readonly resolve: (answer: JobAnswer) => void;
  readonly reject: (error: Error) => void;
}

/** The sizes of a checkpoint file (one a merge wrote, or one of the chain). */
export interface FileSizes {
  /** Its size. */
  readonly bytes: number;
  /** Bytes of its state sections: what compaction would merge (pending messages are not). */
  readonly stateBytes: number;
  /** Records of its state sections: one per address it holds a change of. */
  readonly stateRecords: number;
}

/** Merges of checkpoint files, prepared on a worker thread, written to `storage`. */
export class CompactionThread {
  private readonly storage: CheckpointStorage;
  private worker: Worker | undefined = undefined;
  private nextJob = 1;
  /** The step each running job waits for. */
  private readonly waiting = new Map<number, JobWaiter>();
  private jobs = 0;
  private closed = false;

  constructor(storage: CheckpointStorage) {
    this.storage = storage;
  }

  /** Writes the incremental file `target` merging `names` (see `incrementalMergeChunks`). */
  mergeIncremental(
    names: readonly string[],
    before: readonly string[],
    target: string,
  ): Promise<FileSizes> {
    return this.run({ kind: "merge", names: [...names], before: [...before] }, target);
  }

  /** Writes the full base `target` of a chain (see `compactedChunks`). */
  compactChain(names: readonly string[], target: string, maxKeyGroups: number): Promise<FileSizes> {
    return this.run({ kind: "compact", names: [...names], maxKeyGroups }, target);
  }

  /** Starts the worker ahead of the first merge (which then does not wait for it to load). */
  prepare(): void {
    if (!this.closed) this.start();
  }

  /** Stops the worker (after the merges in progress, which the caller waits for). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private async run(work: CompactionJob, target: string): Promise<FileSizes> {
    if (this.closed) throw new StatefunError("shutdown", "checkpoint compaction stopped");
    const worker = this.start();
    const job = this.nextJob++;
    this.jobs++;
    worker.ref();
    let ended = false;
    let stateBytes = 0;
    let stateRecords = 0;
    try {
      await this.step(worker, { type: "start", job, work });
      const chunks: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<Uint8Array>> => {
            const answer = ended ? undefined : await this.step(worker, { type: "next", job });
            if (answer?.type === "chunk") return { done: false, value: answer.chunk };
            if (answer?.type === "end") ({ stateBytes, stateRecords } = answer);
            ended = true;
            return { done: true, value: undefined };
          },
          return: (): Promise<IteratorResult<Uint8Array>> => {
            if (!ended) worker.postMessage({ type: "cancel", job } satisfies ToWorker);
            ended = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        }),
      };
      const bytes = await writeFile(this.storage, target, chunks);
      return { bytes, stateBytes, stateRecords };
    } finally {
      // A write that failed may leave the chunks unread: the worker drops the job.
      if (!ended && this.worker === worker)
        worker.postMessage({ type: "cancel", job } satisfies ToWorker);
      this.waiting.delete(job);
      if (--this.jobs === 0) worker.unref();
    }
  }

  /** Sends a job's next message; resolves with the worker's answer. */
  private step(worker: Worker, message: ToWorker & { job: number }): Promise<JobAnswer> {
    return new Promise((resolve, reject) => {
      this.waiting.set(message.job, { resolve, reject });
      worker.postMessage(message);
    });
  }

  /** The worker, started if none runs. */
  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL("./compaction-worker.js", import.meta.url));
    worker.unref();
    worker.on("message", (message: FromWorker) => this.received(worker, message));
    const died = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on("error", (error) => died(error));
    worker.on("exit", (code) => {
      died(
        new StatefunError(
          "illegal-state",
          `the checkpoint compaction thread exited (code ${code})`,
        ),
      );
    });
    this.worker = worker;
    return worker;
  }

  private received(worker: Worker, message: FromWorker): void {
    if (message.type === "call") {
      void this.serve(worker, message);
      return;
    }
    const waiter = this.waiting.get(message.job);
    if (waiter === undefined) return;
    this.waiting.delete(message.job);
    switch (message.type) {
      case "started":
      case "chunk":
      case "end":
        waiter.resolve(message);
        break;
      case "failed":
        waiter.reject(receivedError(message.error));
        break;
    }
  }

  /** Serves a read of the worker's from the storage. */
  private async serve(
    worker: Worker,
    request: Extract<FromWorker, { type: "call" }>,
  ): Promise<void> {
    let reply: ToWorker;
    let transfer: ArrayBuffer[] = [];
    try {
      if (request.method === "size") {
        reply = { type: "reply", call: request.call, value: await this.storage.size(request.name) };
      } else {
        const bytes = await this.storage.read(request.name, request.range);
        // A copy of its own, handed over: the storage may keep the bytes, or they may be a view
        // of a larger buffer, all of which a message would otherwise copy.
        const value = new Uint8Array(bytes);
        transfer = [value.buffer];
        reply = { type: "reply", call: request.call, value };
      }
    } catch (error) {
      reply = { type: "reply", call: request.call, error: sendError(error) };
    }
    // A worker that died meanwhile hears nothing.
    if (this.worker === worker) worker.postMessage(reply, transfer);
  }
}
