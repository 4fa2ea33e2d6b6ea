/**
 * A child process for the object log's cleaning test, run under a file size limit: opens the
 * local checkpoint storage with the small-object log in the directory given as its argument,
 * which starts cleaning the sparse segment an earlier run left, and closes it, which waits for
 * the cleaning. The cleaning's copies outgrow the limit and fail; the process must still end
 * normally, printing `closed`.
 */
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";

const [directory] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: log-clean-child.js <directory>");
const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
await storage.close();
process.stdout.write("closed\n");
