/**
 * The commands that talk to a running `statefun run` through its admin API (global `fetch`):
 * `statefun savepoint` (POST /v1/savepoints; prints where the savepoint is) and
 * `statefun checkpoints` (GET /v1/checkpoints; prints the checkpoint figures). Their options go
 * through the same pipeline as `run`'s: flag, else `STATEFUN_*` variable, else default. The
 * `statefun state` commands (state-commands.ts) share the client and `--admin-url`.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { StatefunError } from "@statefun-ts/protocol";
import type { CheckpointsView, SavepointView } from "../admin/checkpoint-routes.js";
import { parseObjectLocation } from "../admin/storage-location.js";
import { formatDurationMs } from "../config/module/duration.js";
import type { ResolvedCliIo } from "./io.js";
import type { Env, Problems } from "./option-values.js";
import { createProblems, pick } from "./option-values.js";

/** Where the admin API is by default: `statefun run`'s default port on this machine. */
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:8081";
/** The variable of `--admin-url`. */
export const ADMIN_URL_ENV = "STATEFUN_ADMIN_URL";

/** The flags of `statefun savepoint` and `statefun checkpoints`; `undefined` when absent. */
export interface AdminClientFlags {
  /** `--admin-url <url>`. */
  readonly adminUrl?: string | undefined;
  /** `--output <path|s3 URL>` (savepoint only). */
  readonly output?: string | undefined;
  /** `--json` (checkpoints only). */
  readonly json?: boolean | undefined;
}

/** Resolved options of the admin commands. */
export interface ResolvedAdminClientOptions {
  /** The admin API's base URL, without a trailing `/`. Default {@link DEFAULT_ADMIN_URL}. */
  readonly adminUrl: string;
  /** Where the savepoint goes: an absolute path or an `s3://` URL; default: the server's. */
  readonly output: string | undefined;
  /** Print the JSON body instead of text. Default false. */
  readonly json: boolean;
}

/**
 * The admin API's base URL without trailing `/`: `--admin-url`, else {@link ADMIN_URL_ENV}, else
 * {@link DEFAULT_ADMIN_URL}; a bad value is recorded in `problems` (and the default returned).
 */
export function resolveAdminUrl(flag: string | undefined, env: Env, problems: Problems): string {
  const urlRaw = pick("--admin-url", flag, env, ADMIN_URL_ENV);
  if (urlRaw === undefined) return DEFAULT_ADMIN_URL;
  const url = URL.canParse(urlRaw.value) ? new URL(urlRaw.value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    problems.invalid(urlRaw, "an http:// or https:// URL such as http://127.0.0.1:8081");
    return DEFAULT_ADMIN_URL;
  }
  return url.toString().replace(/\/+$/u, "");
}

/**
 * Resolves the options of the admin commands; a relative `--output` resolves against `cwd` (the
 * server may run elsewhere, so it is always sent absolute).
 *
 * @throws StatefunError `invalid-config` naming every bad value.
 */
export function resolveAdminClientOptions(
  flags: AdminClientFlags,
  env: Env,
  cwd: string,
): ResolvedAdminClientOptions {
  const problems = createProblems();
  const adminUrl = resolveAdminUrl(flags.adminUrl, env, problems);
  let output: string | undefined;
  if (flags.output !== undefined) {
    const location = parseObjectLocation(flags.output, cwd);
    if (typeof location === "string") {
      problems.invalid({ value: flags.output, from: "--output" }, location);
    } else {
      output = location.path;
    }
  }
  problems.throwIfAny();
  return { adminUrl, output, json: flags.json === true };
}

/**
 * Calls the admin API at `adminUrl` (a base URL without trailing `/`) and returns its JSON answer;
 * `path` starts with `/` and is sent as it is (encode its parts).
 *
 * @throws StatefunError `illegal-state` when the API cannot be reached (with a hint to start
 *   `statefun run`) or answers an error (with its reason); `protocol-error` for an answer that is
 *   not JSON.
 */
