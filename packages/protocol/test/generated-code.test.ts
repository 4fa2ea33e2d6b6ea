/**
 * Generated code and golden fixtures are fresh: `scripts/gen.mjs --check` regenerates
 * `gen/statefun.{js,d.ts}` from `proto/*.proto` into a temporary directory and compares, and
 * `scripts/gen-fixtures.mjs --check` re-renders every fixture case and compares it with its file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/** The package directory, seen from the compiled test (`dist/test/`). */
const packageDir = fileURLToPath(new URL("../../", import.meta.url));

function runScript(script: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [script, "--check"], {
    cwd: packageDir,
    encoding: "utf8",
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test("the committed generated code is what the .proto files produce", () => {
  const { status, output } = runScript("scripts/gen.mjs");
  assert.equal(status, 0, `node scripts/gen.mjs --check failed:\n${output}`);
});

test("every fixture case renders to its committed fixture file", () => {
  const { status, output } = runScript("scripts/gen-fixtures.mjs");
  assert.equal(status, 0, `node scripts/gen-fixtures.mjs --check failed:\n${output}`);
});
