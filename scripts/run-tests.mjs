// Runs every compiled test file of the workspace with node:test.
// Usage: node scripts/run-tests.mjs [substring-filter...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";

const roots = ["packages", "examples", "bench"];
const filters = process.argv.slice(2);
const files = [];

function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith(".test.js")) files.push(path);
  }
}

for (const root of roots) {
  if (!existsSync(root)) continue;
  const members = root === "bench" ? ["."] : readdirSync(root);
  for (const member of members) {
    const testDir = join(root, member, "dist", "test");
    if (existsSync(testDir)) walk(testDir);
  }
}

const selected = filters.length
  ? files.filter((f) => filters.some((needle) => f.includes(needle)))
  : files;
if (selected.length === 0) {
  console.error("no test files found; did the build run?");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=300000", ...selected],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
