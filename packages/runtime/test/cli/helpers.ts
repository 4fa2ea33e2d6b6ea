/**
 * Helpers of the CLI tests: the `statefun` bin run as a real child process (its JSON log lines
 * parsed as they arrive, its exit awaited with a deadline), module files in temporary
 * directories, the built greeter example, and an in-memory output stream for in-process runs.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { fileLimitedCommand } from "../file-limit.js";
import { waitFor } from "../io/wait-for.js";

/** The `statefun` executable script. */
export const BIN = fileURLToPath(new URL("../../../bin/statefun.js", import.meta.url));

/** The compiled functions of examples/greeter (built by `npx tsc -b` at the repository root). */
export const GREETER_FUNCTIONS = fileURLToPath(
  new URL("../../../../../examples/greeter/dist/src/functions.js", import.meta.url),
);

/** Fails loudly when the greeter example has not been built. */
export function requireGreeterBuilt(): void {
  assert.ok(
    existsSync(GREETER_FUNCTIONS),
    `the greeter example is not built (no ${GREETER_FUNCTIONS}); run npx tsc -b at the repository root`,
  );
}

/** The greeter's module.yaml with ephemeral playground ports and an absolute module path. */
export function greeterModuleYaml(functions = GREETER_FUNCTIONS): string {
  return [
    "kind: io.statefun-ts.v1/embedded",
    "spec:",
    `  module: ${JSON.stringify(functions)}`,
    "---",
    "kind: io.statefun.playground.v1/ingress",
    "spec:",
    "  port: 0",
    "---",
    "kind: io.statefun.playground.v1/egress",
    "spec:",
    "  port: 0",
    "  topics: [greetings]",
  ].join("\n");
}

/**
 * The top-level keys that the JSON object `text`, written without whitespace as pino writes its
 * lines, holds more than once. `JSON.parse` keeps the last of them silently, and log processors
 * differ on which one they keep; pino writes a field twice when a child logger binds it again.
 */
function repeatedKeys(text: string): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (depth === 1 && text[end + 1] === ":") {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (seen.has(key)) repeated.push(key);
        seen.add(key);
      }
      i = end;
    } else if (char === "{" || char === "[") {
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
    }
  }
  return repeated;
}

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `statefun` child process. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines of stdout so far (lines that are not JSON objects are kept as `{ text }`). */
  readonly logs: Record<string, unknown>[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Log lines so far that name a field twice, each with the fields it repeats. */
  readonly repeatedFields: { readonly line: string; readonly fields: string[] }[];
  /** Resolves when the process exits. */
  readonly exited: Promise<Exit>;
  /** The first log line with message `msg`, waiting for it up to `timeoutMs`. */
  logLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The exit, waiting up to `timeoutMs`; kills the process and fails when it takes longer. */
  exit(timeoutMs?: number): Promise<Exit>;
}

/**
 * Starts `node bin/statefun.js ...args` (under a file size limit, if given) with `STATEFUN_*`
 * variables removed from its environment, in a working directory of its own (removed when it
 * exits), so that processes running at the same time never share the default state directory
 * `.statefun/`.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: {
    /** The largest file the process may write, in KiB (`ulimit -f`): writes beyond fail. */
    readonly fileSizeLimitKib?: number;
  } = {},
): CliProcess {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("STATEFUN_")),
  );
  const cwd = mkdtempSync(join(tmpdir(), "statefun-cli-"));
  const limit = options.fileSizeLimitKib;
  const command: [string, string[]] =
    limit === undefined ? [process.execPath, [BIN, ...args]] : fileLimitedCommand(limit, BIN, args);
  const child = spawn(command[0], command[1], {
    cwd,
    env: { ...cleanEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const repeatedFields: { line: string; fields: string[] }[] = [];
  let stderr = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      // Log lines are JSON objects; anything else (a number, a JSON string) is kept as text.
      const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
      logs.push(isObject ? (parsed as Record<string, unknown>) : { text: line });
      const fields = isObject ? repeatedKeys(line) : [];
      if (fields.length > 0) repeatedFields.push({ line, fields });
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    logs,
    stderr: () => stderr,
    repeatedFields,
    exited,
    async logLine(msg, timeoutMs = 30_000) {
      const find = () => logs.find((line) => line.msg === msg);
      await waitFor(
        () => {
          if (find() === undefined && done) {
            assert.fail(
              `statefun exited before logging ${JSON.stringify(msg)}; stderr:\n${stderr}`,
            );
          }
          return find() !== undefined;
        },
        `log line ${JSON.stringify(msg)}`,
        timeoutMs,
      );
      return find() as Record<string, unknown>;
    },
    async exit(timeoutMs = 30_000) {
      try {
        await waitFor(() => done, "statefun to exit", timeoutMs);
      } catch (error) {
        child.kill("SIGKILL");
        throw error;
      }
      return exited;
    },
  };
}

/**
 * Starts `statefun run <moduleFile>` on `stateDir` with an ephemeral admin port on 127.0.0.1, plus
 * `extra` arguments.
 */
export function startRun(
  moduleFile: string,
  stateDir: string,
  extra: readonly string[] = [],
  options: Parameters<typeof startCli>[2] = {},
): CliProcess {
  const args = ["run", moduleFile, "--admin-port", "0", "--admin-host", "127.0.0.1"];
  return startCli([...args, "--state-dir", stateDir, ...extra], {}, options);
}

/** Runs `statefun ...args` to its end (it must exit by itself). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ readonly exit: Exit; readonly stderr: string; readonly stdout: string }> {
  const cli = startCli(args, env);
  const exit = await cli.exit();
  const stdout = cli.logs.map((line) => ("text" in line ? line.text : JSON.stringify(line)));
  return { exit, stderr: cli.stderr(), stdout: stdout.join("\n") };
}

/** A writable stream that keeps what is written, for in-process runs of `main`. */
export function memoryStream(): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      callback();
    },
  });
  return Object.assign(stream, { text: () => chunks.join("") });
}

/** A port number from a log line's component description. */
export function portOf(component: unknown): number {
  const port = (component as { port?: unknown } | undefined)?.port;
  assert.equal(typeof port, "number", `no port in ${JSON.stringify(component)}`);
  return port as number;
}
