/**
 * Helpers of the module.yaml tests: temporary directories with real files, and assertions on
 * `invalid-config` errors (their problems and their messages).
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import type { ConfigProblem } from "../../src/config/module/problems.js";
import { tempDirs } from "../temp-dirs.js";

const newDir = tempDirs("statefun-config-test-");

/**
 * A fresh temporary directory holding `files` (relative path → content), removed after the calling
 * file's tests.
 */
export async function tempDir(files: Readonly<Record<string, string>> = {}): Promise<string> {
  const dir = await newDir();
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** Runs `action`, which must throw an `invalid-config` StatefunError, and returns the error. */
export function configError(action: () => unknown): StatefunError {
  try {
    action();
  } catch (error) {
    return checkConfigError(error);
  }
  assert.fail("expected an invalid-config error, but nothing was thrown");
}

/** Awaits `promise`, which must reject with an `invalid-config` StatefunError. */
export async function configErrorAsync(promise: Promise<unknown>): Promise<StatefunError> {
  try {
    await promise;
  } catch (error) {
    return checkConfigError(error);
  }
  assert.fail("expected an invalid-config error, but the promise resolved");
}

function checkConfigError(error: unknown): StatefunError {
  assert.ok(error instanceof StatefunError, `expected a StatefunError, got ${String(error)}`);
  assert.equal(error.code, "invalid-config");
  return error;
}

/** The problems listed in an error's details. */
export function problemsOf(error: StatefunError): readonly ConfigProblem[] {
  const problems = error.details["problems"];
  assert.ok(Array.isArray(problems), "details.problems must be an array");
  return problems as ConfigProblem[];
}

/** What a test expects of one problem; `expected` is a substring of the expected phrase. */
export interface ExpectedProblem {
  readonly file: string;
  readonly document: number | undefined;
  readonly kind?: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Asserts that the error reports a problem with exactly these location, path and found value,
 * whose expected phrase contains `want.expected`, and that the message says all of it.
 */
export function assertProblem(error: StatefunError, want: ExpectedProblem): ConfigProblem {
  const problems = problemsOf(error);
  const problem = problems.find(
    (p) => p.file === want.file && p.document === want.document && p.path === want.path,
  );
  assert.ok(
    problem !== undefined,
    `no problem at ${want.file} #${want.document} ${want.path} in:\n${error.message}`,
  );
  assert.equal(problem.kind, want.kind);
  assert.ok(
    problem.expected.includes(want.expected),
    `expected phrase ${JSON.stringify(problem.expected)} lacks ${JSON.stringify(want.expected)}`,
  );
  assert.equal(problem.found, want.found);
  if (want.line !== undefined) assert.equal(problem.line, want.line);
  if (want.column !== undefined) assert.equal(problem.column, want.column);

  const document =
    want.document === undefined
      ? ""
      : `: document ${want.document}${want.kind === undefined ? "" : ` (kind ${want.kind})`}`;
  const path = want.path === "" ? "" : `: ${want.path}`;
  const line = `${want.file}${document}${path}: expected ${problem.expected}, found ${want.found}`;
  assert.ok(
    error.message.includes(line),
    `message lacks ${JSON.stringify(line)}:\n${error.message}`,
  );
  if (want.line !== undefined) {
    assert.ok(error.message.includes(`(line ${want.line}, column ${want.column ?? ""}`));
  }
  return problem;
}

/** The YAML of a v2 endpoint serving `functions`, with extra spec lines (indented by 2). */
export function endpointV2(functions: string, ...extra: string[]): string {
  return [
    "kind: io.statefun.endpoints.v2/http",
    "spec:",
    `  functions: ${functions}`,
    "  urlPathTemplate: http://functions:8000/{function.name}",
    ...extra.map((line) => `  ${line}`),
  ].join("\n");
}
