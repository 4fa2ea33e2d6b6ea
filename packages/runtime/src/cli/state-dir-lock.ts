/**
 * One runtime per state directory: `statefun run` holds a lock file there while it runs, so that
 * a second process on the same directory fails at start instead of writing the same checkpoint
 * files. A lock left by a process that no longer exists (after a crash or SIGKILL) is taken over.
 */
import { open, readFile, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { processAlive } from "../checkpoint/writer-lease.js";

/** The lock file's name inside the state directory. */
export const LOCK_FILE = "statefun.lock";

function lockFailed(path: string, error: unknown): StatefunError {
  return new StatefunError(
    "storage-failed",
    `cannot write the lock file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, details: { path } },
  );
}

/** A held lock. */
export interface StateDirLock {
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

/**
 * Takes the lock of `stateDir` (which must exist).
 *
 * @throws StatefunError `invalid-config` when another live process on this host holds it;
 *   `storage-failed` when the lock file cannot be written.
 */
export async function lockStateDir(stateDir: string): Promise<StateDirLock> {
  const path = join(stateDir, LOCK_FILE);
  const content = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw lockFailed(path, error);
    }
    if (handle !== undefined) {
      try {
        await handle.writeFile(content);
        await handle.close();
      } catch (error) {
        // A full disk, say: no half-written lock is left behind.
        await handle.close().catch(() => undefined);
        await rm(path, { force: true }).catch(() => undefined);
        throw lockFailed(path, error);
      }
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(await readFile(path, "utf8")) as typeof holder;
    } catch {
      // Unreadable or half-written: treat as stale.
    }
    const pid = typeof holder.pid === "number" ? holder.pid : undefined;
    if (
      pid !== undefined &&
      pid !== process.pid &&
      holder.host === hostname() &&
      processAlive(pid)
    ) {
      throw new StatefunError(
        "invalid-config",
        `the state directory ${stateDir} is in use by process ${pid} (lock file ${path}); run one statefun per state directory`,
        { details: { stateDir, pid } },
      );
    }
    if (pid !== undefined && holder.host !== undefined && holder.host !== hostname()) {
      throw new StatefunError(
        "invalid-config",
        `the state directory ${stateDir} is locked by process ${pid} on host ${JSON.stringify(holder.host)}; if that process is gone, delete ${path}`,
        { details: { stateDir, pid, host: holder.host } },
      );
    }
    await rm(path, { force: true });
  }
  throw new StatefunError("invalid-config", `cannot take the lock ${path}`);
}
