// Embedded modules in createApplication: real ES module files imported from temporary
// directories, and every way they can be wrong (import error, missing export, not a registry,
// a function type bound twice).
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { addressOf, TypedValue, stringType } from "@statefun-ts/protocol";
import { createApplication } from "../../src/index.js";
import { assertProblem, configErrorAsync, endpointV2 } from "../config/helpers.js";
import {
  EGRESS_DOC,
  INGRESS_DOC,
  SDK_URL,
  embeddedDoc,
  loadApp,
  registryModule,
  yamlStream,
} from "./helpers.js";

const EMBEDDED = "io.statefun-ts.v1/embedded";
const REGISTRY = "a function registry made with createStatefulFunctions()";

describe("embedded modules", () => {
  it("imports every module and serves its functions", async () => {
    const { definition } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./a.js"), embeddedDoc("./b.js", "more"), INGRESS_DOC),
      "a.js": registryModule("test/a"),
      "b.js": `${registryModule("test/b").replace("export default", "export const more =")}`,
    });
    const app = await createApplication(definition);
    assert.equal(app.runtime.hasFunctionType("test/a"), true);
    assert.equal(app.runtime.hasFunctionType("test/b"), true);
    assert.equal(app.runtime.hasFunctionType("test/c"), false);
    await app.stop();
  });

  it("runs imported functions end to end inside the runtime", async () => {
    const { definition } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./a.js"), EGRESS_DOC),
      "a.js": registryModule("test/a"),
    });
    const app = await createApplication(definition);
    await app.start();
    try {
      await app.runtime.submit(addressOf("test/a", "x"), TypedValue.of(stringType, "hi"));
      const port = app.runtime.components().egresses[0]?.describe().port as number;
      const response = await fetch(`http://127.0.0.1:${port}/seen?waitMs=5000`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "x");
    } finally {
      await app.stop();
    }
  });

  it("reports an import that throws, with the error as cause", async () => {
    const { definition, file, dir } = await loadApp({
      "module.yaml": embeddedDoc("./broken.js"),
      "broken.js": 'throw new Error("boom at import");\n',
    });
    const error = await configErrorAsync(createApplication(definition));
    const modulePath = join(dir, "broken.js");
    assertProblem(error, {
      file,
      document: 1,
      kind: EMBEDDED,
      path: "spec.module",
      expected: "an importable ES module",
      found: `${modulePath}, whose import failed: boom at import`,
    });
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, "boom at import");
  });

  it("reports a missing export, listing what the module exports", async () => {
    const { definition, file, dir } = await loadApp({
      "module.yaml": yamlStream(INGRESS_DOC, embeddedDoc("./fns.js")),
      "fns.js": "export const a = 1;\nexport function b() {}\n",
    });
    const error = await configErrorAsync(createApplication(definition));
    assertProblem(error, {
      file,
      document: 2,
      kind: EMBEDDED,
      path: "spec.export",
      expected: REGISTRY,
      found: `export default of ${join(dir, "fns.js")} is undefined; the module exports: a, b`,
    });
  });

  it("reports an export that is not a registry", async () => {
    const { definition, file, dir } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./fns.js", "functions")),
      "fns.js": `import { createStatefulFunctions } from ${JSON.stringify(SDK_URL)};\nexport const functions = { createStatefulFunctions, size: 1 };\n`,
    });
    const error = await configErrorAsync(createApplication(definition));
    assertProblem(error, {
      file,
      document: 1,
      kind: EMBEDDED,
      path: "spec.export",
      expected: REGISTRY,
      found:
        `export functions of ${join(dir, "fns.js")} is an object with keys ` +
        "createStatefulFunctions, size; the module exports: functions",
    });
  });

  it("reports a function type bound by two modules, naming both", async () => {
    const { definition, file, dir } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./a.js"), INGRESS_DOC, embeddedDoc("./b.js")),
      "a.js": registryModule("test/a", "test/shared"),
      "b.js": registryModule("test/shared", "test/b"),
    });
    const error = await configErrorAsync(createApplication(definition));
    assertProblem(error, {
      file,
      document: 3,
      kind: EMBEDDED,
      path: "spec.module",
      expected: "function types bound by one module only",
      found:
        `test/shared, bound by export default of ${join(dir, "b.js")} and also by export ` +
        `default of ${join(dir, "a.js")} (${file}: document 1)`,
    });
  });

  it("reports a function type bound by a module and served by an endpoint", async () => {
    const { definition, file, dir } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./a.js"), endpointV2("test/a"), endpointV2("test/*")),
      "a.js": registryModule("test/a"),
    });
    const error = await configErrorAsync(
      createApplication(definition, {
        factories: {
          ingressFactories: new Map(),
          egressFactories: new Map(),
          endpointProviderFactory: () => ({ resolve: () => undefined }),
        },
      }),
    );
    assertProblem(error, {
      file,
      document: 2,
      kind: "io.statefun.endpoints.v2/http",
      path: "spec.functions",
      expected: "a function type not bound by an embedded module",
      found: `test/a, also bound by export default of ${join(dir, "a.js")} (${file}: document 1)`,
    });
    // The namespace pattern test/* is fine: the exact embedded binding wins.
    assert.equal(error.message.split("\n").length, 1);
  });
});
