/**
 * Waiting helpers for end-to-end tests: wait on a condition with a deadline, never on a fixed
 * delay, and promises whose settlement a test can observe.
 */

/**
 * Resolves once `predicate` returns true, checking every few milliseconds; rejects after
 * `timeoutMs` (default 20,000 ms) naming `what`. The default is generous: what tests wait for is
 * often background work (compaction, retention, a worker's start), which can take seconds on a
 * loaded 2-core machine; a condition that never holds fails all the same.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve function exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Wraps a promise so a test can ask whether it has settled yet. */
export function track<T>(promise: Promise<T>): {
  readonly promise: Promise<T>;
  settled(): boolean;
} {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { promise: tracked, settled: () => settled };
}
