/**
 * Shutdown signals of the `statefun` process: the first SIGINT or SIGTERM asks for a clean stop;
 * another one while stopping exits at once with code 130. The signal source and the exit are
 * injected so that tests drive this without signalling their own process.
 */

/** The signals that ask the process to stop. */
export const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** A value of {@link SHUTDOWN_SIGNALS}. */
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** The exit code of a second signal while stopping (128 + SIGINT's number, as shells report it). */
export const FORCED_EXIT_CODE = 130;

/** Where signals come from: `process`, or an `EventEmitter` in tests. */
export interface SignalSource {
  on(event: ShutdownSignal, listener: () => void): unknown;
  off(event: ShutdownSignal, listener: () => void): unknown;
}

/** Options of {@link listenForShutdownSignals}. */
export interface ShutdownSignalOptions {
  /** Where signals come from. Default: `process`. */
  readonly source?: SignalSource;
  /** Called with {@link FORCED_EXIT_CODE} on a second signal. Default: `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Called when the second signal arrives, before `exit` (e.g. to log). Default: nothing. */
  readonly onForcedExit?: (signal: ShutdownSignal) => void;
}

/** Listeners for shutdown signals, installed by {@link listenForShutdownSignals}. */
export interface ShutdownSignals {
  /** Resolves with the first signal received. */
  readonly received: Promise<ShutdownSignal>;
  /** Removes the listeners; signals then have Node's default effect again. Idempotent. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM. The first one resolves {@link ShutdownSignals.received}; any
 * later one, until `dispose()`, calls `exit(130)` at once (the user insists; the clean stop is
 * abandoned).
 */
export function listenForShutdownSignals(options: ShutdownSignalOptions = {}): ShutdownSignals {
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let first: ShutdownSignal | undefined;
  let resolveReceived!: (signal: ShutdownSignal) => void;
  const received = new Promise<ShutdownSignal>((resolve) => {
    resolveReceived = resolve;
  });
  const listeners = SHUTDOWN_SIGNALS.map((signal) => {
    const listener = (): void => {
      if (first === undefined) {
        first = signal;
        resolveReceived(signal);
        return;
      }
      options.onForcedExit?.(signal);
      exit(FORCED_EXIT_CODE);
    };
    source.on(signal, listener);
    return { signal, listener };
  });
  let disposed = false;
  return {
    received,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const { signal, listener } of listeners) source.off(signal, listener);
    },
  };
}
