/**
 * Command-line arguments of scenario processes: `--name value` pairs with numeric defaults.
 */

/** Reads a numeric `--name value` argument, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} expects a number`);
  return value;
}

/** Resolves after pending I/O and timers of this turn, letting the runtime make progress. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
