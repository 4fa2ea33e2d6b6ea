/**
 * A child process for the object log crash test: opens the local checkpoint storage with the
 * small-object log in the directory given as its argument and writes objects `o/<n>` without
 * end, eight at a time, printing `done <n>` once a write has resolved. The test kills it with
 * SIGKILL at some moment and checks that every object reported done survived intact.
 */
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";
import { patternBytes } from "./storage-conformance.js";

const [directory] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: log-crash-writer.js <directory>");
const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
let next = 0;

async function writer(): Promise<void> {
  for (;;) {
    const n = next++;
    // Sizes vary so that entries straddle file system blocks; every tenth one is deleted again.
    await storage.write(`o/${n}`, [patternBytes(100 + ((n * 977) % 20_000), n)]);
    process.stdout.write(`done ${n}\n`);
    if (n % 10 === 9) await storage.delete(`o/${n - 5}`);
  }
}

await Promise.all(Array.from({ length: 8 }, writer));
