/**
 * Command-line arguments of scenario processes: `--name value` pairs with defaults.
 */

/** Reads a numeric `--name value` argument, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} expects a number`);
  return value;
}

/** Reads a `--name value` argument that must be one of `allowed`; the first one is the default. */
export function choiceArg<const T extends string>(name: string, allowed: readonly [T, ...T[]]): T {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return allowed[0];
  const value = process.argv[index + 1];
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new Error(`--${name} expects one of ${allowed.join(", ")}, found ${String(value)}`);
  }
  return found;
}

/** Resolves after pending I/O and timers of this turn, letting the runtime make progress. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
