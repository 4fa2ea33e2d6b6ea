// The remote greeter end to end, every part a real process: the function server serving the
// greeter's functions over HTTP, and `statefun run` invoking them through an
// `io.statefun.endpoints.v2/http` endpoint. Four greetings in order; then the function server
// dies, a fifth request is accepted and retried (not lost) until the server is back; both
// processes stop cleanly on SIGTERM.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Child } from "./processes.js";
import { greet, nextGreeting, startFunctionServer, startRuntime } from "./processes.js";

/** The example's module.yaml with the endpoint on `functionPort` and ephemeral playground ports. */
function moduleYaml(functionPort: number): string {
  return [
    "kind: io.statefun.endpoints.v2/http",
    "spec:",
    "  functions: example/*",
    `  urlPathTemplate: http://127.0.0.1:${functionPort}/{function.name}`,
    "---",
    "kind: io.statefun.playground.v1/ingress",
    "spec:",
    "  port: 0",
    "---",
    "kind: io.statefun.playground.v1/egress",
    "spec:",
    "  port: 0",
    "  topics: [greetings]",
    "",
  ].join("\n");
}

test(
  "the greeter's functions served remotely: greetings in order, nothing lost while the server is down",
  { timeout: 120_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "greeter-remote-"));
    const children: Child[] = [];
    try {
      const first = await startFunctionServer(["--port", "0"]);
      children.push(first.server);
      const moduleFile = join(dir, "module.yaml");
      await writeFile(moduleFile, moduleYaml(first.port));
      const { runtime, ports } = await startRuntime([
        moduleFile,
        "--state-dir",
        join(dir, "state"),
        "--admin-port",
        "0",
        "--admin-host",
        "127.0.0.1",
      ]);
      children.push(runtime);

      for (let visit = 0; visit < 4; visit++) await greet(ports, "Bob");
      const greetings: (string | undefined)[] = [];
      for (let visit = 0; visit < 4; visit++) greetings.push(await nextGreeting(ports));
      assert.deepEqual(greetings, [
        "Welcome Bob",
        "Nice to see you again Bob",
        "Third time is a charm Bob",
        "Nice to see you at the 4-nth time Bob!",
      ]);

      // The function server dies; the fifth request is still accepted (durable in the runtime)...
      first.server.child.kill("SIGKILL");
      assert.equal((await first.server.exit()).signal, "SIGKILL");
      await greet(ports, "Bob");
      // ...and the runtime's attempt to invoke example/person fails and is retried.
      const personUrl = JSON.stringify(`http://127.0.0.1:${first.port}/person`);
      const attemptFailed = await runtime.line(/"msg":"remote function attempt failed/);
      assert.ok(attemptFailed.input?.includes(`"endpoint":${personUrl}`), attemptFailed.input);
      assert.equal(await nextGreeting(ports, 0), undefined);

      // The server comes back on the same port (this time from the PORT variable).
      const second = await startFunctionServer([], { PORT: String(first.port) });
      children.push(second.server);
      assert.equal(second.port, first.port);
      assert.equal(await nextGreeting(ports, 20_000), "Nice to see you at the 5-nth time Bob!");
      assert.equal(await nextGreeting(ports, 0), undefined);

      runtime.child.kill("SIGTERM");
      assert.deepEqual(await runtime.exit(), { code: 0, signal: null }, runtime.stderr());
      second.server.child.kill("SIGTERM");
      assert.deepEqual(
        await second.server.exit(),
        { code: 0, signal: null },
        second.server.stderr(),
      );
    } finally {
      await Promise.all(children.map((child) => child.kill()));
      await rm(dir, { recursive: true, force: true });
    }
  },
);
