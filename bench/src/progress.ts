/**
 * Progress lines on stderr for long scenarios, so a user sees that something is happening.
 */

/** Writes a progress line to stderr. */
export function progress(scenario: string, message: string): void {
  process.stderr.write(`[${scenario}] ${message}\n`);
}
