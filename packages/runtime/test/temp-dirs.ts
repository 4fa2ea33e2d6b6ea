/**
 * Temporary directories of a test file on the real file system, removed once its tests are done.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/**
 * Returns a maker of fresh, empty directories named after `prefix` in the system's temporary
 * directory; every one it made is removed after the calling file's tests.
 */
export function tempDirs(prefix: string): () => Promise<string> {
  const made: string[] = [];
  after(async () => {
    // Runtimes a test crashed may still be finishing writes into them: removal retries.
    await Promise.all(
      made.splice(0).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 5 })),
    );
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
