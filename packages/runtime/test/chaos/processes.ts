/**
 * Child processes of the chaos test: the `statefun run` process (SIGKILLed and restarted on the
 * same state directory by the killer, so every incarnation is tracked), the official-SDK function
 * server, free-port discovery, and a registry that kills every child still alive when the test
 * ends or the process exits, whatever the outcome.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `statefun` executable script. */
export const STATEFUN_BIN =
  process.env.CHAOS_STATEFUN_BIN ??
  fileURLToPath(new URL("../../../bin/statefun.js", import.meta.url));
/** The compiled remote interpreter. */
export const REMOTE_SERVER = fileURLToPath(new URL("./remote-server.js", import.meta.url));

const alive = new Set<ChildProcess>();
let hooksInstalled = false;

/**
 * Kills the children when this process exits, and on SIGINT, SIGTERM or SIGHUP before the
 * signal takes its default effect (the handler removes itself and raises the signal again).
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Spawns a node script, registered so that {@link killAll}, process exit and the usual signals
 * kill it. With `stdinPipe`, the child's stdin stays open while this process lives (a child can
 * watch it to exit even when this process is SIGKILLed).
 */
function spawnNode(args: readonly string[], stdinPipe = false): ChildProcess {
  installHooks();
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("STATEFUN_")),
  );
  const child = spawn(process.execPath, args, {
    env,
    stdio: [stdinPipe ? "pipe" : "ignore", "pipe", "pipe"],
  });
  alive.add(child);
  child.once("exit", () => alive.delete(child));
  return child;
}

/** SIGKILLs every child spawned here that is still running. Synchronous; safe in "exit". */
export function killAll(): void {
  for (const child of alive) child.kill("SIGKILL");
}

/** The last lines a process wrote, across incarnations, each prefixed with its incarnation. */
export class OutputTail {
  private readonly lines: string[] = [];
  private readonly partial = new Map<string, string>();
  private readonly limit: number;

  /** Keeps the last `limit` lines. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Appends output of `source` (e.g. "#3 stderr"). */
  add(source: string, chunk: string): void {
    const text = (this.partial.get(source) ?? "") + chunk;
    const parts = text.split("\n");
    this.partial.set(source, parts.pop() ?? "");
    for (const line of parts) this.push(`[${source}] ${line}`);
  }

  /** Records an event such as a kill or an exit between the output lines. */
  note(text: string): void {
    this.push(`--- ${text}`);
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }

  /** The kept lines, incomplete last lines included. */
  text(): string {
    const pending = [...this.partial].filter(([, line]) => line !== "");
    return [...this.lines, ...pending.map(([source, line]) => `[${source}] ${line}`)].join("\n");
  }
}

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One incarnation of a child process. */
export interface Incarnation {
  readonly number: number;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Whether the process has exited. */
  done(): boolean;
  /** Set when this side sent SIGKILL or SIGTERM: the exit is expected. */
  killedBy: NodeJS.Signals | undefined;
}

/** Starts a node script as a tracked incarnation whose output goes into `tail`. */
export function startIncarnation(
  args: readonly string[],
  number: number,
  tail: OutputTail,
  onStdoutLine?: (line: string) => void,
  stdinPipe = false,
): Incarnation {
  const child = spawnNode(args, stdinPipe);
  let finished = false;
  let pending = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    tail.add(`#${number} stdout`, chunk);
    if (onStdoutLine === undefined) return;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onStdoutLine(line);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    tail.add(`#${number} stderr`, chunk);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      finished = true;
      tail.note(`#${number} exited with code ${String(code)}, signal ${String(signal)}`);
      resolve({ code, signal });
    });
  });
  return { number, child, exited, done: () => finished, killedBy: undefined };
}

/** Starts the official-SDK function server and resolves with its port once it listens. */
export async function startRemoteServer(
  tail: OutputTail,
  timeoutMs: number,
): Promise<{ readonly incarnation: Incarnation; readonly port: number }> {
  let report: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => (report = resolve));
  const incarnation = startIncarnation(
    [REMOTE_SERVER],
    0,
    tail,
    (line) => {
      const parsed = JSON.parse(line) as { port?: unknown };
      if (typeof parsed.port === "number") report(parsed.port);
    },
    true,
  );
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    listening,
    incarnation.exited.then((exit) => {
      throw new Error(`the remote function server exited at start: ${JSON.stringify(exit)}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the remote function server did not listen in ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return { incarnation, port };
}

/** Sends `signal` to an incarnation (noting it as expected) and resolves when it has exited. */
export async function stopIncarnation(
  incarnation: Incarnation,
  signal: NodeJS.Signals,
): Promise<Exit> {
  if (!incarnation.done()) {
    incarnation.killedBy ??= signal;
    incarnation.child.kill(signal);
  }
  return incarnation.exited;
}
