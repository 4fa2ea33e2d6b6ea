/**
 * The parent side of a server child process: forks `function-server.js` (a node:http server in
 * its own process, so that it does not share an event loop with the process measuring it), waits
 * until it listens, reads its counters over the IPC channel, and makes sure it never outlives the
 * scenario: it is killed when the scenario exits (normally or by an uncaught error), and the
 * child exits by itself when the IPC channel to its parent closes (the parent was killed).
 * `BENCH_SERVER_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) passes flags to the child.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Typename of the remote counter function. */
export const COUNTER_TYPE = "bench-remote/counter";
/** Typename of the embedded function the counter forwards every message to. */
export const SINK_TYPE = "bench/sink";
/** The sink's only address: its messages batch up instead of spreading over ids. */
export const SINK_ID = "sink";

/** What a server child serves. */
export type ServerKind = "floor" | "ours" | "official";

/** Cumulative counters of a server child since it started. */
export interface ServerCounters {
  /** HTTP requests received. */
  readonly requests: number;
  /** Function invocations (messages handled by the function; 0 for the floor server). */
  readonly invocations: number;
  /** CPU time (user + system) of the server process, in µs. */
  readonly cpuMicros: number;
}

/** Messages from the child to the parent. */
export type ServerMessage =
  | { readonly type: "listening"; readonly port: number }
  | ({ readonly type: "counters" } & ServerCounters);

/** Messages from the parent to the child. */
export type ParentMessage = { readonly type: "counters" };

/** A running server child. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** Asks the child for its counters. */
  counters(): Promise<ServerCounters>;
  /** Stops the child and waits for it to exit. */
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const STARTUP_TIMEOUT_MS = 10_000;

/** Forks a server child of the given kind and resolves once it listens on 127.0.0.1. */
export async function startServerProcess(kind: ServerKind): Promise<ServerProcess> {
  const child: ChildProcess = fork(join(here, "function-server.js"), ["--kind", kind], {
    // Not the scenario's flags (--expose-gc, --cpu-prof) but BENCH_SERVER_NODE_ARGS; the child's
    // output goes to stderr so it never mixes with the scenario's report on stdout.
    execArgv: (process.env["BENCH_SERVER_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== ""),
    stdio: ["ignore", 2, 2, "ipc"],
  });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending: { resolve(c: ServerCounters): void; reject(e: Error): void }[] = [];
  child.once("exit", (code, signal) => {
    const error = new Error(`${kind} server exited (${signal ?? `code ${code}`})`);
    for (const waiter of pending.splice(0)) waiter.reject(error);
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind} server did not listen within ${STARTUP_TIMEOUT_MS} ms`)),
        STARTUP_TIMEOUT_MS,
      );
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        reject(new Error(`${kind} server exited (${signal ?? `code ${code}`}) before listening`)),
      );
      child.on("message", (message: ServerMessage) => {
        if (message.type === "listening") {
          clearTimeout(timer);
          resolve(message.port);
        } else {
          pending.shift()?.resolve(message);
        }
      });
    });
  } catch (error) {
    killOnExit();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    counters() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`${kind} server has exited`));
      }
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        const message: ParentMessage = { type: "counters" };
        child.send(message);
      });
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      process.off("exit", killOnExit);
    },
  };
}
