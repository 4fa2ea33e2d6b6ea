// A 200 MiB write streams to disk: each chunk is in the temporary file before the storage asks
// for the next one (a counting check, no timers), and the process's memory stays far below the
// object's size. Range reads then check bytes at chunk boundaries without reading the whole file.
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { it } from "node:test";
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";
import { tempDir } from "./temp-dirs.js";

const MIB = 1024 * 1024;
const CHUNKS = 200;

function chunkByte(index: number): number {
  return (index * 37 + 11) & 0xff;
}

it("streams a 200 MiB object to disk without buffering it", async () => {
  const directory = await tempDir();
  const storage = await createLocalCheckpointStorage({ directory });
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  let temp: string | undefined;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let index = 0; index < CHUNKS; index++) {
      if (index > 0) {
        temp ??= join(
          directory,
          (await readdir(directory)).find((f) => f.startsWith(".tmp-"))!,
        );
        assert.equal((await stat(temp)).size, index * MIB, `before chunk ${index}`);
      }
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      yield new Uint8Array(MIB).fill(chunkByte(index));
    }
  }

  await storage.write("big", chunks());
  assert.equal(await storage.size("big"), CHUNKS * MIB);
  const growthMib = (peakRss - baselineRss) / MIB;
  assert.ok(growthMib < 100, `memory grew by ${growthMib.toFixed(1)} MiB for a 200 MiB object`);

  for (const index of [1, 99, 198]) {
    const bytes = await storage.read("big", { offset: (index + 1) * MIB - 2, length: 4 });
    const [a, b] = [chunkByte(index), chunkByte(index + 1)];
    assert.deepEqual(bytes, new Uint8Array([a, a, b, b]), `boundary after chunk ${index}`);
  }
  await storage.delete("big");
  assert.deepEqual(await readdir(directory), []);
  await storage.close();
});
