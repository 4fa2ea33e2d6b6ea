/**
 * The disk backend against the runtime's model-based state backend conformance suite (crash and
 * restore included), with a cache small enough that most reads go to LMDB and most entries are
 * evicted and reloaded; and once more with a change tracker that keeps so few ids of changed
 * addresses out of the cache that most captures are full ones.
 */
import { join } from "node:path";
import { test } from "node:test";
import { checkBackendConformance } from "@statefun-ts/runtime/testing/backend-conformance";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";
import type { DiskStateBackend, DiskStateBackendOptions } from "../src/index.js";
import { createDiskStateBackend } from "../src/index.js";

const tempDir = tempDirs("statefun-disk-");

async function conforms(options: Partial<DiskStateBackendOptions>): Promise<void> {
  const root = await tempDir();
  const opened: DiskStateBackend[] = [];
  let n = 0;
  try {
    await checkBackendConformance(() => {
      const backend = createDiskStateBackend({
        directory: join(root, String(n++)),
        maxKeyGroups: 4,
        maxCachedAddresses: 2,
        maxDirtyAddresses: 3,
        flushIntervalMs: 1,
        ...options,
      });
      opened.push(backend);
      return backend;
    }, 100);
  } finally {
    for (const backend of opened) await backend.close();
  }
}

test("the disk backend conforms to the state backend model, crash and restore included", async () => {
  await conforms({});
});

test("the disk backend conforms with full captures once too many changes are out of the cache", async () => {
  // One id at most (or a quarter of the addresses): most captures after an eviction are full.
  await conforms({ maxTrackedChanges: 1 });
});
