/**
 * Tests of the transport-neutral admin router: path parameters, query strings, HEAD, 404, 405
 * with `Allow`, 400 on bad percent-encoding, and 500 with a log line when a handler throws or
 * returns a value that cannot be serialized.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAdminRouter } from "../../src/admin/router.js";
import type { AdminRequest } from "../../src/admin/router.js";
import type { LogLine } from "../observability/fixture.js";
import { captureLogger } from "../observability/fixture.js";

function body(reply: { body: string }): unknown {
  return JSON.parse(reply.body);
}

describe("createAdminRouter", () => {
  const lines: LogLine[] = [];
  const seen: AdminRequest[] = [];
  const router = createAdminRouter(
    {
      "/v1/items": {
        GET: () => ({ json: { items: [] } }),
        POST: () => ({ status: 201, json: { created: true } }),
      },
      "/v1/items/:id": {
        GET: (request) => {
          seen.push(request);
          return { json: { id: request.params.id, q: request.query.get("q") } };
        },
      },
      "/text": { GET: () => ({ text: "plain\n", contentType: "text/plain; charset=utf-8" }) },
      "/throws": {
        GET: () => {
          throw new Error("kaput", { cause: new Error("root cause") });
        },
      },
      "/bigint": { GET: () => ({ json: { n: 1n } }) },
    },
    captureLogger(lines),
  );

  it("routes by literal path and method, with status and JSON body", async () => {
    const list = await router.handle("GET", "/v1/items");
    assert.equal(list.status, 200);
    assert.equal(list.headers["content-type"], "application/json; charset=utf-8");
    assert.deepEqual(body(list), { items: [] });
    const created = await router.handle("POST", "/v1/items");
    assert.deepEqual([created.status, body(created)], [201, { created: true }]);
  });

  it("decodes :name parameters and passes the query string", async () => {
    const reply = await router.handle("GET", "/v1/items/a%2Fb?q=x%20y");
    assert.deepEqual(body(reply), { id: "a/b", q: "x y" });
    assert.equal(seen.at(-1)?.path, "/v1/items/a%2Fb");
    assert.equal(
      (await router.handle("GET", "/v1/items/")).status,
      404,
      "an empty parameter does not match",
    );
  });

  it("answers bad percent-encoding with 400", async () => {
    const reply = await router.handle("GET", "/v1/items/%E0%A4%A");
    assert.equal(reply.status, 400);
    assert.equal((body(reply) as { code: string }).code, "bad-request");
  });

  it("serves text with its content type, and HEAD wherever GET is", async () => {
    const text = await router.handle("GET", "/text");
    assert.deepEqual(
      [text.status, text.headers["content-type"], text.body],
      [200, "text/plain; charset=utf-8", "plain\n"],
    );
    assert.equal((await router.handle("HEAD", "/text")).status, 200);
  });

  it("answers 404 for unknown paths and 405 with Allow for wrong methods", async () => {
    const missing = await router.handle("GET", "/v2/items");
    assert.deepEqual(
      [missing.status, body(missing)],
      [404, { error: "no admin resource at /v2/items", code: "not-found" }],
    );
    const wrong = await router.handle("DELETE", "/v1/items");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "GET, POST, HEAD");
    assert.deepEqual(body(wrong), {
      error: "DELETE is not allowed on /v1/items; allowed: GET, POST, HEAD",
      code: "method-not-allowed",
    });
  });

  it("answers 500 and logs when a handler throws or its result cannot be serialized", async () => {
    const thrown = await router.handle("GET", "/throws");
    assert.deepEqual(
      [thrown.status, body(thrown)],
      [500, { error: "GET /throws failed: kaput", code: "internal-error" }],
    );
    const bigint = await router.handle("GET", "/bigint");
    assert.equal(bigint.status, 500);
    assert.deepEqual(
      lines.map((line) => [line.level, line.message, line.fields.path]),
      [
        ["error", "admin request failed", "/throws"],
        ["error", "admin request failed", "/bigint"],
      ],
    );
    assert.deepEqual(lines[0]?.fields.causes, ["root cause"]);
  });
});
