// module.yaml loading, success cases: the resolved model with every default and every field.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { loadModules, parseModuleText } from "../../src/config/module/loader.js";
import { endpointV2, tempDir } from "./helpers.js";

// apache/flink-statefun-playground javascript/greeter/module.yaml (licence header omitted).
const GREETER = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
#  transport:
#    type: io.statefun.transports.v1/async
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - greetings
`;

const ASYNC_DEFAULTS = {
  type: "async",
  callTimeoutMs: 120_000,
  connectTimeoutMs: 20_000,
  poolTtlMs: 15_000,
  poolSize: 1024,
  payloadMaxBytes: 33_554_432,
  tls: undefined,
} as const;

describe("loadModules", () => {
  it("loads the playground greeter module with StateFun's defaults", async () => {
    const dir = await tempDir({ "module.yaml": GREETER });
    const file = join(dir, "module.yaml");
    const definition = await loadModules([file]);
    assert.deepEqual(definition, {
      files: [file],
      endpoints: [
        {
          kind: "io.statefun.endpoints.v2/http",
          source: { file, documentIndex: 0 },
          functions: { namespace: "example", name: undefined },
          urlPathTemplate: "http://functions:8000/statefun",
          maxNumBatchRequests: 1000,
          transport: ASYNC_DEFAULTS,
        },
      ],
      ingresses: [
        {
          kind: "io.statefun.playground.v1/ingress",
          id: "io.statefun.playground/ingress",
          source: { file, documentIndex: 1 },
          port: 8090,
        },
      ],
      egresses: [
        {
          kind: "io.statefun.playground.v1/egress",
          id: "io.statefun.playground/egress",
          source: { file, documentIndex: 2 },
          port: 8091,
          topics: ["greetings"],
        },
      ],
      embeddedModules: [],
      warnings: [],
    });
  });

  it("accepts file:// URLs, keeping the URL for messages and the path in files", async () => {
    const dir = await tempDir({ "module.yaml": GREETER });
    const url = pathToFileURL(join(dir, "module.yaml")).href;
    const definition = await loadModules([url]);
    assert.deepEqual(definition.files, [join(dir, "module.yaml")]);
    assert.equal(definition.endpoints[0]?.source.file, url);
    assert.equal(definition.ingresses[0]?.source.file, url);
  });

  it("concatenates several files in order", async () => {
    const dir = await tempDir({
      "a.yaml": endpointV2("com.a/*"),
      "b.yaml": `${endpointV2("com.b/greeter")}\n---\n${endpointV2("com.a/exact")}`,
    });
    const files = [join(dir, "a.yaml"), join(dir, "b.yaml")];
    const definition = await loadModules(files);
    assert.deepEqual(definition.files, files);
    assert.deepEqual(
      definition.endpoints.map((e) => [e.source.file, e.source.documentIndex, e.functions]),
      [
        [files[0], 0, { namespace: "com.a", name: undefined }],
        [files[1], 0, { namespace: "com.b", name: "greeter" }],
        [files[1], 1, { namespace: "com.a", name: "exact" }],
      ],
    );
  });

  it("accepts an application without ingress (a deliberate deviation from the JVM)", async () => {
    const dir = await tempDir({ "module.yaml": endpointV2("example/*") });
    const definition = await loadModules([join(dir, "module.yaml")]);
    assert.equal(definition.endpoints.length, 1);
    assert.deepEqual(definition.ingresses, []);
  });

  it("resolves embedded modules against the YAML file's directory", async () => {
    const dir = await tempDir({
      "app/functions/greeter.js": "export default {};\n",
      "shared.js": "export const sharedModule = {};\n",
    });
    const sharedUrl = pathToFileURL(join(dir, "shared.js")).href;
    const file = join(dir, "app", "module.yaml");
    await writeFile(
      file,
      [
        "kind: io.statefun-ts.v1/embedded",
        "spec:",
        "  module: ./functions/greeter.js",
        "---",
        "kind: io.statefun-ts.v1/embedded",
        "spec: {module: ../shared.js, export: sharedModule}",
        "---",
        "kind: io.statefun-ts.v1/embedded",
        `spec: {module: "${sharedUrl}", export: other}`,
        "---",
        "kind: io.statefun-ts.v1/embedded",
        `spec: {module: "${join(dir, "app", "functions", "greeter.js")}", export: absolute}`,
      ].join("\n"),
    );
    const definition = await loadModules([file]);
    assert.deepEqual(definition.embeddedModules[0], {
      kind: "io.statefun-ts.v1/embedded",
      source: { file, documentIndex: 0 },
      modulePath: join(dir, "app", "functions", "greeter.js"),
      exportName: "default",
    });
    assert.deepEqual(
      definition.embeddedModules.slice(1).map((m) => [m.modulePath, m.exportName]),
      [
        [join(dir, "shared.js"), "sharedModule"],
        [join(dir, "shared.js"), "other"],
        [join(dir, "app", "functions", "greeter.js"), "absolute"],
      ],
    );
    assert.deepEqual(definition.endpoints, []);
  });
});

describe("parseModuleText", () => {
  it("skips null and empty documents but keeps document indices", () => {
    const text = ["---", "---", "null", "---", "~", "---", endpointV2("example/*")].join("\n");
    const definition = parseModuleText(text, "module.yaml");
    assert.equal(definition.endpoints.length, 1);
    assert.deepEqual(definition.endpoints[0]?.source, { file: "module.yaml", documentIndex: 3 });
  });

  it("keeps a negative maxNumBatchRequests (backpressure disabled)", () => {
    const [endpoint] = parseModuleText(
      endpointV2("example/*", "maxNumBatchRequests: -5"),
      "m.yaml",
    ).endpoints;
    assert.equal(endpoint?.maxNumBatchRequests, -5);
  });

  it("reads YAML anchors, aliases and << merge keys", () => {
    const text = [
      "defaults: &transport {call: 30s, connect: 2s}",
      "kind: io.statefun.endpoints.v2/http",
      "spec:",
      "  functions: a/*",
      "  urlPathTemplate: &url http://fn/{function.name}",
      "  transport:",
      "    <<: *transport",
      "    connect: 3s",
      "    trust_cacerts: *url",
    ].join("\n");
    const [endpoint] = parseModuleText(text, "m.yaml").endpoints;
    assert.equal(endpoint?.urlPathTemplate, "http://fn/{function.name}");
    assert.ok(endpoint?.transport.type === "async");
    assert.equal(endpoint.transport.callTimeoutMs, 30_000);
    assert.equal(endpoint.transport.connectTimeoutMs, 3_000);
    assert.equal(endpoint.transport.tls?.trustCaCerts, "http://fn/{function.name}");
  });

  it("accepts port 0 (ephemeral) and warns about an egress without topics", () => {
    const text = [
      "kind: io.statefun.playground.v1/ingress",
      "spec: {port: 0}",
      "---",
      "kind: io.statefun.playground.v1/egress",
      "spec: {port: 0, topics: []}",
    ].join("\n");
    const definition = parseModuleText(text, "m.yaml");
    assert.equal(definition.ingresses[0]?.port, 0);
    const egress = definition.egresses[0];
    assert.ok(egress?.kind === "io.statefun.playground.v1/egress");
    assert.deepEqual(egress.topics, []);
    assert.deepEqual(definition.warnings, [
      "m.yaml: document 2 (kind io.statefun.playground.v1/egress): spec.topics: " +
        "no topics: every record sent to this egress will be refused",
    ]);
  });
});
