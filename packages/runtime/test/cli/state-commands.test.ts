// `statefun state functions|list|get` in-process against a real admin server over real HTTP: help,
// text and JSON output, one page with the --after hint, --all across pages (streaming: a page is
// written before the next is asked for, so an id added meanwhile ahead of the cursor is listed),
// ids with / and newlines, STATEFUN_ADMIN_URL, and exit 1 with the reason for every refusal.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { addressOf, TypedValue, intType } from "@statefun-ts/protocol";
import { main } from "../../src/cli/main.js";
import { IDEMPOTENCY_TABLE, keyGroupOf } from "../../src/index.js";
import type { StateFixture } from "../admin/state-fixture.js";
import { IDLE, KEYS, VALUES, startStateFixture } from "../admin/state-fixture.js";
import { waitFor } from "../io/wait-for.js";
import { memoryStream } from "./helpers.js";

const IDS = [...Array.from({ length: 48 }, (_, i) => `k${i}`), "a/b", "two\nlines"];

function compare(a: string, b: string): number {
  return keyGroupOf(a) - keyGroupOf(b) || (a < b ? -1 : a > b ? 1 : 0);
}

async function runMain(argv: string[], env: Record<string, string> = {}, stdout = memoryStream()) {
  const stderr = memoryStream();
  const code = await main(argv, { stdout, stderr, env, cwd: "/tmp" });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("statefun state", () => {
  let f: StateFixture;
  let url: string;
  const sorted = [...IDS].sort(compare);

  before(async () => {
    f = await startStateFixture();
    url = `http://127.0.0.1:${f.server.address().port}`;
    await f.send(KEYS, IDS, 1);
    await f.send(VALUES, ["x/y z"], 1);
  });
  after(() => f.stop());

  it("prints help for each command, with --admin-url and its variable", async () => {
    const state = await runMain(["state", "--help"]);
    assert.equal(state.code, 0);
    assert.match(state.stdout, /functions[\s\S]*list[\s\S]*get/);
    const expected = {
      functions: ["--admin-url <url>", "STATEFUN_ADMIN_URL", "--system", "--json"],
      list: ["<namespace/type>", "--after <cursor>", "--limit <n>", "--all", "--json"],
      get: ["<namespace/type/id>", "--admin-url <url>", "default http://127.0.0.1:8081"],
    };
    for (const [command, texts] of Object.entries(expected)) {
      const help = await runMain(["state", command, "--help"]);
      assert.equal(help.code, 0);
      const flat = help.stdout.replace(/\s+/g, " ");
      for (const text of texts) assert.ok(flat.includes(text), `${command} --help lacks ${text}`);
    }
    assert.match((await runMain(["--help"])).stdout, /state/);
  });

  it("functions: one line per type, or the JSON answer; --system adds system tables", async () => {
    const text = await runMain(["state", "functions", "--admin-url", url]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      `${IDLE}    embedded  0 addresses  x: io.statefun.types/string`,
      `${KEYS}    embedded  ${IDS.length} addresses  v: io.statefun.types/int`,
    ]);
    assert.match(
      lines[2] ?? "",
      /^test\/values {2}embedded {2}1 address {2}i: io\.statefun\.types\/int, /,
    );
    assert.ok(
      (lines[2] ?? "").includes("ttl: io.statefun.types/int (expires 1 min after write)"),
      lines[2],
    );
    assert.equal(lines.length, 4);
    const json = await runMain(["state", "functions", "--json"], { STATEFUN_ADMIN_URL: url });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), await f.json("/v1/functions"));

    const ingress = f.runtime.ingressContext("test/in");
    await ingress.submit(addressOf(IDLE, "i"), TypedValue.of(intType, 1), { idempotencyKey: "k" });
    const system = await runMain(["state", "functions", "--system", "--admin-url", url]);
    assert.match(system.stdout, new RegExp(`^${IDEMPOTENCY_TABLE} +system +1 address$`, "m"));
  });

  it("list: one page, the --after to continue on stderr, --json as the API answers", async () => {
    const first = await runMain(["state", "list", KEYS, "--limit", "5", "--admin-url", url]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${sorted.slice(0, 5).join("\n")}\n`);
    const hint = /^more ids: add --after (\S+)\n$/.exec(first.stderr);
    assert.ok(hint !== null, first.stderr);
    const cursor = hint[1] as string;
    const second = await runMain(
      ["state", "list", KEYS, "--limit", "5", "--after", cursor, "--json"],
      { STATEFUN_ADMIN_URL: url },
    );
    assert.equal(second.code, 0, second.stderr);
    const page = JSON.parse(second.stdout) as { ids: string[]; next: string | null };
    assert.deepEqual(page.ids, sorted.slice(5, 10));
    assert.equal(typeof page.next, "string");
    const whole = await runMain(["state", "list", KEYS, "--limit", "1000", "--admin-url", url]);
    assert.equal(whole.stdout, `${sorted.join("\n")}\n`);
    assert.equal(whole.stderr, "");
  });

  it("list --all follows the pages, as text or one JSON string a line", async () => {
    const text = await runMain([
      "state",
      "list",
      KEYS,
      "--all",
      "--limit",
      "7",
      "--admin-url",
      url,
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `${sorted.join("\n")}\n`);
    const json = await runMain(["state", "list", KEYS, "--all", "--json", "--admin-url", url]);
    const lines = json.stdout.trimEnd().split("\n");
    assert.deepEqual(
      lines.map((line) => JSON.parse(line) as unknown),
      sorted,
    );
    assert.ok(lines.includes(JSON.stringify("two\nlines")));
  });

  it("list --all writes each page before asking for the next", async () => {
    // stdout holds its first write until released: the command waits for it to drain.
    const written: string[] = [];
    let release: (() => void) | undefined;
    const stdout = Object.assign(
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, callback) {
          written.push(chunk.toString("utf8"));
          if (written.length === 1) release = callback;
          else callback();
        },
      }),
      { text: () => written.join("") },
    );
    const run = runMain(
      ["state", "list", KEYS, "--all", "--limit", "5", "--admin-url", url],
      {},
      stdout,
    );
    await waitFor(() => release !== undefined, "the first page");
    assert.equal(written.join(""), `${sorted.slice(0, 5).join("\n")}\n`);
    // Added now, far ahead of the cursor: listed only if later pages are asked for later.
    let late = 0;
    while (keyGroupOf(`late-${late}`) < 120) late++;
    await f.send(KEYS, [`late-${late}`], 1);
    (release as () => void)();
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${[...sorted, `late-${late}`].sort(compare).join("\n")}\n`);
    await f.send(KEYS, [`late-${late}`], 0);
  });

  it("get: prints every value of an address as JSON; the id may hold /", async () => {
    const result = await runMain(["state", "get", `${VALUES}/x/y z`, "--admin-url", url]);
    assert.equal(result.code, 0, result.stderr);
    const expected = await f.json(`/v1/state/${VALUES}/${encodeURIComponent("x/y z")}`);
    assert.equal(result.stdout, `${JSON.stringify(expected, null, 2)}\n`);
  });

  it("exits 1 with the reason for missing state, unknown types, bad arguments and options", async () => {
    const refusals: [string[], string][] = [
      [
        ["state", "get", `${VALUES}/nobody`],
        `statefun: GET ${url}/v1/state/${VALUES}/nobody answered 404: no state for ${VALUES} id "nobody"\n`,
      ],
      [
        ["state", "list", "no/such"],
        `statefun: GET ${url}/v1/functions/no/such/ids answered 404: unknown function type no/such: no function of this type is known to the runtime and no state of it exists\n`,
      ],
      [
        ["state", "list", KEYS, "--after", "nonsense"],
        `statefun: GET ${url}/v1/functions/${KEYS}/ids?after=nonsense answered 400: query parameter after: not a cursor returned as next by this API, found "nonsense"\n`,
      ],
      [
        ["state", "list", "keys"],
        'statefun: <namespace/type>: expected a function type such as example/person, found "keys"\n',
      ],
      [
        ["state", "get", KEYS],
        `statefun: <namespace/type/id>: expected an address such as example/person/Bob, found "${KEYS}"\n`,
      ],
      [
        ["state", "list", KEYS, "--limit", "1001"],
        'statefun: --limit: expected an integer from 1 to 1000, found "1001"\n',
      ],
    ];
    for (const [argv, stderr] of refusals) {
      const result = await runMain([...argv, "--admin-url", url]);
      assert.deepEqual(
        [result.code, result.stdout, result.stderr],
        [1, "", stderr],
        argv.join(" "),
      );
    }
    const usage = await runMain(["state", "get"]);
    assert.equal(usage.code, 2);
  });
});
