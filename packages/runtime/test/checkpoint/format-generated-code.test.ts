/**
 * The checkpoint format's generated code and golden fixtures are fresh: `gen/checkpoint.{js,d.ts}`
 * is what `proto/checkpoint.proto` produces (the protocol package's generator, reused), and every
 * fixture case renders to its committed files.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/** The package directory, seen from the compiled test (`dist/test/checkpoint/`). */
const packageDir = fileURLToPath(new URL("../../../", import.meta.url));

function run(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [...args, "--check"], {
    cwd: packageDir,
    encoding: "utf8",
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test("the committed generated code is what proto/checkpoint.proto produces", () => {
  const { status, output } = run([
    "../protocol/scripts/gen.mjs",
    "--proto-dir",
    "proto",
    "--out",
    "gen",
    "--name",
    "checkpoint",
  ]);
  assert.equal(status, 0, `npm run gen -- --check failed:\n${output}`);
});

test("every checkpoint fixture case renders to its committed files", () => {
  const { status, output } = run(["scripts/gen-checkpoint-fixtures.mjs"]);
  assert.equal(status, 0, `node scripts/gen-checkpoint-fixtures.mjs --check failed:\n${output}`);
});
