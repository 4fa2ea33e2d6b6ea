/**
 * `statefun state functions|list|get`: the queryable state of a running `statefun run`, through
 * its admin API (GET /v1/functions, /v1/functions/<type>/ids, /v1/state/<type>/<id>). `list --all`
 * follows the pages to the end, writing each page as it comes (memory stays one page whatever the
 * state's size, and a slow reader slows the listing down). Options go through the same pipeline
 * as the other admin commands: flag, else `STATEFUN_*` variable, else default.
 */
import { once } from "node:events";
import type { Command } from "commander";
import { Option } from "commander";
import { isTypeName } from "@statefun-ts/protocol";
import type { FunctionView, ValueSpecView } from "../admin/function-views.js";
import type { FunctionsView, IdsPageView } from "../admin/state-routes.js";
import { formatDurationMs } from "../config/module/duration.js";
import { adminUrlOption, callAdminApi, resolveAdminUrl } from "./admin-commands.js";
import type { ResolvedCliIo } from "./io.js";
import type { Env } from "./option-values.js";
import { createProblems } from "./option-values.js";

/** The flags of the `statefun state` commands; `undefined` when absent. */
export interface StateCommandFlags {
  /** `--admin-url <url>`. */
  readonly adminUrl?: string | undefined;
  /** `--json` (functions, list). */
  readonly json?: boolean | undefined;
  /** `--system` (functions). */
  readonly system?: boolean | undefined;
  /** `--after <cursor>` (list). */
  readonly after?: string | undefined;
  /** `--limit <n>` (list). */
  readonly limit?: string | undefined;
  /** `--all` (list). */
  readonly all?: boolean | undefined;
}

/** Resolved options of a `statefun state` command. */
export interface ResolvedStateCommandOptions {
  /** The admin API's base URL, without a trailing `/`. Default: `http://127.0.0.1:8081`. */
  readonly adminUrl: string;
  /** Print JSON instead of text. Default false. */
  readonly json: boolean;
  /** Show system tables (functions). Default false. */
  readonly system: boolean;
  /** Where the listing starts: a cursor from an earlier page. Default: the start. */
  readonly after: string | undefined;
  /** Ids per page, 1–1000. Default: the server's (100), or 1000 with `all`. */
  readonly limit: number | undefined;
  /** Follow the pages to the end. Default false. */
  readonly all: boolean;
}

/** The largest page the admin API serves. */
const MAX_LIMIT = 1000;

/**
 * Resolves the options of a `statefun state` command.
 *
 * @throws StatefunError `invalid-config` naming every bad value.
 */
export function resolveStateCommandOptions(
  flags: StateCommandFlags,
  env: Env,
): ResolvedStateCommandOptions {
  const problems = createProblems();
  const adminUrl = resolveAdminUrl(flags.adminUrl, env, problems);
  const limit =
    flags.limit === undefined
      ? undefined
      : problems.integer(
          { value: flags.limit, from: "--limit" },
          1,
          MAX_LIMIT,
          `an integer from 1 to ${MAX_LIMIT}`,
        );
  problems.throwIfAny();
  return {
    adminUrl,
    json: flags.json === true,
    system: flags.system === true,
    after: flags.after,
    limit,
    all: flags.all === true,
  };
}

/** @throws StatefunError `invalid-config`: `<from>: expected <expected>, found "<value>"`. */
function refuse(value: string, from: string, expected: string): never {
  const problems = createProblems();
  problems.invalid({ value, from }, expected);
  problems.throwIfAny();
  throw new Error("unreachable: a problem was recorded");
}

/**
 * Checks a `<namespace>/<type>` argument.
 *
 * @throws StatefunError `invalid-config` when the text is not a typename.
 */
export function parseTypeArgument(text: string): string {
  if (!isTypeName(text)) {
    refuse(text, "<namespace/type>", "a function type such as example/person");
  }
  return text;
}

/**
 * Splits a `<namespace>/<type>/<id>` argument: the id is everything after the second `/`, so it
 * may contain `/`.
 *
 * @throws StatefunError `invalid-config` when the text is not of that form.
 */
export function parseAddressArgument(text: string): { typename: string; id: string } {
  const first = text.indexOf("/");
  const second = first < 0 ? -1 : text.indexOf("/", first + 1);
  const typename = second < 0 ? "" : text.slice(0, second);
  const id = second < 0 ? "" : text.slice(second + 1);
  if (!isTypeName(typename) || id === "") {
    refuse(text, "<namespace/type/id>", "an address such as example/person/Bob");
  }
  return { typename, id };
}

/** `<namespace>/<type>` with each part percent-encoded, for a path. */
function typePath(typename: string): string {
  return typename.split("/").map(encodeURIComponent).join("/");
}

/** Writes `text`, waiting while the stream's buffer is full. */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

function specText(spec: ValueSpecView): string {
  const { expiration } = spec;
  const expires =
    expiration === undefined
      ? ""
      : ` (expires ${formatDurationMs(expiration.afterMs)} after ${expiration.mode === "after-write" ? "write" : "invoke"})`;
  return `${spec.name}: ${spec.typename}${expires}`;
}

/** The lines of `statefun state functions`: type, kind, addresses holding state, value specs. */
export function formatFunctions(functions: readonly FunctionView[]): string {
  if (functions.length === 0) return "no function types\n";
  const width = Math.max(...functions.map((f) => f.typename.length));
  const lines = functions.map((f) => {
    const addresses = `${f.addresses} ${f.addresses === 1 ? "address" : "addresses"}`;
    const states = f.states.length === 0 ? "" : `  ${f.states.map(specText).join(", ")}`;
    return `${f.typename.padEnd(width)}  ${f.kind.padEnd(8)}  ${addresses}${states}`;
  });
  return `${lines.join("\n")}\n`;
}

