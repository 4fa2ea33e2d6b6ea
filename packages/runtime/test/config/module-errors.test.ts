// module.yaml validation errors of documents and fields: one test per class of error, each
// checking the file, the document, the kind, the field path, what was expected and what was found.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseModuleText } from "../../src/config/module/loader.js";
import { assertProblem, configError, endpointV2, problemsOf } from "./helpers.js";

const V2 = "io.statefun.endpoints.v2/http";
const parse = (text: string) => configError(() => parseModuleText(text, "module.yaml"));

describe("document structure", () => {
  it("rejects an unknown kind, listing the known ones", () => {
    const error = parse("kind: io.statefun.kinesis.v1/ingress\nspec: {id: a/b}");
    const problem = assertProblem(error, {
      file: "module.yaml",
      document: 1,
      path: "kind",
      expected: "a known component kind (one of: io.statefun-ts.v1/embedded, ",
      found: '"io.statefun.kinesis.v1/ingress"',
      line: 1,
      column: 7,
    });
    assert.ok(problem.expected.includes("io.statefun.playground.v1/ingress"));
  });

  it("rejects a document without kind", () => {
    const error = parse(`${endpointV2("a/*")}\n---\nspec: {port: 8090}`);
    assertProblem(error, {
      file: "module.yaml",
      document: 2,
      path: "kind",
      expected: "a component kind",
      found: "nothing",
      line: 6,
      column: 1,
    });
    assert.equal(problemsOf(error).length, 1);
  });

  it("rejects a kind that is not a string", () => {
    assertProblem(parse("kind: [a]\nspec: {}"), {
      file: "module.yaml",
      document: 1,
      path: "kind",
      expected: "a component kind",
      found: "a list",
    });
  });

  it("rejects a document without spec", () => {
    assertProblem(parse("kind: io.statefun.playground.v1/ingress"), {
      file: "module.yaml",
      document: 1,
      kind: "io.statefun.playground.v1/ingress",
      path: "spec",
      expected: "a mapping with the component's settings",
      found: "nothing",
    });
  });

  it("rejects a spec that is not a mapping", () => {
    const error = parse(
      "kind: io.statefun.playground.v1/ingress\nspec: 8090\n---\n" +
        "kind: io.statefun.playground.v1/egress\nspec: [8091]",
    );
    const where = { file: "module.yaml", path: "spec", expected: "a mapping" };
    assertProblem(error, {
      ...where,
      document: 1,
      kind: "io.statefun.playground.v1/ingress",
      found: "8090",
      line: 2,
      column: 7,
    });
    assertProblem(error, {
      ...where,
      document: 2,
      kind: "io.statefun.playground.v1/egress",
      found: "a list",
    });
  });

  it("rejects a document that is not a mapping", () => {
    assertProblem(parse("- kind: a\n- spec: b"), {
      file: "module.yaml",
      document: 1,
      path: "",
      expected: "a mapping with the keys kind and spec",
      found: "a list",
      line: 1,
      column: 1,
    });
  });

  it("reports YAML syntax errors with line and column", () => {
    const text = `${endpointV2("a/*")}\n---\nkind: io.statefun.playground.v1/ingress\nspec:\n\tport: 8090\n`;
    const error = parse(text);
    const problem = assertProblem(error, {
      file: "module.yaml",
      document: 2,
      path: "",
      expected: "valid YAML",
      found: "a syntax error: Tabs are not allowed as indentation",
      line: 8,
      column: 1,
    });
    assert.equal(problem.kind, undefined);
  });

  it("reports duplicate keys as YAML errors", () => {
    assertProblem(parse("kind: io.statefun.playground.v1/ingress\nspec:\n  port: 1\n  port: 2"), {
      file: "module.yaml",
      document: 1,
      path: "",
      expected: "valid YAML",
      found: "a syntax error: Map keys must be unique",
      line: 4,
      column: 3,
    });
  });
});

