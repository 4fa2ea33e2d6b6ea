// Transport resolution of HTTP endpoints (reference §1.10, §3.3, §3.4): every field, the
// defaults, the async transport's nested timeouts quirk (rough edge §8.25) and v1 endpoints.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseModuleText } from "../../src/config/module/loader.js";
import { endpointV2 } from "./helpers.js";

describe("endpoint transports", () => {
  it("resolves every async transport field, TLS included", () => {
    const text = endpointV2(
      "example/greeter",
      "maxNumBatchRequests: 0",
      "transport:",
      "  type: io.statefun.transports.v1/async",
      "  call: 3m",
      "  connect: 5 s",
      "  pool_ttl: 0",
      "  pool_size: 16",
      "  payload_max_bytes: 1048576",
      "  trust_cacerts: file:///etc/ca.pem",
      "  client_cert: /etc/client.crt",
      "  client_key: /etc/client.key",
      "  client_key_password: /etc/client.pass",
      "  someFutureOption: ignored",
    );
    const [endpoint] = parseModuleText(`${text}\n  unknownField: 1`, "m.yaml").endpoints;
    assert.equal(endpoint?.maxNumBatchRequests, 0);
    assert.deepEqual(endpoint?.functions, { namespace: "example", name: "greeter" });
    assert.deepEqual(endpoint?.transport, {
      type: "async",
      callTimeoutMs: 180_000,
      connectTimeoutMs: 5_000,
      poolTtlMs: 0,
      poolSize: 16,
      payloadMaxBytes: 1_048_576,
      tls: {
        trustCaCerts: "file:///etc/ca.pem",
        clientCert: "/etc/client.crt",
        clientKey: "/etc/client.key",
        clientKeyPassword: "/etc/client.pass",
      },
    });
  });

  it("lets nested timeouts override top-level call and connect, without warning", () => {
    const text = endpointV2(
      "example/*",
      "transport:",
      "  call: 5m",
      "  connect: 30s",
      "  timeouts: {call: 90s, connect: 3s}",
    );
    const definition = parseModuleText(text, "m.yaml");
    const transport = definition.endpoints[0]?.transport;
    assert.equal(transport?.callTimeoutMs, 90_000);
    assert.equal(transport?.connectTimeoutMs, 3_000);
    assert.deepEqual(definition.warnings, []);
  });

  it("reproduces the call-budget reset of a timeouts object without call, and warns", () => {
    const text = endpointV2(
      "example/*",
      "transport:",
      "  call: 5m",
      "  timeouts: {connect: 5s, read: 10 sec}",
    );
    const definition = parseModuleText(text, "m.yaml");
    const transport = definition.endpoints[0]?.transport;
    assert.equal(transport?.callTimeoutMs, 60_000);
    assert.equal(transport?.connectTimeoutMs, 5_000);
    const prefix =
      "m.yaml: document 1 (kind io.statefun.endpoints.v2/http): spec.transport.timeouts: ";
    assert.deepEqual(definition.warnings, [
      `${prefix}timeouts object present without call: call budget reset to 1 min ` +
        "(the top-level call: 5 min is ignored)",
      `${prefix}read and write timeouts are ignored by the async transport`,
    ]);
  });

  it("uses the nested defaults (1 min, 10 s) for an empty timeouts object", () => {
    const definition = parseModuleText(
      endpointV2("example/*", "transport:", "  timeouts: {}"),
      "m.yaml",
    );
    assert.equal(definition.endpoints[0]?.transport.callTimeoutMs, 60_000);
    assert.equal(definition.endpoints[0]?.transport.connectTimeoutMs, 10_000);
    assert.match(definition.warnings[0] ?? "", /call budget reset to 1 min \(instead of/u);
  });

  it("resolves the OkHttp transport of v2 endpoints, unix socket URLs included", () => {
    const text = [
      "kind: io.statefun.endpoints.v2/http",
      "spec:",
      "  functions: example/*",
      "  urlPathTemplate: http+unix:///run/functions.sock/{function.name}",
      "  transport:",
      "    type: io.statefun.transports.v1/okhttp",
      "    timeouts: {call: 2 min, read: 30s}",
    ].join("\n");
    const [endpoint] = parseModuleText(text, "m.yaml").endpoints;
    assert.deepEqual(endpoint?.transport, {
      type: "okhttp",
      callTimeoutMs: 120_000,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 30_000,
      writeTimeoutMs: 10_000,
    });
  });

  it("parses v1 endpoints: OkHttp with timeouts under spec.timeouts", () => {
    const text = [
      "kind: io.statefun.endpoints.v1/http",
      "spec:",
      "  functions: com.foo.bar/*",
      "  urlPathTemplate: https://bar.foo.com:8080/{function.name}",
      "  maxNumBatchRequests: 10000",
      "  maxRetries: 5",
      "  timeouts:",
      "    call: 1minute",
      "    connect: 20seconds",
      "    read: 30seconds",
      "    write: 3seconds",
      "---",
      "kind: io.statefun.endpoints.v1/http",
      "spec: {functions: other/fn, urlPathTemplate: 'http://other/'}",
    ].join("\n");
    const [first, second] = parseModuleText(text, "m.yaml").endpoints;
    assert.equal(first?.kind, "io.statefun.endpoints.v1/http");
    assert.equal(first?.maxNumBatchRequests, 10_000);
    assert.deepEqual(first?.transport, {
      type: "okhttp",
      callTimeoutMs: 60_000,
      connectTimeoutMs: 20_000,
      readTimeoutMs: 30_000,
      writeTimeoutMs: 3_000,
    });
    assert.deepEqual(second?.transport, {
      type: "okhttp",
      callTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 10_000,
      writeTimeoutMs: 10_000,
    });
    assert.deepEqual(second?.functions, { namespace: "other", name: "fn" });
  });
});
