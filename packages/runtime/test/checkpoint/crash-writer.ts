/**
 * A child process for the crash test: opens the local checkpoint storage in the directory given
 * as the first argument and writes each object named by the other arguments slowly and without
 * end. Once every write has put at least 4 chunks into its temporary file it prints `ready`; the
 * test then kills it with SIGKILL, mid-write.
 */
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";

const CHUNK_BYTES = 64 * 1024;
const READY_AFTER_CHUNKS = 4;

const [directory, ...names] = process.argv.slice(2);
if (directory === undefined || names.length === 0) {
  throw new Error("usage: crash-writer.js <directory> <name>...");
}
const storage = await createLocalCheckpointStorage({ directory });
let notReady = names.length;

async function* endless(): AsyncGenerator<Uint8Array> {
  for (let index = 0; ; index++) {
    // The storage asks for the next chunk only after writing the previous ones to the file.
    if (index === READY_AFTER_CHUNKS && --notReady === 0) process.stdout.write("ready\n");
    yield new Uint8Array(CHUNK_BYTES).fill(index & 0xff);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

await Promise.all(names.map((name) => storage.write(name, endless())));
