/**
 * The HTTP adapters over real HTTP: the node:http adapter on a real server, the fetch adapter
 * behind a node:http server that streams requests into it, and the fetch adapter called directly
 * with `new Request(...)`. Every status rule of http-rules.ts is checked on all three.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TypedValue, decodeFromFunction, intType, stringType } from "@statefun-ts/protocol";
import {
  createFetchHandler,
  createNodeHandler,
  createRequestReplyHandler,
  createStatefulFunctions,
} from "../src/index.js";
import type { FetchHandler } from "../src/index.js";
import { errorRecorder, request } from "./handler-helpers.js";
import { fetchBridge, listen, send, textOf } from "./handler-http-helpers.js";
import type { TestRequest, TestResponse } from "./handler-http-helpers.js";

const MAX_BODY_BYTES = 256;
const OCTET = { "content-type": "application/octet-stream" };
const hello = TypedValue.of(stringType, "hello");
const valid = request(["test/counter", "c1"], [{ name: "count" }], [{ argument: hello }]);
const failing = request(["test/fails", "f1"], [], [{ argument: hello }]);
const mismatched = request(
  ["test/counter", "c2"],
  [{ name: "count", value: TypedValue.of(stringType, "1") }],
  [{ argument: hello }],
);
const tooLarge = new Uint8Array(4 * MAX_BODY_BYTES).fill(7);

function functions() {
  return createStatefulFunctions()
    .bind({
      typename: "test/counter",
      state: { count: intType },
      fn(context) {
        context.storage.count = (context.storage.count ?? 0) + 1;
      },
    })
    .bind({
      typename: "test/fails",
      fn() {
        throw new Error("boom\nsecond line");
      },
    });
}

/** Calls a fetch handler directly, the way a serverless platform would. */
async function direct(handler: FetchHandler, req: TestRequest): Promise<TestResponse> {
  const method = req.method ?? "POST";
  const headers = new Headers(req.headers);
  let body: ReadableStream<Uint8Array> | Uint8Array | null = null;
  if (method !== "GET" && method !== "HEAD") {
    const bytes = req.body ?? new Uint8Array(0);
    if (req.chunked === true) {
      const half = Math.floor(bytes.length / 2);
      body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, half));
          controller.enqueue(bytes.slice(half));
          controller.close();
        },
      });
    } else {
      body = bytes;
      headers.set("content-length", String(bytes.length));
    }
  }
  const response = await handler(
    new Request(`http://function.example${req.path ?? "/"}`, {
      method,
      headers,
      body,
      duplex: "half",
    }),
  );
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => (out[name] = value));
  return {
    status: response.status,
    headers: out,
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

interface Transport {
  exchange(req: TestRequest): Promise<TestResponse>;
  close(): Promise<void>;
}

const transports: Record<
  string,
  (recorder: ReturnType<typeof errorRecorder>) => Promise<Transport>
> = {
  "node:http adapter": async (recorder) => {
    const handler = createRequestReplyHandler(functions(), { onError: recorder.onError });
    const server = await listen(createNodeHandler(handler, { maxBodyBytes: MAX_BODY_BYTES }));
    return { exchange: (req) => send(server.url, req), close: () => server.close() };
  },
  "fetch adapter behind node:http": async (recorder) => {
    const handler = createRequestReplyHandler(functions(), { onError: recorder.onError });
    const fetchHandler = createFetchHandler(handler, { maxBodyBytes: MAX_BODY_BYTES });
    const server = await listen(fetchBridge(fetchHandler));
    return { exchange: (req) => send(server.url, req), close: () => server.close() };
  },
  "fetch adapter called directly": (recorder) => {
    const handler = createRequestReplyHandler(functions(), { onError: recorder.onError });
    const fetchHandler = createFetchHandler(handler, { maxBodyBytes: MAX_BODY_BYTES });
    return Promise.resolve({
      exchange: (req) => direct(fetchHandler, req),
      close: () => Promise.resolve(),
    });
  },
};

function assertSuccess(response: TestResponse): void {
  assert.equal(response.status, 200, textOf(response));
  assert.equal(response.headers["content-type"], "application/octet-stream");
  const reply = decodeFromFunction(response.body);
  assert.equal(reply.invocationResult?.stateMutations[0]?.stateName, "count");
}

function assertRefused(response: TestResponse, status: number, reason: RegExp): void {
  assert.equal(response.status, status, textOf(response));
  assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
  const text = textOf(response);
  assert.match(text, reason);
  assert.match(text, /^[^\r\n]+\n$/, "a one-line reason");
}

for (const [name, start] of Object.entries(transports)) {
  describe(name, () => {
    const recorder = errorRecorder();
    let transport: Transport;
    before(async () => (transport = await start(recorder)));
    after(() => transport.close());
    const exchange = (req: TestRequest) => transport.exchange(req);

    test("a POST of application/octet-stream gets 200 with the FromFunction, on any path", async () => {
      assertSuccess(await exchange({ headers: OCTET, body: valid }));
      assertSuccess(await exchange({ path: "/some/where?x=1", headers: OCTET, body: valid }));
    });

    test("no Content-Type, media type parameters and any case are accepted", async () => {
      assertSuccess(await exchange({ body: valid }));
      const odd = { "content-type": "Application/Octet-Stream; charset=binary" };
      assertSuccess(await exchange({ headers: odd, body: valid }));
    });

    test("a chunked body is read to its end", async () => {
      assertSuccess(await exchange({ headers: OCTET, body: valid, chunked: true }));
    });

    test("methods other than POST get 405 with Allow: POST", async () => {
      for (const req of [{ method: "GET" }, { method: "PUT", headers: OCTET, body: valid }]) {
        const response = await exchange(req);
        assertRefused(response, 405, /POST/);
        assert.equal(response.headers["allow"], "POST");
      }
    });

    test("another Content-Type gets 415", async () => {
      const headers = { "content-type": "application/json" };
      assertRefused(await exchange({ headers, body: valid }), 415, /application\/json/);
    });

    test("an empty body gets 400, announced or chunked", async () => {
      const empty = new Uint8Array(0);
      assertRefused(await exchange({ headers: OCTET, body: empty }), 400, /empty body/);
      assertRefused(await exchange({ headers: OCTET, body: empty, chunked: true }), 400, /empty/);
    });

    test("a body over maxBodyBytes gets 413, announced or chunked", async () => {
      const expected = new RegExp(`at most ${MAX_BODY_BYTES} bytes`);
      assertRefused(await exchange({ headers: OCTET, body: tooLarge }), 413, expected);
      assertRefused(
        await exchange({ headers: OCTET, body: tooLarge, chunked: true }),
        413,
        expected,
      );
    });

    test("an unknown function type gets 404 naming the target", async () => {
      const body = request(["test/nobody", "n1"], [], [{ argument: hello }]);
      assertRefused(await exchange({ headers: OCTET, body }), 404, /test\/nobody\/n1/);
    });

    test("bytes that are not a ToFunction get 400", async () => {
      const body = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
      assertRefused(await exchange({ headers: OCTET, body }), 400, /^protocol-error: /);
    });

    test("a failing function gets 500 naming the address and the cause, reported to onError", async () => {
      const before = recorder.calls.length;
      const response = await exchange({ headers: OCTET, body: failing });
      assertRefused(response, 500, /^function-failed: .*test\/fails\/f1.*boom second line/);
      assert.deepEqual(
        recorder.calls.slice(before).map((c) => c.target),
        ["test/fails/f1"],
      );
    });

    test("a state value of another type gets 500 naming state and typenames", async () => {
      const before = recorder.calls.length;
      const response = await exchange({ headers: OCTET, body: mismatched });
      assertRefused(response, 500, /^type-mismatch: state count .*io\.statefun\.types\/string/);
      assert.equal(recorder.calls.length, before + 1);
    });

    test("only 5xx failures reach onError", () => {
      assert.deepEqual(
        recorder.calls.map((c) => c.target),
        ["test/fails/f1", "test/counter/c2"],
      );
    });
  });
}

test("invalid adapter options are refused at construction", () => {
  const handler = createRequestReplyHandler(functions());
  for (const maxBodyBytes of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => createNodeHandler(handler, { maxBodyBytes }), /maxBodyBytes/);
    assert.throws(() => createFetchHandler(handler, { maxBodyBytes }), /maxBodyBytes/);
  }
});
