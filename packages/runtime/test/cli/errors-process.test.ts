// How the `statefun` command fails, as a real child process: invalid configuration exits 1 with
// the message (no stack trace) on stderr, prefixed "statefun: "; usage errors exit 2.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { tempDir } from "../config/helpers.js";
import { GREETER_FUNCTIONS, greeterModuleYaml, requireGreeterBuilt, runCli } from "./helpers.js";

/** Asserts a configuration failure: exit code 1, one `statefun: ` message, no stack trace. */
function assertConfigFailure(
  result: Awaited<ReturnType<typeof runCli>>,
  ...fragments: string[]
): void {
  assert.deepEqual(result.exit, { code: 1, signal: null }, result.stderr);
  assert.ok(result.stderr.startsWith("statefun: "), result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  for (const fragment of fragments) {
    assert.ok(result.stderr.includes(fragment), `stderr lacks ${fragment}:\n${result.stderr}`);
  }
}

/** Writes `files` to a temporary directory and runs `statefun run <dir>/module.yaml`. */
async function runWith(files: Record<string, string>, ...flags: string[]) {
  const dir = await tempDir(files);
  const file = join(dir, "module.yaml");
  return { file, dir, result: await runCli(["run", file, "--no-admin", ...flags]) };
}

function embedded(module: string, exportName?: string): string {
  const lines = [
    "kind: io.statefun-ts.v1/embedded",
    "spec:",
    `  module: ${JSON.stringify(module)}`,
  ];
  if (exportName !== undefined) lines.push(`  export: ${exportName}`);
  return lines.join("\n");
}

describe("statefun run failures", { concurrency: true }, () => {
  before(requireGreeterBuilt);

  it("exits 1 for an invalid module.yaml, naming file, document and field", async () => {
    const { file, result } = await runWith({
      "module.yaml": greeterModuleYaml().replace("port: 0\n---", 'port: "eighty"\n---'),
    });
    assertConfigFailure(
      result,
      `statefun: ${file}: document 2 (kind io.statefun.playground.v1/ingress): spec.port: expected`,
      'found "eighty"',
    );
  });

  it("exits 1 for a missing embedded module", async () => {
    const { file, dir, result } = await runWith({
      "module.yaml": `${embedded("./missing.js")}\n`,
    });
    assertConfigFailure(
      result,
      `${file}: document 1 (kind io.statefun-ts.v1/embedded): spec.module:`,
      `no file at ${join(dir, "missing.js")}`,
    );
  });

  it("exits 1 for a wrong export name, listing the module's exports", async () => {
    const { file, result } = await runWith({
      "module.yaml": embedded(GREETER_FUNCTIONS, "greeter"),
    });
    assertConfigFailure(
      result,
      `${file}: document 1 (kind io.statefun-ts.v1/embedded): spec.export:`,
      `found export greeter of ${GREETER_FUNCTIONS} is undefined; the module exports: ` +
        "GREETINGS_TOPIC, default, greetRequestType, greetingFor",
    );
  });

  it("exits 1 for an export that is not a registry", async () => {
    const { file, result } = await runWith({
      "module.yaml": embedded(GREETER_FUNCTIONS, "greetingFor"),
    });
    assertConfigFailure(
      result,
      `${file}: document 1 (kind io.statefun-ts.v1/embedded): spec.export:`,
      "expected an export holding a function registry made with createStatefulFunctions()",
      `found export greetingFor of ${GREETER_FUNCTIONS} is a function`,
    );
  });

  it("exits 1 for a module whose import throws, with the reason", async () => {
    const { file, dir, result } = await runWith({
      "module.yaml": embedded("./broken.js"),
      "broken.js": 'throw new Error("cannot start without a license key");\n',
    });
    assertConfigFailure(
      result,
      `${file}: document 1 (kind io.statefun-ts.v1/embedded): spec.module:`,
      `${join(dir, "broken.js")}, whose import failed: cannot start without a license key`,
    );
  });

  it("exits 1 for an invalid flag value, naming the flag", async () => {
    const { result } = await runWith(
      { "module.yaml": greeterModuleYaml() },
      "--max-backlog",
      "lots",
    );
    assertConfigFailure(
      result,
      'statefun: --max-backlog: expected an integer ≥ 1 (messages), found "lots"',
    );
  });

  it("exits 1 for an invalid environment variable, naming the variable", async () => {
    const dir = await tempDir({ "module.yaml": greeterModuleYaml() });
    const result = await runCli(["run", join(dir, "module.yaml")], {
      STATEFUN_LOG_FORMAT: "xml",
    });
    assertConfigFailure(
      result,
      'statefun: environment variable STATEFUN_LOG_FORMAT: expected one of json, pretty, found "xml"',
    );
  });

  it("exits 2 for an unknown flag", async () => {
    const result = await runCli(["run", "module.yaml", "--adminport", "1"]);
    assert.deepEqual(result.exit, { code: 2, signal: null });
    assert.match(result.stderr, /^statefun: unknown option '--adminport'/);
    assert.match(result.stderr, /--help/);
  });

  it("exits 2 without a module file", async () => {
    const result = await runCli(["run"]);
    assert.deepEqual(result.exit, { code: 2, signal: null });
    assert.match(result.stderr, /^statefun: missing required argument 'module\.yaml'/);
  });
});
