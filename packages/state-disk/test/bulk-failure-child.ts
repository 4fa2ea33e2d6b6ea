/**
 * Run by write-failures.test.ts under a file size limit (`ulimit -f`), so that LMDB's commits
 * fail for real: bulk-restores a 64 KiB value per address into the disk backend, one address at a
 * time with a turn of the event loop between (as recovery reads its next key group meanwhile),
 * until a restore refuses; then waits for the writes and closes the backend. The last line of
 * stdout is `{"result": ...}`; an unhandled rejection would end the process with exit code 1.
 */
import { isStatefunError } from "@statefun-ts/protocol";
import { createDiskStateBackend } from "../src/index.js";

const [directory] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: bulk-failure-child <directory>");

/** Addresses offered: 25 MiB of values, far beyond the limit. */
const ADDRESSES = 400;
const value = new Uint8Array(64 * 1024).fill(7);
const backend = createDiskStateBackend({ directory, maxKeyGroups: 4 });

function errorOf(error: unknown): { code: string | undefined; message: string } {
  return {
    code: isStatefunError(error) ? error.code : undefined,
    message: error instanceof Error ? error.message : String(error),
  };
}

let refusedAt: number | null = null;
let refusal: ReturnType<typeof errorOf> | null = null;
for (let i = 0; i < ADDRESSES; i++) {
  const values = [{ name: "value", typename: "test/Bytes", value, expiresAtMs: Infinity }];
  try {
    backend.restore([{ functionType: "test/kv", id: `id-${i}`, values }], {
      markChanged: false,
      bulk: true,
    });
  } catch (error) {
    refusedAt = i;
    refusal = errorOf(error);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
let written: ReturnType<typeof errorOf> | "written" = "written";
try {
  await backend.whenWritten();
} catch (error) {
  written = errorOf(error);
}
await backend.close();
process.stdout.write(
  `${JSON.stringify({ result: { addresses: ADDRESSES, refusedAt, refusal, written } })}\n`,
);
