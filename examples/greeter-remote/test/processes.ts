/**
 * Child processes for the end-to-end test of the remote greeter: the function server
 * (`dist/src/server.js`) and the `statefun` command of `@statefun-ts/runtime`, each a real
 * process whose stdout lines are kept as they arrive; waiting on a condition with a deadline,
 * never on a fixed delay; and the greeter's HTTP calls (ingress PUT, egress long-poll).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The compiled function server of this example. */
export const SERVER_SCRIPT = fileURLToPath(new URL("../src/server.js", import.meta.url));

/**
 * The `statefun` executable, found the way npm finds it: the `bin.statefun` entry of the
 * `@statefun-ts/runtime` package that this example resolves.
 */
export function statefunBin(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("@statefun-ts/runtime")));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        bin?: Record<string, string>;
      };
      if (manifest.name === "@statefun-ts/runtime" && manifest.bin?.["statefun"] !== undefined) {
        return join(dir, manifest.bin["statefun"]);
      }
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = dirname(dir);
    assert.notEqual(parent, dir, "no package.json with a statefun bin above @statefun-ts/runtime");
    dir = parent;
  }
}

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child process with its output. */
export interface Child {
  readonly child: ChildProcess;
  /** stdout lines so far. */
  readonly lines: readonly string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /**
   * The match of the first stdout line matching `pattern` (the whole line is its `input`),
   * waiting for it up to `timeoutMs` (default 10 s).
   */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit, waiting up to `timeoutMs` (default 10 s); kills the process when it takes longer. */
  exit(timeoutMs?: number): Promise<Exit>;
  /** SIGKILLs the process if it still runs and waits for it to exit (for `finally` blocks). */
  kill(): Promise<Exit>;
}

/**
 * Resolves once `predicate` returns true, checking every 10 ms; rejects after `timeoutMs`
 * naming `what`.
 */
async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts `node <script> ...args` with `env` added to this process's environment (minus `STATEFUN_*`). */
export function startNode(
  name: string,
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Child {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("STATEFUN_") && key !== "PORT"),
  );
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...cleanEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let pending = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    lines.push(...complete);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const describe = (): string =>
    `${name} (pid ${child.pid}); stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`;
  return {
    child,
    lines,
    stderr: () => stderr,
    async line(pattern, timeoutMs = 10_000) {
      const find = (): RegExpMatchArray | undefined => {
        for (const line of lines) {
          const match = line.match(pattern);
          if (match !== null) return match;
        }
        return undefined;
      };
      await waitFor(
        () => {
          if (find() !== undefined) return true;
          if (exit !== undefined) assert.fail(`exited before printing ${pattern}: ${describe()}`);
          return false;
        },
        `${pattern} from ${name}`,
        timeoutMs,
      );
      return find() as RegExpMatchArray;
    },
    async exit(timeoutMs = 10_000) {
      try {
        await waitFor(() => exit !== undefined, `${name} to exit`, timeoutMs);
      } catch (error) {
        child.kill("SIGKILL");
        throw error;
      }
      return exited;
    },
    async kill() {
      if (exit === undefined) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** Awaits `step`; when it fails, kills `child` first, so that no failed start leaks a process. */
async function killOnFailure<T>(child: Child, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/**
 * Starts the function server with `args` (e.g. `["--port", "0"]`) and `env` (e.g. `PORT`), and
 * resolves with the port it bound once it printed its listening line.
 */
export async function startFunctionServer(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ readonly server: Child; readonly port: number }> {
  const server = startNode("function server", SERVER_SCRIPT, args, env);
  const [, bound] = await killOnFailure(server, server.line(/listening on port (\d+)/));
  return { server, port: Number(bound) };
}

/** Where the runtime listens, from its `statefun started` log line. */
export interface RuntimePorts {
  readonly ingress: number;
  readonly egress: number;
  readonly admin: number;
}

function portOf(component: unknown): number {
  const port = (component as { port?: unknown } | undefined)?.port;
  assert.equal(typeof port, "number", `no port in ${JSON.stringify(component)}`);
  return port as number;
}

/** Starts `statefun run ...args` and resolves with its bound ports once it logged its start. */
export async function startRuntime(
  args: readonly string[],
): Promise<{ readonly runtime: Child; readonly ports: RuntimePorts }> {
  const runtime = startNode("statefun", statefunBin(), ["run", ...args]);
  const { input } = await killOnFailure(runtime, runtime.line(/"msg":"statefun started"/, 20_000));
  const started = JSON.parse(input ?? "") as Record<string, unknown>;
  const [ingress] = started["ingresses"] as unknown[];
  const [egress] = started["egresses"] as unknown[];
  return {
    runtime,
    ports: { ingress: portOf(ingress), egress: portOf(egress), admin: portOf(started["admin"]) },
  };
}

/** PUTs a greet request for `name` to the playground ingress; 200 means it is durable. */
export async function greet(ports: RuntimePorts, name: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** Takes the next greeting, long-polling up to `waitMs`; `undefined` when none came. */
export async function nextGreeting(
  ports: RuntimePorts,
  waitMs = 10_000,
): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${ports.egress}/greetings?waitMs=${waitMs}`);
  const text = await response.text();
  if (response.status === 204) return undefined;
  assert.equal(response.status, 200, text);
  return text;
}
