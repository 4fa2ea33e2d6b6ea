/**
 * Run by exit.test.ts: opens the disk backend's database as the store does, starts a batch of
 * `count` writes as the write-behind does, and in the same turn of the event loop ends the
 * process, with `process.exit(3)` (`how` = `exit`) or an uncaught error (`how` = `throw`). As it
 * exits, Node waits for the threads of its pool, LMDB's writer among them.
 */
import { openWorkingCopy } from "../src/kept-state.js";
import { addressKey, typenameBytes } from "../src/keys.js";
import { committedBatch } from "../src/write-behind.js";

const [directory, how, count] = process.argv.slice(2);
if (directory === undefined || (how !== "exit" && how !== "throw") || count === undefined) {
  throw new Error("usage: exit-child <directory> exit|throw <count>");
}

const { root } = openWorkingCopy(directory, 128);
const typename = typenameBytes("test/kv");
const value = new Uint8Array(100).fill(7);
setTimeout(() => {
  void committedBatch(root, () => {
    for (let i = 0; i < Number(count); i++)
      void root.put(addressKey(i % 128, typename, `id-${i}`), value);
  });
  if (how === "exit") process.exit(3);
  throw new Error("the process ends here");
}, 10);
