// The `statefun` command as a real child process serving the greeter example over real HTTP:
// ports from the startup log line, greetings in order, independent counts per person, the admin
// health route, and a clean exit on SIGTERM that closes every port, with no log line naming a
// field twice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../config/helpers.js";
import { connectError } from "../io/playground-harness.js";
import type { CliProcess } from "./helpers.js";
import { greeterModuleYaml, portOf, requireGreeterBuilt, startRun } from "./helpers.js";

const GREET_REQUEST = "application/vnd.example/GreetRequest";

interface Ports {
  readonly ingress: number;
  readonly egress: number;
  readonly admin: number;
}

async function greet(ports: Ports, name: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "Content-Type": GREET_REQUEST },
    body: JSON.stringify({ name }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** Takes the next greeting, waiting for it up to 5 s; `undefined` when none came. */
async function nextGreeting(ports: Ports, waitMs = 5000): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${ports.egress}/greetings?waitMs=${waitMs}`);
  if (response.status === 204) return undefined;
  assert.equal(response.status, 200);
  return response.text();
}

describe("statefun run, the greeter as a child process", () => {
  let cli: CliProcess;
  let ports: Ports;
  let started: Record<string, unknown>;
  let moduleFile: string;
  let stateDir: string;

  before(async () => {
    requireGreeterBuilt();
    const dir = await tempDir({ "module.yaml": greeterModuleYaml() });
    moduleFile = join(dir, "module.yaml");
    stateDir = join(dir, "state");
    cli = startRun(moduleFile, stateDir);
    started = await cli.logLine("statefun started");
    const [ingress] = started.ingresses as unknown[];
    const [egress] = started.egresses as unknown[];
    ports = { ingress: portOf(ingress), egress: portOf(egress), admin: portOf(started.admin) };
  });

  after(async () => {
    if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    await cli.exited;
  });

  it("logs the module files, the state directory and every bound address at start", () => {
    assert.equal(started.level, "info");
    assert.deepEqual(started.moduleFiles, [moduleFile]);
    assert.equal(started.stateDir, stateDir);
    assert.deepEqual(started.admin, { host: "127.0.0.1", port: ports.admin });
    assert.notEqual(ports.ingress, 0);
    assert.notEqual(ports.egress, 0);
  });

  it("answers /v1/health with 200 on the admin port", async () => {
    const response = await fetch(`http://127.0.0.1:${ports.admin}/v1/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: "ok",
      state: "running",
      failingAddresses: 0,
    });
  });

  it("greets Bob four times with exactly the four greetings, in order", async () => {
    for (let visit = 0; visit < 4; visit++) await greet(ports, "Bob");
    const greetings: (string | undefined)[] = [];
    for (let visit = 0; visit < 4; visit++) greetings.push(await nextGreeting(ports));
    assert.deepEqual(greetings, [
      "Welcome Bob",
      "Nice to see you again Bob",
      "Third time is a charm Bob",
      "Nice to see you at the 4-nth time Bob!",
    ]);
    assert.equal(await nextGreeting(ports, 0), undefined);
  });

  it("counts the visits of different people independently", async () => {
    await greet(ports, "Alice");
    await greet(ports, "Carol");
    await greet(ports, "Alice");
    const greetings: string[] = [];
    for (let i = 0; i < 3; i++) greetings.push((await nextGreeting(ports)) ?? "(none)");
    // Different people are different addresses: only each person's own order is guaranteed.
    assert.deepEqual(
      [...greetings].sort(),
      ["Nice to see you again Alice", "Welcome Alice", "Welcome Carol"].sort(),
    );
    assert.ok(
      greetings.indexOf("Welcome Alice") < greetings.indexOf("Nice to see you again Alice"),
    );
    assert.equal(await nextGreeting(ports, 0), undefined);
  });

  it("exits with 0 on SIGTERM, after logging stopped, and closes every port", async () => {
    cli.child.kill("SIGTERM");
    const exit = await cli.exit();
    assert.deepEqual(exit, { code: 0, signal: null });
    const stopped = cli.logs.find((line) => line.msg === "stopped");
    assert.equal(stopped?.signal, "SIGTERM");
    assert.equal(cli.stderr(), "");
    assert.deepEqual(cli.repeatedFields, [], "no log line names a field twice");
    for (const port of [ports.ingress, ports.egress, ports.admin]) {
      assert.equal(await connectError(port), "ECONNREFUSED", `port ${port} still open`);
    }
  });
});