async function functions(options: ResolvedStateCommandOptions, io: ResolvedCliIo): Promise<void> {
  const path = options.system ? "/v1/functions?system=true" : "/v1/functions";
  const view = (await callAdminApi(options.adminUrl, path)) as FunctionsView;
  await write(
    io.stdout,
    options.json ? `${JSON.stringify(view, null, 2)}\n` : formatFunctions(view.functions),
  );
}

function idsPath(typename: string, after: string | undefined, limit: number | undefined): string {
  const query = new URLSearchParams();
  if (after !== undefined) query.set("after", after);
  if (limit !== undefined) query.set("limit", String(limit));
  const search = query.toString();
  return `/v1/functions/${typePath(typename)}/ids${search === "" ? "" : `?${search}`}`;
}

/** One id a line: as it is, or (`json`) as a JSON string, so that any id stays on one line. */
function idLines(ids: readonly string[], json: boolean): string {
  return ids.map((id) => `${json ? JSON.stringify(id) : id}\n`).join("");
}

async function list(
  typename: string,
  options: ResolvedStateCommandOptions,
  io: ResolvedCliIo,
): Promise<void> {
  if (!options.all) {
    const page = (await callAdminApi(
      options.adminUrl,
      idsPath(typename, options.after, options.limit),
    )) as IdsPageView;
    if (options.json) {
      await write(io.stdout, `${JSON.stringify(page, null, 2)}\n`);
      return;
    }
    await write(io.stdout, idLines(page.ids, false));
    if (page.next !== null) await write(io.stderr, `more ids: add --after ${page.next}\n`);
    return;
  }
  let after = options.after;
  const limit = options.limit ?? MAX_LIMIT;
  for (;;) {
    const page = (await callAdminApi(
      options.adminUrl,
      idsPath(typename, after, limit),
    )) as IdsPageView;
    await write(io.stdout, idLines(page.ids, options.json));
    if (page.next === null) return;
    after = page.next;
  }
}

async function get(
  address: string,
  options: ResolvedStateCommandOptions,
  io: ResolvedCliIo,
): Promise<void> {
  const { typename, id } = parseAddressArgument(address);
  const view = await callAdminApi(
    options.adminUrl,
    `/v1/state/${typePath(typename)}/${encodeURIComponent(id)}`,
  );
  await write(io.stdout, `${JSON.stringify(view, null, 2)}\n`);
}

const STATE_DESCRIPTION =
  "Look at the state of a running `statefun run` through its admin API: function types with " +
  "their value specs and addresses holding state, the ids of a function type, the values of " +
  "an address. Read-only; every answer is consistent (never half of an invocation's effects).";

/**
 * Adds `state functions`, `state list` and `state get` to `program`. Each resolves its options,
 * calls the admin API and writes to `io.stdout`; failures (an unreachable API, a 404 with the
 * server's reason) are thrown (main reports them and exits with 1).
 */
export function addStateCommands(program: Command, io: ResolvedCliIo): void {
  const state = program
    .command("state")
    .summary("look at the state of a running statefun")
    .description(STATE_DESCRIPTION);
  state
    .command("functions")
    .summary("list function types with their value specs and addresses holding state")
    .description(
      "List the function types of a running `statefun run`: kind (embedded, remote, or unknown " +
        "for state no function has claimed yet), addresses holding state, and value specs.",
    )
    .addOption(adminUrlOption())
    .addOption(new Option("--system", "include the runtime's system tables"))
    .addOption(new Option("--json", "print the admin API's JSON answer"))
    .action(async (flags: StateCommandFlags) => {
      await functions(resolveStateCommandOptions(flags, io.env), io);
    });
  state
    .command("list")
    .summary("list the ids of a function type that hold state")
    .description(
      "Print the ids of a function type that hold state, one a line, in (key group, id) order. " +
        "Without --all, one page is printed, and where more follow, the --after to add goes to " +
        "stderr. Ids added while a listing runs may be missed; none is printed twice.",
    )
    .argument("<namespace/type>", "the function type, such as example/person")
    .addOption(adminUrlOption())
    .addOption(new Option("--after <cursor>", "start after this cursor (from an earlier page)"))
    .addOption(
      new Option(
        "--limit <n>",
        `ids per page, 1 to ${MAX_LIMIT} (default 100, or ${MAX_LIMIT} with --all)`,
      ),
    )
    .addOption(new Option("--all", "follow the pages to the end"))
    .addOption(
      new Option(
        "--json",
        "print the page as the admin API answers it; with --all, each id as a JSON string on its own line",
      ),
    )
    .action(async (typename: string, flags: StateCommandFlags) => {
      const options = resolveStateCommandOptions(flags, io.env);
      await list(parseTypeArgument(typename), options, io);
    });
  state
    .command("get")
    .summary("print every value of an address as JSON")
    .description(
      "Print every live value of an address as JSON: name, typename, expiration, and the value, " +
        "decoded for built-in and JSON types and base64 otherwise. The id is everything after " +
        "the second /. Exits with 1 and the server's reason when there is no state.",
    )
    .argument("<namespace/type/id>", "the address, such as example/person/Bob")
    .addOption(adminUrlOption())
    .action(async (address: string, flags: StateCommandFlags) => {
      await get(address, resolveStateCommandOptions(flags, io.env), io);
    });
}
