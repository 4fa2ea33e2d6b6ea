// StateFun's single-root module format of version 3.0 (`version: "3.0"`, `module.meta.type:
// remote`): its endpoints, ingresses and egresses bind as the documents of their current kinds
// would, and its problems are reported at their own paths and lines.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseModuleText } from "../../src/config/module/loader.js";
import { assertProblem, configError, problemsOf } from "./helpers.js";

const parse = (text: string) => parseModuleText(text, "module.yaml");
const parseError = (text: string) => configError(() => parse(text));

// The remote module of the StateFun 3.0 documentation, with a second endpoint.
const LEGACY = `version: "3.0"
module:
  meta:
    type: remote
  spec:
    endpoints:
      - endpoint:
          meta:
            kind: http
          spec:
            functions: example/*
            urlPathTemplate: https://bar.foo.com/{function.name}
            maxNumBatchRequests: 500
            timeouts:
              call: 2 min
      - endpoint:
          meta:
            kind: io.statefun.endpoints.v2/http
          spec:
            functions: other/greeter
            urlPathTemplate: http://localhost:8000/statefun
`;

// The same components in today's format.
const CURRENT = `kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: https://bar.foo.com/{function.name}
  maxNumBatchRequests: 500
  timeouts:
    call: 2 min
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: other/greeter
  urlPathTemplate: http://localhost:8000/statefun
`;

describe("module.yaml version 3.0", () => {
  it("binds its endpoints as the documents of their current kinds", () => {
    const legacy = parse(LEGACY);
    const current = parse(CURRENT);
    assert.deepEqual(
      legacy.endpoints.map(({ source, ...endpoint }) => ({ ...endpoint, file: source.file })),
      current.endpoints.map(({ source, ...endpoint }) => ({ ...endpoint, file: source.file })),
    );
    assert.equal(legacy.endpoints[0]?.kind, "io.statefun.endpoints.v1/http");
    assert.equal(legacy.endpoints[0]?.transport.callTimeoutMs, 120_000);
    assert.deepEqual(legacy.warnings, current.warnings);
  });

  it("renames legacy ingress kinds and passes meta.id on as spec.id", () => {
    const error = parseError(`version: "3.0"
module:
  meta:
    type: REMOTE
  spec:
    ingresses:
      - ingress:
          meta:
            type: io.statefun.kafka/ingress
            id: example/names
          spec:
            address: kafka:9092
`);
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      path: "module.spec.ingresses[0].ingress.meta.type",
      expected: "a known component kind (one of: ",
      found: '"io.statefun.kafka.v1/ingress"',
      line: 9,
      column: 19,
    });
    assert.equal(problemsOf(error).length, 1);
  });

  it("reports a spec's problems at their paths, with the current kind", () => {
    const error = parseError(
      LEGACY.replace("            urlPathTemplate: https", "            url: https"),
    );
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      kind: "io.statefun.endpoints.v1/http",
      path: "module.spec.endpoints[0].endpoint.spec.urlPathTemplate",
      expected: "an http:// or https:// URL",
      found: "nothing",
      line: 11,
    });
  });

  it("requires the version as the string 3.0, a remote module and a spec", () => {
    assertProblem(parseError(LEGACY.replace('version: "3.0"', "version: 3.0")), {
      file: "module.yaml",
      document: 1,
      path: "version",
      expected: 'the string "3.0" (the single-root module format)',
      found: 'a number (write it as the string "3.0")',
      line: 1,
    });
    assertProblem(parseError(LEGACY.replace('version: "3.0"', 'version: "2.0"')), {
      file: "module.yaml",
      document: 1,
      path: "version",
      expected: 'the string "3.0"',
      found: '"2.0", a version no longer supported',
    });
    assertProblem(parseError(LEGACY.replace("type: remote", "type: embedded")), {
      file: "module.yaml",
      document: 1,
      path: "module.meta.type",
      expected: '"remote"',
      found: '"embedded"',
      line: 4,
    });
    assertProblem(parseError('version: "3.0"\nmodule:\n  meta:\n    type: remote\n'), {
      file: "module.yaml",
      document: 1,
      path: "module.spec",
      expected: "a mapping with endpoints, ingresses and egresses",
      found: "nothing",
    });
    assertProblem(
      parseError(
        LEGACY.replace(
          "- endpoint:\n          meta:\n            kind: http",
          "- endpoint:\n          meta: {}",
        ),
      ),
      {
        file: "module.yaml",
        document: 1,
        path: "module.spec.endpoints[0].endpoint.meta.kind",
        expected: "the endpoint's kind, such as http",
        found: "nothing",
      },
    );
  });

  it("is recognised only as the file's one document", () => {
    const error = parseError(`${LEGACY}---\n${CURRENT}`);
    assertProblem(error, {
      file: "module.yaml",
      document: 1,
      path: "kind",
      expected: "a component kind",
      found: "nothing",
    });
  });
});
