#!/usr/bin/env -S node --max-semi-space-size=24 --heap-growing-percent=300
// Entry point of the `statefun` command; the implementation is compiled to dist/. Node runs it
// with a 24 MB young generation semi-space: restoring or loading millions of addresses keeps
// most of what it allocates, and a small young generation spends its time copying survivors;
// a larger one makes each collection longer, which durable acknowledgements wait for. And the
// old generation grows to four times what the last full collection kept before the next one
// starts: Node's own heuristic grows it by about half, so that with an address cache that turns
// over the collector marks the same live cache again every few hundred milliseconds.
import { main } from "../dist/src/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `statefun: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
