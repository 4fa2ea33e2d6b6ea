/**
 * Facts the `kv-stores` scenario reads from the filesystem: installed package versions, a store
 * directory's size on disk, and this process's resident memory split into anonymous (heap,
 * native allocations) and file-backed (memory-mapped files, evictable page cache) parts.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The installed version of package `name` (found from where it resolves), or `unknown`. */
export function packageVersion(name: string): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === name && manifest.version !== undefined) return manifest.version;
      } catch {
        // No package.json here: keep walking up.
      }
      const parent = dirname(dir);
      if (parent === dir) return "unknown";
      dir = parent;
    }
  } catch {
    return "unknown";
  }
}

/** Bytes allocated on disk by the files under `path` (sparse files count what they use). */
export function diskBytes(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.blocks * 512;
  let total = 0;
  for (const entry of readdirSync(path)) total += diskBytes(join(path, entry));
  return total;
}

/** This process's resident memory in bytes: total, anonymous and file-backed (Linux only). */
export function residentBytes(): { rss: number; anon: number; file: number } {
  const rss = process.memoryUsage().rss;
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kib = (field: string): number => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
      return match === null ? NaN : Number(match[1]) * 1024;
    };
    return { rss, anon: kib("RssAnon"), file: kib("RssFile") + kib("RssShmem") };
  } catch {
    return { rss, anon: NaN, file: NaN };
  }
}
