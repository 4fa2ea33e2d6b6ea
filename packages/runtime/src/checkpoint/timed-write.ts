/**
 * Writing a checkpoint file within the checkpoint timeout. A storage that stops answering (a hung
 * S3 request, a stuck file system) must not hold checkpointing for ever: past the timeout the
 * write is abandoned, takes no more of the cut it is made from, and its file is deleted should it
 * complete later after all (nothing refers to it).
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { CheckpointStorage } from "./storage.js";

/** What {@link writeWithinTimeout} writes, and with what. */
export interface TimedWrite {
  readonly storage: CheckpointStorage;
  readonly name: string;
  /** The file's chunks, made from a cut as they are taken. */
  readonly chunks: AsyncGenerator<Uint8Array>;
  readonly timeoutMs: number;
  /** The runtime's clock: it also waits out timeouts longer than a Node timer can hold. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told the size of each chunk taken. */
  readonly count: (bytes: number) => void;
  /** Marked when the timeout passes. */
  readonly deadline: { passed: boolean };
}

/**
 * Writes `chunks` as object `name`; resolves once written, rejects when the write fails or the
 * timeout passes first (then with `storage-failed`, `deadline` marked).
 */
export function writeWithinTimeout(write: TimedWrite): Promise<void> {
  const { storage, name, timeoutMs, deadline } = write;
  const writing = storage.write(name, guarded(write.chunks, deadline, write.count));
  return new Promise<void>((resolve, reject) => {
    const timer = write.clock.setTimer(timeoutMs, () => {
      deadline.passed = true;
      reject(
        new StatefunError(
          "storage-failed",
          `the checkpoint was not written within its timeout of ${timeoutMs} ms`,
        ),
      );
      writing.then(
        () => deleteAbandoned(storage, name, write.logger),
        () => {},
      );
    });
    writing.then(
      () => {
        timer.cancel();
        resolve();
      },
      (error: Error) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

/** Deletes the file of a checkpoint that timed out, written after all. */
function deleteAbandoned(storage: CheckpointStorage, name: string, logger: Logger): void {
  storage.delete(name).then(
    () => logger.warn({ file: name }, "deleted the file of a checkpoint that timed out"),
    (error: unknown) =>
      logger.warn(
        { file: name, ...errorFields(error) },
        "could not delete the file of a checkpoint that timed out",
      ),
  );
}

/**
 * `chunks`, counted, until the deadline passes: no chunk is taken from `chunks` after that (the
 * cut they are made from is then abandoned), and the write fails.
 */
async function* guarded(
  chunks: AsyncGenerator<Uint8Array>,
  deadline: { readonly passed: boolean },
  count: (bytes: number) => void,
): AsyncIterable<Uint8Array> {
  try {
    for (;;) {
      if (deadline.passed) {
        throw new StatefunError("storage-failed", "the checkpoint timed out while being written");
      }
      const next = await chunks.next();
      if (next.done === true) return;
      count(next.value.byteLength);
      yield next.value;
    }
  } finally {
    await chunks.return(undefined);
  }
}