export async function callAdminApi(
  adminUrl: string,
  path: string,
  init: RequestInit = {},
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${adminUrl}${path}`, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const reason = typeof cause?.message === "string" ? cause.message : String(error);
    throw new StatefunError(
      "illegal-state",
      `cannot reach the admin API at ${adminUrl} (${reason}); is \`statefun run\` running with its admin API on ${adminUrl}?`,
      { cause: error, details: { adminUrl } },
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const reason = (body as { error?: unknown } | undefined)?.error;
    throw new StatefunError(
      "illegal-state",
      `${init.method ?? "GET"} ${adminUrl}${path} answered ${response.status}: ${typeof reason === "string" ? reason : text.trim()}`,
      { details: { adminUrl, status: response.status } },
    );
  }
  if (body === undefined) {
    throw new StatefunError(
      "protocol-error",
      `${adminUrl}${path} answered ${response.status} without a JSON body; is ${adminUrl} the admin API of \`statefun run\`?`,
    );
  }
  return body;
}

/** `statefun savepoint`: takes a savepoint and prints its path (for `--from-savepoint`). */
async function savepoint(options: ResolvedAdminClientOptions, io: ResolvedCliIo): Promise<void> {
  const body = options.output === undefined ? "" : JSON.stringify({ path: options.output });
  const view = (await callAdminApi(options.adminUrl, "/v1/savepoints", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  })) as SavepointView;
  io.stdout.write(`${view.path}\n`);
}

const ms = (value: number) => formatDurationMs(Math.round(value));

/** The lines of `statefun checkpoints`. */
export function formatCheckpoints(view: CheckpointsView): string {
  if (!view.enabled || view.stats === null) return "checkpointing: off\n";
  const s = view.stats;
  const restored =
    view.restored === null
      ? "fresh start"
      : `checkpoint ${view.restored.id} (${view.restored.file}, ${view.restored.stateRecords} state records, ${view.restored.pendingMessages} pending messages)`;
  const last =
    s.completed === 0
      ? "none yet"
      : `${s.lastCompletedId} at ${new Date(s.lastCompletedAtMs).toISOString()}, took ${ms(s.lastDurationMs)}, paused processing ${s.lastPauseMs.toFixed(2)} ms, ${s.lastBytes} bytes`;
  return [
    `checkpointing: ${view.mode}, every ${ms(view.intervalMs ?? 0)}`,
    `storage: ${view.storage}`,
    `completed: ${s.completed}, failed: ${s.failed}, skipped (nothing changed): ${s.skipped}`,
    `last: ${last}`,
    `longest pause: ${s.maxPauseMs.toFixed(2)} ms; chain: ${s.chainLength} files; full compactions: ${s.compactions}, merges: ${s.merges}`,
    `restored: ${restored}`,
    "",
  ].join("\n");
}

/** `statefun checkpoints`: prints the checkpoint figures. */
async function checkpoints(options: ResolvedAdminClientOptions, io: ResolvedCliIo): Promise<void> {
  const view = (await callAdminApi(options.adminUrl, "/v1/checkpoints")) as CheckpointsView;
  io.stdout.write(options.json ? `${JSON.stringify(view, null, 2)}\n` : formatCheckpoints(view));
}

/** The `--admin-url` option, shared by every command that talks to the admin API. */
export const adminUrlOption = (): Option =>
  new Option(
    "--admin-url <url>",
    `admin API of the running statefun (default ${DEFAULT_ADMIN_URL}; env ${ADMIN_URL_ENV})`,
  );

/**
 * Adds `savepoint` and `checkpoints` to `program`. Each resolves its options, calls the admin
 * API and writes to `io.stdout`; failures are thrown (main reports them and exits with 1).
 */
export function addAdminCommands(program: Command, io: ResolvedCliIo): void {
  program
    .command("savepoint")
    .summary("take a savepoint of a running statefun")
    .description(
      "Take a savepoint of a running `statefun run` through its admin API and print where it is: " +
        "a path to give to `statefun run --from-savepoint`.",
    )
    .addOption(adminUrlOption())
    .addOption(
      new Option(
        "--output <path>",
        "savepoint file or s3://bucket/prefix/name URL (default: <state dir>/savepoints/savepoint-<id>-<time>.sfc on the server)",
      ),
    )
    .action(async (flags: AdminClientFlags) => {
      await savepoint(resolveAdminClientOptions(flags, io.env, io.cwd), io);
    });
  program
    .command("checkpoints")
    .summary("print the checkpoint figures of a running statefun")
    .description("Print the checkpoint settings and figures of a running `statefun run`.")
    .addOption(adminUrlOption())
    .addOption(new Option("--json", "print the admin API's JSON answer"))
    .action(async (flags: AdminClientFlags) => {
      await checkpoints(resolveAdminClientOptions(flags, io.env, io.cwd), io);
    });
}