describe("field values", () => {
  it("rejects a missing required field", () => {
    const error = parse(
      `kind: ${V2}\nspec:\n  functions: a/*\n---\n` +
        "kind: io.statefun.playground.v1/ingress\nspec: {}",
    );
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      kind: V2,
      path: "spec.urlPathTemplate",
      expected: "an http:// or https:// URL",
      found: "nothing",
      line: 3,
      column: 3,
    });
    assertProblem(error, {
      file: "module.yaml",
      document: 2,
      kind: "io.statefun.playground.v1/ingress",
      path: "spec.port",
      expected: "a TCP port number from 1 to 65535",
      found: "nothing",
    });
  });

  it("rejects a value of the wrong type", () => {
    const error = parse(
      `${endpointV2("a/*", "maxNumBatchRequests: many")}\n---\n` +
        "kind: io.statefun.playground.v1/egress\nspec: {port: '8091', topics: greetings}",
    );
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      kind: V2,
      path: "spec.maxNumBatchRequests",
      expected: "an integer",
      found: '"many"',
    });
    const egress = { file: "module.yaml", document: 2, kind: "io.statefun.playground.v1/egress" };
    assertProblem(error, { ...egress, path: "spec.port", expected: "a TCP port", found: '"8091"' });
    assertProblem(error, {
      ...egress,
      path: "spec.topics",
      expected: "a list of topic names",
      found: '"greetings"',
    });
  });

  it("rejects an out-of-range port and an empty topic, with list indices in the path", () => {
    const error = parse(
      "kind: io.statefun.playground.v1/egress\nspec: {port: 70000, topics: [a, '']}",
    );
    const egress = { file: "module.yaml", document: 1, kind: "io.statefun.playground.v1/egress" };
    assertProblem(error, { ...egress, path: "spec.port", expected: "a TCP port", found: "70000" });
    assertProblem(error, {
      ...egress,
      path: "spec.topics[1]",
      expected: "a non-empty topic name",
      found: '""',
      line: 2,
      column: 33,
    });
  });

  it("rejects bad function patterns", () => {
    const patterns = ['"*/greeter"', "example/foo*", "example", "a/b/c", '"/x"', "ns/"];
    const text = patterns.map((pattern) => endpointV2(pattern)).join("\n---\n");
    const error = parse(text);
    assert.equal(problemsOf(error).length, patterns.length);
    patterns.forEach((pattern, index) => {
      assertProblem(error, {
        file: "module.yaml",
        document: index + 1,
        kind: V2,
        path: "spec.functions",
        expected: 'a function pattern "<namespace>/<name>" or "<namespace>/*"',
        found: JSON.stringify(pattern.replaceAll('"', "")),
      });
    });
  });

  it("rejects the {function.namespace} placeholder, saying only {function.name} is supported", () => {
    const text = [
      `kind: ${V2}`,
      "spec:",
      "  functions: example/*",
      "  urlPathTemplate: http://fn/{function.namespace}/{function.name}",
    ].join("\n");
    const problem = assertProblem(parse(text), {
      file: "module.yaml",
      document: 1,
      kind: V2,
      path: "spec.urlPathTemplate",
      expected: "a URL whose only placeholder is {function.name}",
      found: '"http://fn/{function.namespace}/{function.name}"',
      line: 4,
      column: 20,
    });
    assert.ok(problem.expected.includes("{function.namespace} is not supported"));
  });

  it("rejects URLs that are not http(s), and unix sockets without OkHttp", () => {
    const url = (template: string, ...extra: string[]) =>
      [`kind: ${V2}`, "spec:", "  functions: a/*", `  urlPathTemplate: ${template}`, ...extra].join(
        "\n",
      );
    const error = parse(
      [
        url("ftp://fn/{function.name}"),
        url("not a url"),
        url("http+unix:///run/fn.sock/{function.name}"),
        url("http+unix:///run/fn/x", "  transport: {type: io.statefun.transports.v1/okhttp}"),
      ].join("\n---\n"),
    );
    const at = (document: number) => ({
      file: "module.yaml",
      document,
      kind: V2,
      path: "spec.urlPathTemplate",
    });
    assertProblem(error, {
      ...at(1),
      expected: "an http:// or https:// URL",
      found: '"ftp://fn/{function.name}"',
    });
    assertProblem(error, {
      ...at(2),
      expected: "an http:// or https:// URL",
      found: '"not a url"',
    });
    assertProblem(error, {
      ...at(3),
      expected: "URLs need transport type io.statefun.transports.v1/okhttp",
      found: '"http+unix:///run/fn.sock/{function.name}"',
    });
    assertProblem(error, {
      ...at(4),
      expected: "a segment ending in .sock",
      found: '"http+unix:///run/fn/x"',
    });
  });
});
