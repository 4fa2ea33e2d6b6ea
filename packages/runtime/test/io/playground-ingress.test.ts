/**
 * End-to-end tests of the playground ingress over real HTTP against a real runtime: routing,
 * typenames, raw bodies and status codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import type { EchoReport, Playground } from "./playground-harness.js";
import { expectError, put, take, withPlayground } from "./playground-harness.js";

/** Asserts that `example/echo` received no message: its counter and its topic are empty. */
async function expectNothingDelivered(pg: Playground): Promise<void> {
  await pg.runtime.whenIdle();
  const stats = pg.runtime.functionStats().find((s) => s.typename === "example/echo");
  assert.equal(stats?.in ?? 0, 0);
  const echoes = await take(pg, "echo");
  assert.equal(echoes.status, 204);
}

/** Waits for the next echo report (long poll). */
async function nextEcho(playground: Playground): Promise<EchoReport> {
  const response = await take(playground, "echo?waitMs=5000");
  assert.equal(response.status, 200);
  return (await response.json()) as EchoReport;
}

void test("greeter flow: a vnd-typed PUT reaches the function, which publishes a greeting", () =>
  withPlayground({}, async (pg) => {
    const first = await put(
      pg,
      "/example/person/Bob",
      '{"name":"Bob"}',
      "application/vnd.example/GreetRequest",
    );
    assert.equal(first.status, 200);
    assert.equal(await first.text(), "");
    const greeting = await take(pg, "greetings?waitMs=5000");
    assert.equal(greeting.status, 200);
    assert.equal(greeting.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await greeting.text(), "Welcome Bob!");

    const again = await put(
      pg,
      "/example/person/Bob",
      '{"name":"Bob"}',
      "application/vnd.example/GreetRequest",
    );
    assert.equal(again.status, 200);
    await again.text();
    const second = await take(pg, "greetings?waitMs=5000");
    assert.equal(await second.text(), "Nice to see you again Bob, visit 2");

    const empty = await take(pg, "greetings");
    assert.equal(empty.status, 204);
    assert.equal(await empty.text(), "");
  }));

void test("without a vnd content type the typename is io.statefun.types/string and the body raw", () =>
  withPlayground({}, async (pg) => {
    const plain = await put(pg, "/example/echo/p1", "héllo", "text/plain");
    assert.equal(plain.status, 200);
    assert.deepEqual(await nextEcho(pg), {
      id: "p1",
      typename: "io.statefun.types/string",
      hasValue: true,
      body: "héllo",
      length: 6,
    });

    const none = await fetch(`${pg.ingressUrl}/example/echo/p2`, {
      method: "POST",
      body: new Uint8Array([1, 2]),
    });
    assert.equal(none.status, 200);
    const report = await nextEcho(pg);
    assert.equal(report.typename, "io.statefun.types/string");
    assert.equal(report.length, 2);
  }));

void test("an empty body arrives as a present, empty value", () =>
  withPlayground({}, async (pg) => {
    const response = await fetch(`${pg.ingressUrl}/example/echo/e`, { method: "PUT" });
    assert.equal(response.status, 200);
    const report = await nextEcho(pg);
    assert.equal(report.hasValue, true);
    assert.equal(report.length, 0);
  }));

void test("the typename is the first vnd content type, without parameters", () =>
  withPlayground({}, async (pg) => {
    const withParams = await put(
      pg,
      "/example/echo/t1",
      "x",
      "application/vnd.example/Thing; charset=utf-8",
    );
    assert.equal(withParams.status, 200);
    assert.equal((await nextEcho(pg)).typename, "example/Thing");

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${pg.ingressUrl}/example/echo/t2`, { method: "PUT" }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.setHeader("Content-Type", [
        "text/plain",
        "application/vnd.example/Second",
        "application/vnd.example/Third",
      ]);
      req.on("error", reject);
      req.end("y");
    });
    assert.equal(status, 200);
    assert.equal((await nextEcho(pg)).typename, "example/Second");
  }));

void test("path segments are percent-decoded and one trailing slash is tolerated", () =>
  withPlayground({}, async (pg) => {
    const encoded = await put(pg, "/example/echo/a%2Fb%20c", "1");
    assert.equal(encoded.status, 200);
    assert.equal((await nextEcho(pg)).id, "a/b c");

    const trailing = await put(pg, "/example/echo/slash/?ignored=1", "2");
    assert.equal(trailing.status, 200);
    assert.equal((await nextEcho(pg)).id, "slash");
  }));

void test("malformed paths and content types get 400 with a reason", () =>
  withPlayground({}, async (pg) => {
    await expectError(await put(pg, "/a/b", "x"), 400, "invalid-argument", /found 2 segment/);
    await expectError(await put(pg, "/a/b/c/d", "x"), 400, "invalid-argument", /found 4 segment/);
    await expectError(await put(pg, "/a/b/c//", "x"), 400, "invalid-argument", /found 5 segment/);
    await expectError(await put(pg, "//b/c", "x"), 400, "invalid-argument", /empty namespace/);
    await expectError(await put(pg, "/a//c", "x"), 400, "invalid-argument", /empty type/);
    await expectError(
      await put(pg, "/example/echo/%E0%A4%A", "x"),
      400,
      "invalid-argument",
      /percent-encoding in the id/,
    );
    await expectError(
      await put(pg, "/example/echo/%zz", "x"),
      400,
      "invalid-argument",
      /percent-encoding/,
    );
    await expectError(await put(pg, "/a%2Fx/b/c", "x"), 400, "invalid-typename", /namespace/);
    await expectError(
      await put(pg, "/example/echo/1", "x", "application/vnd.nonamespace"),
      400,
      "invalid-typename",
      /application\/vnd\.<namespace>\/<name>.*nonamespace/,
    );
    await expectError(
      await put(pg, "/example/echo/1", "x", "application/vnd./x"),
      400,
      "invalid-typename",
      /vnd/,
    );
    await expectNothingDelivered(pg);
  }));

void test("an unknown function type gets 404", () =>
  withPlayground({}, async (pg) => {
    await expectError(
      await put(pg, "/nope/nothing/1", "x"),
      404,
      "unknown-function-type",
      /nope\/nothing/,
    );
  }));

void test("other methods get 405 with Allow", () =>
  withPlayground({}, async (pg) => {
    for (const method of ["GET", "DELETE", "PATCH"]) {
      const response = await fetch(`${pg.ingressUrl}/example/echo/1`, { method });
      assert.equal(response.headers.get("allow"), "PUT, POST");
      await expectError(response, 405, "method-not-allowed", new RegExp(`found ${method}`));
    }
  }));

void test("a body over maxBodyBytes gets 413, with or without Content-Length; the limit itself passes", () =>
  withPlayground({ maxBodyBytes: 1024 }, async (pg) => {
    const declared = await fetch(`${pg.ingressUrl}/example/echo/big`, {
      method: "PUT",
      body: new Uint8Array(4096),
    });
    await expectError(declared, 413, "capacity-exceeded", /at most 1024 bytes/);

    const chunked = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${pg.ingressUrl}/example/echo/chunked`, { method: "PUT" }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.write(new Uint8Array(700));
      req.end(new Uint8Array(700));
    });
    assert.equal(chunked, 413);
    await expectNothingDelivered(pg);

    const exact = await fetch(`${pg.ingressUrl}/example/echo/exact`, {
      method: "PUT",
      body: new Uint8Array(1024),
    });
    assert.equal(exact.status, 200);
    assert.equal((await nextEcho(pg)).length, 1024);
  }));
