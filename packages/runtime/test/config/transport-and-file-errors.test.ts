// module.yaml validation errors of transports, embedded modules and module files: file,
// document, kind, field path, what was expected and what was found.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModules, parseModuleText } from "../../src/config/module/loader.js";
import {
  assertProblem,
  configError,
  configErrorAsync,
  endpointV2,
  problemsOf,
  tempDir,
} from "./helpers.js";

const V2 = "io.statefun.endpoints.v2/http";
const parse = (text: string) => configError(() => parseModuleText(text, "module.yaml"));

describe("transports", () => {
  it("rejects an unknown transport type", () => {
    assertProblem(parse(endpointV2("a/*", "transport: {type: io.statefun.transports.v1/grpc}")), {
      file: "module.yaml",
      document: 1,
      kind: V2,
      path: "spec.transport.type",
      expected:
        '"io.statefun.transports.v1/async" (the default) or "io.statefun.transports.v1/okhttp"',
      found: '"io.statefun.transports.v1/grpc"',
    });
  });

  it("rejects client_cert without client_key, and the reverse", () => {
    const error = parse(
      [
        endpointV2("a/*", "transport: {client_cert: /etc/c.crt}"),
        endpointV2("b/*", "transport: {client_key: /etc/c.key}"),
      ].join("\n---\n"),
    );
    const at = { file: "module.yaml", kind: V2, expected: "client_cert and client_key together" };
    assertProblem(error, {
      ...at,
      document: 1,
      path: "spec.transport.client_key",
      found: "client_cert without client_key",
    });
    assertProblem(error, {
      ...at,
      document: 2,
      path: "spec.transport.client_cert",
      found: "client_key without client_cert",
    });
  });

  it("rejects OkHttp connect/read/write timeouts larger than call, defaults included", () => {
    const error = parse(
      [
        endpointV2(
          "a/*",
          "transport:",
          "  type: io.statefun.transports.v1/okhttp",
          "  timeouts: {call: 30s, connect: 1 min}",
        ),
        "kind: io.statefun.endpoints.v1/http\n" +
          "spec: {functions: b/*, urlPathTemplate: 'http://b/', timeouts: {call: 5s, read: 1s, write: 2s}}",
      ].join("\n---\n"),
    );
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      kind: V2,
      path: "spec.transport.timeouts.connect",
      expected: "a connect timeout no larger than the call timeout (30 s)",
      found: "1 min",
      line: 7,
    });
    assertProblem(error, {
      file: "module.yaml",
      document: 2,
      kind: "io.statefun.endpoints.v1/http",
      path: "spec.timeouts.connect",
      expected: "a connect timeout no larger than the call timeout (5 s)",
      found: "10 s (the default)",
    });
    assert.equal(problemsOf(error).length, 2);
  });
});

describe("embedded modules and files", () => {
  it("rejects an embedded module whose file does not exist", async () => {
    const dir = await tempDir({
      "module.yaml": "kind: io.statefun-ts.v1/embedded\nspec: {module: ./missing.js}",
    });
    const file = join(dir, "module.yaml");
    const error = await configErrorAsync(loadModules([file]));
    assertProblem(error, {
      file,
      document: 1,
      kind: "io.statefun-ts.v1/embedded",
      path: "spec.module",
      expected: "the path of an existing ES module file",
      found: `"./missing.js" (no file at ${join(dir, "missing.js")})`,
    });
    // The embedded document counts as a provider: no second "no function provider" problem.
    assert.equal(problemsOf(error).length, 1);
  });

  it("reports a missing module file and an unsupported scheme", async () => {
    const dir = await tempDir();
    const missing = join(dir, "nope.yaml");
    const error = await configErrorAsync(loadModules([missing, "classpath:module.yaml"]));
    assertProblem(error, {
      file: missing,
      document: undefined,
      path: "",
      expected: "a readable module file",
      found: `no file at ${missing}`,
    });
    assertProblem(error, {
      file: "classpath:module.yaml",
      document: undefined,
      path: "",
      expected: "a file path or a file:// URL",
      found: '"classpath:module.yaml" (the classpath: scheme is not supported)',
    });
    assert.equal((error.cause as NodeJS.ErrnoException).code, "ENOENT");
  });

  it("reports every problem of a file in one error, one per line", () => {
    const error = parse(
      [
        endpointV2("a/*", "transport: {call: fast, pool_size: 0}"),
        "kind: io.statefun.playground.v1/ingress\nspec: {port: -1}",
      ].join("\n---\n"),
    );
    const lines = error.message.split("\n");
    assert.equal(lines[0], "invalid module configuration (3 problems):");
    assert.equal(lines.length, 4);
    assert.ok(lines[1]?.includes("spec.transport.call: expected a duration"));
    assert.ok(lines[2]?.includes("spec.transport.pool_size: expected an integer from 1 to"));
    assert.ok(lines[3]?.includes("document 2 (kind io.statefun.playground.v1/ingress): spec.port"));
    assert.equal(error.details["path"], "spec.transport.call");
    assert.equal(error.details["document"], 1);
    assert.equal(error.details["file"], "module.yaml");
  });
});
