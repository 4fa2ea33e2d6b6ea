/**
 * The runtime under test as a sequence of `statefun run` incarnations on one state directory:
 * SIGKILL and restart at once (the chaos), a graceful SIGTERM at the end, and detection of any
 * exit this side did not ask for (a crash, e.g. on recovery), which fails the run at once.
 */
import { connect } from "node:net";
import type { Exit, Incarnation } from "./processes.js";
import { OutputTail, STATEFUN_BIN, startIncarnation, stopIncarnation } from "./processes.js";

/** How to run the runtime. */
export interface SupervisorOptions {
  /** Arguments after the `statefun` script, e.g. `["run", "module.yaml", ...flags]`. */
  readonly args: readonly string[];
  /** A port on 127.0.0.1 that accepts connections once an incarnation serves (the ingress's). */
  readonly readyPort: number;
  /** Called once with a description when an incarnation exits unasked. */
  readonly onUnexpectedExit: (description: string) => void;
  /** Lines of output kept for failure reports. Default 80. */
  readonly tailLines?: number;
}

/** The runtime process across its restarts. */
export interface RuntimeSupervisor {
  /** Output of every incarnation, last lines first to go. */
  readonly tail: OutputTail;
  /** Incarnations started so far. */
  readonly incarnations: number;
  /** The running incarnation's start time (ms since the epoch). */
  readonly startedAtMs: number;
  /** Time from spawn to serving of every incarnation that got there, in ms. */
  readonly startupsMs: readonly number[];
  /**
   * Resolves with the running incarnation's startup time (ms) once it serves, or `undefined`
   * when it exits or `signal` aborts first.
   */
  whenReady(signal: AbortSignal): Promise<number | undefined>;
  /** Starts the first incarnation. */
  start(): void;
  /** SIGKILLs the running incarnation, waits for its exit and starts the next one. */
  crashAndRestart(): Promise<void>;
  /** SIGTERMs the running incarnation and resolves with its exit, failing after `timeoutMs`. */
  terminate(timeoutMs: number): Promise<Exit>;
  /** SIGKILLs the running incarnation, if any (cleanup). */
  kill(): Promise<void>;
}

/** Creates a supervisor; nothing runs before `start()`. */
export function createRuntimeSupervisor(options: SupervisorOptions): RuntimeSupervisor {
  const tail = new OutputTail(options.tailLines ?? 80);
  let current: Incarnation | undefined;
  let count = 0;
  let startedAtMs = 0;
  let ready: Promise<number | undefined> = Promise.resolve(undefined);
  const startupsMs: number[] = [];

  /** Connects to the ready port until it accepts, the incarnation exits, or `signal` aborts. */
  async function probe(incarnation: Incarnation, spawnedMs: number): Promise<number | undefined> {
    while (!incarnation.done()) {
      const accepted = await new Promise<boolean>((resolve) => {
        const socket = connect(options.readyPort, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (accepted && !incarnation.done()) {
        const startupMs = Date.now() - spawnedMs;
        startupsMs.push(startupMs);
        return startupMs;
      }
      if (!accepted) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return undefined;
  }

  function launch(): void {
    count++;
    const incarnation = startIncarnation([STATEFUN_BIN, ...options.args], count, tail);
    current = incarnation;
    startedAtMs = Date.now();
    ready = probe(incarnation, startedAtMs);
    void incarnation.exited.then((exit) => {
      if (incarnation.killedBy !== undefined) return;
      options.onUnexpectedExit(
        `runtime incarnation #${incarnation.number} exited unasked with code ${String(exit.code)}` +
          ` (signal ${String(exit.signal)}) after ${Date.now() - startedAtMs} ms`,
      );
    });
  }

  function running(): Incarnation {
    if (current === undefined) throw new Error("the runtime supervisor was not started");
    return current;
  }

  return {
    tail,
    get incarnations() {
      return count;
    },
    get startedAtMs() {
      return startedAtMs;
    },
    startupsMs,
    whenReady(signal) {
      return new Promise((resolve) => {
        if (signal.aborted) return resolve(undefined);
        const onAbort = (): void => resolve(undefined);
        signal.addEventListener("abort", onAbort, { once: true });
        void ready.then((startupMs) => {
          signal.removeEventListener("abort", onAbort);
          resolve(startupMs);
        });
      });
    },
    start() {
      if (current !== undefined) throw new Error("the runtime supervisor is already started");
      launch();
    },
    async crashAndRestart() {
      const victim = running();
      tail.note(`#${victim.number} SIGKILL (chaos)`);
      await stopIncarnation(victim, "SIGKILL");
      launch();
    },
    async terminate(timeoutMs) {
      const last = running();
      tail.note(`#${last.number} SIGTERM (end of run)`);
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          stopIncarnation(last, "SIGTERM"),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`the runtime did not exit within ${timeoutMs} ms of SIGTERM`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (current !== undefined && !current.done()) await stopIncarnation(current, "SIGKILL");
    },
  };
}
