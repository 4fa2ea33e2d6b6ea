// Whole-application checks across documents and files (duplicates, function providers), and
// component binders contributed by other packages.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { z } from "zod";
import type { IngressBinder } from "../../src/config/module/binder.js";
import { durationSchema } from "../../src/config/module/fields.js";
import { BUILTIN_BINDERS, loadModules, parseModuleText } from "../../src/config/module/loader.js";
import type { ConnectorDefinition, IngressDefinition } from "../../src/config/module/types.js";
import * as publicApi from "../../src/index.js";
import {
  assertProblem,
  configError,
  configErrorAsync,
  endpointV2,
  problemsOf,
  tempDir,
} from "./helpers.js";

const V2 = "io.statefun.endpoints.v2/http";
const INGRESS = "kind: io.statefun.playground.v1/ingress\nspec: {port: 8090}";
const EGRESS = "kind: io.statefun.playground.v1/egress\nspec: {port: 8091, topics: [t]}";

async function load(files: Readonly<Record<string, string>>) {
  const dir = await tempDir(files);
  const paths = Object.keys(files).map((name) => join(dir, name));
  return { paths, result: loadModules(paths) };
}

describe("duplicates", () => {
  it("rejects an exact function type bound in two files, naming both locations", async () => {
    const { paths, result } = await load({
      "a.yaml": `${INGRESS}\n---\n${endpointV2("example/greeter")}`,
      "b.yaml": endpointV2("example/greeter"),
    });
    const [a, b] = paths as [string, string];
    assertProblem(await configErrorAsync(result), {
      file: b,
      document: 1,
      kind: V2,
      path: "spec.functions",
      expected: "a function type served by only one endpoint",
      found: `function type "example/greeter", already declared in ${a}: document 2`,
    });
  });

  it("rejects a namespace pattern bound twice", async () => {
    const { paths, result } = await load({
      "a.yaml": endpointV2("example/*"),
      "b.yaml": `${endpointV2("other/*")}\n---\n${endpointV2("example/*")}`,
    });
    const [a, b] = paths as [string, string];
    const error = await configErrorAsync(result);
    assertProblem(error, {
      file: b,
      document: 2,
      kind: V2,
      path: "spec.functions",
      expected: "a namespace pattern served by only one endpoint",
      found: `namespace pattern "example/*", already declared in ${a}: document 1`,
    });
    assert.equal(problemsOf(error).length, 1);
  });

  it("accepts an exact type inside a namespace bound elsewhere (the exact binding wins)", async () => {
    const { result } = await load({
      "a.yaml": endpointV2("example/*"),
      "b.yaml": endpointV2("example/greeter"),
    });
    assert.equal((await result).endpoints.length, 2);
  });

  it("rejects two playground ingresses (fixed id) and two playground egresses", () => {
    const error = configError(() =>
      parseModuleText([INGRESS, EGRESS, INGRESS, EGRESS].join("\n---\n"), "module.yaml"),
    );
    assertProblem(error, {
      file: "module.yaml",
      document: 3,
      kind: "io.statefun.playground.v1/ingress",
      path: "",
      expected: "a unique ingress id",
      found:
        'ingress id "io.statefun.playground/ingress", already declared in module.yaml: document 1',
    });
    assertProblem(error, {
      file: "module.yaml",
      document: 4,
      kind: "io.statefun.playground.v1/egress",
      path: "",
      expected: "a unique egress id",
      found:
        'egress id "io.statefun.playground/egress", already declared in module.yaml: document 2',
    });
  });

  it("rejects duplicate ingress ids across files", async () => {
    const { paths, result } = await load({
      "a.yaml": `${endpointV2("a/*")}\n---\n${INGRESS}`,
      "b.yaml": INGRESS,
    });
    assertProblem(await configErrorAsync(result), {
      file: paths[1] ?? "",
      document: 1,
      kind: "io.statefun.playground.v1/ingress",
      path: "",
      expected: "a unique ingress id",
      found: `ingress id "io.statefun.playground/ingress", already declared in ${paths[0]}: document 2`,
    });
  });
});

