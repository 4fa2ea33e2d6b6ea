// `statefun state functions|list|get` as real child processes against a running `statefun run`
// (itself a child process serving the greeter, admin API on an ephemeral port read from its
// startup line): what each prints, --all --json, STATEFUN_ADMIN_URL, --help, and exit 1 with the
// server's reason for an address without state.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keyGroupOf } from "../../src/index.js";
import { tempDir } from "../config/helpers.js";
import { adminUrl, greet, nextGreeting, portsOf } from "./greeter-client.js";
import { greeterModuleYaml, requireGreeterBuilt, runCli, startCli } from "./helpers.js";
import type { CliProcess } from "./helpers.js";

const STARTUP_MS = 20_000;
const PEOPLE = ["Bob", "Alice", "Carol"];

describe("statefun state, as child processes against statefun run", () => {
  let server: CliProcess;
  let url: string;

  before(async () => {
    requireGreeterBuilt();
    const dir = await tempDir({ "module.yaml": greeterModuleYaml() });
    server = startCli([
      "run",
      join(dir, "module.yaml"),
      "--admin-port",
      "0",
      "--admin-host",
      "127.0.0.1",
      "--state-dir",
      join(dir, "state"),
      "--no-checkpointing",
    ]);
    const ports = portsOf(await server.logLine("statefun started", STARTUP_MS));
    url = adminUrl(ports);
    for (const name of PEOPLE) await greet(ports, name);
    await greet(ports, "Bob");
    // A greeting is published after example/person wrote its state: the state is there.
    for (let i = 0; i < PEOPLE.length + 1; i++) assert.ok(await nextGreeting(ports));
  });

  after(async () => {
    server.child.kill("SIGTERM");
    await server.exit(STARTUP_MS);
  });

  it("state functions prints the greeter's types with their value specs", async () => {
    const result = await runCli(["state", "functions", "--admin-url", url]);
    assert.deepEqual(result.exit, { code: 0, signal: null }, result.stderr);
    assert.equal(
      result.stdout,
      [
        "example/greeter  embedded  0 addresses",
        "example/person   embedded  3 addresses  visits: io.statefun.types/int",
      ].join("\n"),
    );
  });

  it("state list prints the ids in (key group, id) order, also page by page with --all", async () => {
    const sorted = [...PEOPLE].sort((a, b) => keyGroupOf(a) - keyGroupOf(b) || (a < b ? -1 : 1));
    const page = await runCli(["state", "list", "example/person"], { STATEFUN_ADMIN_URL: url });
    assert.equal(page.exit.code, 0, page.stderr);
    assert.equal(page.stdout, sorted.join("\n"));
    const all = await runCli([
      ...["state", "list", "example/person", "--all", "--limit", "1", "--json"],
      ...["--admin-url", url],
    ]);
    assert.equal(all.exit.code, 0, all.stderr);
    assert.equal(all.stdout, sorted.map((id) => JSON.stringify(id)).join("\n"));
  });

  it("state get prints an address's values, and exits 1 with the reason when it has none", async () => {
    const bob = await runCli(["state", "get", "example/person/Bob", "--admin-url", url]);
    assert.equal(bob.exit.code, 0, bob.stderr);
    assert.deepEqual(JSON.parse(bob.stdout), {
      typename: "example/person",
      id: "Bob",
      values: [
        {
          name: "visits",
          typename: "io.statefun.types/int",
          expiresAt: null,
          encoding: "builtin",
          value: 2,
        },
      ],
    });
    const nobody = await runCli(["state", "get", "example/person/Nobody", "--admin-url", url]);
    assert.deepEqual(nobody.exit, { code: 1, signal: null });
    assert.equal(nobody.stdout, "");
    assert.equal(
      nobody.stderr,
      `statefun: GET ${url}/v1/state/example/person/Nobody answered 404: no state for example/person id "Nobody"\n`,
    );
  });

  it("each state command has --help", async () => {
    for (const command of ["functions", "list", "get"]) {
      const help = await runCli(["state", command, "--help"]);
      assert.equal(help.exit.code, 0, help.stderr);
      assert.match(help.stdout, /--admin-url <url>/);
    }
  });
});
