// The factory registry of createApplication: kinds without factory, remote endpoints without
// provider factory, and factories of one's own replacing or extending the built-in ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  ComponentContext,
  ComponentFactories,
  FunctionInvoker,
  HttpEndpointDefinition,
  Ingress,
  IngressContext,
} from "../../src/index.js";
import { builtinComponentFactories, createApplication, ingressFactoryOf } from "../../src/index.js";
import { assertProblem, configErrorAsync, endpointV2 } from "../config/helpers.js";
import { createCapturingLogger } from "../io/playground-harness.js";
import {
  EGRESS_DOC,
  INGRESS_DOC,
  embeddedDoc,
  loadApp,
  registryModule,
  yamlStream,
} from "./helpers.js";

const PLAYGROUND_INGRESS = "io.statefun.playground.v1/ingress";
const PLAYGROUND_EGRESS = "io.statefun.playground.v1/egress";
const V2 = "io.statefun.endpoints.v2/http";

/** An invoker that answers every batch with no effects. */
function remoteInvoker(typename: string): FunctionInvoker {
  return {
    typename,
    kind: "remote",
    declaredSpecs: [],
    maxBacklogPerAddress: 1000,
    invoke: () => {
      throw new Error("not invoked in these tests");
    },
    describe: () => `fake ${typename}`,
  };
}

function without(kinds: { ingress?: boolean; egress?: boolean }): ComponentFactories {
  const builtin = builtinComponentFactories();
  return {
    ingressFactories: kinds.ingress === true ? new Map() : builtin.ingressFactories,
    egressFactories: kinds.egress === true ? new Map() : builtin.egressFactories,
  };
}

describe("createApplication with the factory registry", () => {
  it("rejects an ingress kind without factory, naming file, document and kind", async () => {
    const { definition, file } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./fns.js"), INGRESS_DOC, EGRESS_DOC),
      "fns.js": registryModule("test/a"),
    });
    const error = await configErrorAsync(
      createApplication(definition, { factories: without({ ingress: true }) }),
    );
    assertProblem(error, {
      file,
      document: 2,
      kind: PLAYGROUND_INGRESS,
      path: "kind",
      expected: "a kind with a registered ingress factory",
      found: `no ingress factory for ${PLAYGROUND_INGRESS}`,
    });
  });

  it("reports a missing ingress factory and a missing egress factory together", async () => {
    const { definition, file } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./fns.js"), INGRESS_DOC, EGRESS_DOC),
      "fns.js": registryModule("test/a"),
    });
    const error = await configErrorAsync(
      createApplication(definition, { factories: without({ ingress: true, egress: true }) }),
    );
    assertProblem(error, {
      file,
      document: 3,
      kind: PLAYGROUND_EGRESS,
      path: "kind",
      expected: "a kind with a registered egress factory",
      found: `no egress factory for ${PLAYGROUND_EGRESS}`,
    });
    assert.match(error.message, /invalid module configuration \(2 problems\)/);
  });

  it("rejects remote endpoints when no endpoint provider factory is registered", async () => {
    const { definition, file } = await loadApp({
      "module.yaml": yamlStream(INGRESS_DOC, endpointV2("remote/*"), endpointV2("other/fn")),
    });
    const error = await configErrorAsync(createApplication(definition, { factories: without({}) }));
    assertProblem(error, {
      file,
      document: 2,
      kind: V2,
      path: "kind",
      expected: "a registered remote endpoint provider factory",
      found: "none, so the functions of remote endpoints cannot be invoked",
    });
  });

  it("builds the remote provider from every endpoint, and closes it after the runtime", async () => {
    const { definition } = await loadApp({
      "module.yaml": yamlStream(endpointV2("remote/*"), endpointV2("other/fn")),
    });
    const calls: { endpoints: readonly HttpEndpointDefinition[]; context: ComponentContext }[] = [];
    const closedWhile: string[] = [];
    const logger = createCapturingLogger();
    const app = await createApplication(definition, {
      runtime: { logger },
      factories: {
        ...builtinComponentFactories(),
        endpointProviderFactory: (endpoints, context) => {
          calls.push({ endpoints, context });
          return {
            resolve: (typename) =>
              typename.startsWith("remote/") ? remoteInvoker(typename) : undefined,
            close: () => {
              closedWhile.push(app.runtime.state);
              return Promise.resolve();
            },
          };
        },
      },
    });
    assert.equal(calls.length, 1);
    assert.deepEqual(
      calls[0]?.endpoints.map((e) => e.urlPathTemplate),
      definition.endpoints.map((e) => e.urlPathTemplate),
    );
    assert.equal(calls[0]?.context.logger, logger);
    assert.equal(app.runtime.hasFunctionType("remote/anything"), true);
    assert.equal(app.runtime.hasFunctionType("other/fn"), false);
    await app.start();
    assert.deepEqual(closedWhile, []);
    await app.stop();
    await app.stop();
    assert.deepEqual(closedWhile, ["stopped"]);
  });

  it("closes the remote provider when the application cannot be assembled", async () => {
    const { definition } = await loadApp({ "module.yaml": endpointV2("remote/*") });
    let closed = 0;
    await assert.rejects(
      createApplication(definition, {
        admin: { port: 70_000 },
        factories: {
          ...builtinComponentFactories(),
          endpointProviderFactory: () => ({
            resolve: () => undefined,
            close: () => {
              closed++;
              return Promise.resolve();
            },
          }),
        },
      }),
      { code: "invalid-config", message: /admin server option port/ },
    );
    assert.equal(closed, 1);
  });

  it("builds ingresses with a registered factory of one's own", async () => {
    const { definition } = await loadApp({
      "module.yaml": yamlStream(embeddedDoc("./fns.js"), INGRESS_DOC),
      "fns.js": registryModule("test/a"),
    });
    const started: IngressContext[] = [];
    const ports: number[] = [];
    const ingress = (port: number): Ingress => ({
      id: "test/ingress",
      start: (context) => {
        started.push(context);
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
      describe: () => ({ kind: "memory", port }),
    });
    const factories: ComponentFactories = {
      ...builtinComponentFactories(),
      ingressFactories: new Map([
        [
          PLAYGROUND_INGRESS,
          ingressFactoryOf(PLAYGROUND_INGRESS, (d) => {
            ports.push(d.port);
            return ingress(d.port);
          }),
        ],
      ]),
    };
    const app = await createApplication(definition, { factories });
    assert.deepEqual(ports, [0]);
    await app.start();
    assert.equal(started.length, 1);
    assert.equal(started[0]?.hasFunctionType("test/a"), true);
    await app.stop();
  });

  it("refuses a definition handed to the factory of another kind", () => {
    const factory = ingressFactoryOf(PLAYGROUND_INGRESS, () => assert.fail("must not build"));
    const context = { logger: createCapturingLogger() } as unknown as ComponentContext;
    const definition = { kind: "other.v1/ingress" } as unknown as Parameters<typeof factory>[0];
    assert.throws(() => factory(definition, context), {
      code: "illegal-state",
      message: /factory of kind io\.statefun\.playground\.v1\/ingress was given .*other\.v1/,
    });
  });
});