describe("function providers", () => {
  it("rejects an application without endpoint or embedded module", async () => {
    const { paths, result } = await load({ "a.yaml": INGRESS, "b.yaml": `---\n${EGRESS}` });
    const error = await configErrorAsync(result);
    assertProblem(error, {
      file: paths.join(", "),
      document: undefined,
      path: "",
      expected: "at least one function provider: an io.statefun.endpoints.v2/http or",
      found: "none",
    });
    assert.equal(problemsOf(error).length, 1);
  });

  it("does not require a provider in a single parsed text", () => {
    assert.equal(parseModuleText(INGRESS, "ingress-only.yaml").ingresses.length, 1);
  });

  it("rejects an empty list of module files", async () => {
    const error = await configErrorAsync(loadModules([]));
    assert.equal(error.message, "module files: expected at least one module file, found none");
  });
});

interface TestIngressSpec {
  readonly topic: string;
  readonly pollIntervalMs: number;
}

// A connector package would declare its kind in IngressDefinitionsByKind by module
// augmentation; the test does not, so as not to widen the runtime's own union, and casts.
const testIngressBinder: IngressBinder = {
  kind: "com.example.v1/ingress",
  category: "ingress",
  parse(_spec, at) {
    const schema = z.object({
      id: z.string(),
      topic: z.string({ error: "a topic" }),
      pollInterval: durationSchema().default(1_000),
    });
    const spec = at.validate(schema);
    if (spec === undefined) return undefined;
    const definition: ConnectorDefinition<"com.example.v1/ingress", TestIngressSpec> = {
      kind: "com.example.v1/ingress",
      id: spec.id,
      source: at.source,
      spec: { topic: spec.topic, pollIntervalMs: spec.pollInterval },
    };
    return definition as unknown as IngressDefinition;
  },
};

describe("component binders", () => {
  it("binds kinds of other packages, with the same problem reporting", () => {
    const text = `${INGRESS}\n---\nkind: com.example.v1/ingress\nspec: {id: com.example/in, topic: t, pollInterval: 5s}`;
    const definition = parseModuleText(text, "m.yaml", { binders: [testIngressBinder] });
    assert.deepEqual(definition.ingresses[1], {
      kind: "com.example.v1/ingress",
      id: "com.example/in",
      source: { file: "m.yaml", documentIndex: 1 },
      spec: { topic: "t", pollIntervalMs: 5_000 },
    });
    const error = configError(() =>
      parseModuleText("kind: com.example.v1/ingress\nspec: {id: a/b, topic: 3}", "m.yaml", {
        binders: [testIngressBinder],
      }),
    );
    assertProblem(error, {
      file: "m.yaml",
      document: 1,
      kind: "com.example.v1/ingress",
      path: "spec.topic",
      expected: "a topic",
      found: "3",
    });
    assert.throws(
      () => parseModuleText("kind: com.example.v1/ingress\nspec: {id: a/b, topic: t}", "m.yaml"),
      /found "com.example.v1\/ingress"/u,
    );
  });

  it("refuses two binders for one kind", () => {
    const clash = { ...testIngressBinder, kind: "io.statefun.playground.v1/ingress" };
    assert.throws(
      () => parseModuleText(INGRESS, "m.yaml", { binders: [clash] }),
      (error: unknown) => error instanceof StatefunError && error.code === "invalid-argument",
    );
  });

  it("exports the loader from the package's public door", () => {
    assert.equal(publicApi.loadModules, loadModules);
    assert.equal(publicApi.parseModuleText, parseModuleText);
    assert.equal(publicApi.BUILTIN_BINDERS, BUILTIN_BINDERS);
    assert.deepEqual(
      BUILTIN_BINDERS.map((binder) => [binder.kind, binder.category]),
      [
        ["io.statefun.endpoints.v2/http", "endpoint"],
        ["io.statefun.endpoints.v1/http", "endpoint"],
        ["io.statefun.playground.v1/ingress", "ingress"],
        ["io.statefun.playground.v1/egress", "egress"],
        ["io.statefun-ts.v1/embedded", "embedded"],
      ],
    );
  });
});
