/**
 * Run by write-failures.test.ts under a file size limit (`ulimit -f`), so that the disk
 * backend's database cannot grow and LMDB's commits fail for real. A runtime on the disk backend
 * (no checkpointing) writes 64 KiB values to 100 addresses, reads them all back, waits for the
 * runtime to fail, and stops. The runtime's JSON log lines go to stdout; the last line is
 * `{"result": ...}`. An unhandled rejection would end the process with exit code 1.
 */
import { TypedValue, addressOf } from "@statefun-ts/protocol";
import { createLogger, createRuntime } from "@statefun-ts/runtime";
import { createStatefulFunctions, customType } from "@statefun-ts/sdk";
import { createDiskStateBackend } from "../src/index.js";

const [directory] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: write-failure-child <directory>");

const VALUE_BYTES = 64 * 1024;
const ADDRESSES = 100;
const bytesType = customType<Uint8Array>(
  "test/Bytes",
  (value) => value,
  (bytes) => bytes,
);
const functions = createStatefulFunctions().bind({
  typename: "test/kv",
  // Expiring, so that the expiry index is written (and fails) too.
  state: { value: { type: bytesType, expireAfterWriteMs: 3_600_000 } },
  fn(ctx, message) {
    const bytes = message.typedValue.bytes;
    if (bytes.length > 0) ctx.storage.value = bytes;
    // A read: the value must be there, whole, although the database could not take it.
    else if (ctx.storage.value?.length !== VALUE_BYTES) {
      throw new Error(`no value for ${ctx.self.id}`);
    }
  },
});
const logger = createLogger({ destination: 1 });
const runtime = createRuntime({
  functions: [functions],
  logger,
  stateBackend: createDiskStateBackend({ directory, maxCachedAddresses: 10, logger }),
});
await runtime.start();
const write = TypedValue.fromBytes("test/Op", new Uint8Array(VALUE_BYTES).fill(7));
const read = TypedValue.fromBytes("test/Op", new Uint8Array(0));
const ids = Array.from({ length: ADDRESSES }, (_, i) => `id-${i}`);
for (const id of ids) await runtime.submit(addressOf("test/kv", id), write);
await runtime.whenIdle();
// The backend's retry timers do not hold the process up: this one does, while the runtime fails.
let timer: NodeJS.Timeout | undefined;
const failure = await Promise.race([
  runtime.whenFailed(),
  new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), 30_000);
  }),
]);
clearTimeout(timer);
for (const id of ids) await runtime.submit(addressOf("test/kv", id), read);
await runtime.whenIdle();
const failingReads = runtime.failures().length;
const addresses = runtime.backend
  .functionTypes()
  .find((type) => type.typename === "test/kv")?.addresses;
const writeFailures = runtime.backend
  .figures?.()
  .find((figure) => figure.name === "state_write_failures_total")?.value;
await runtime.stop();
process.stdout.write(
  `${JSON.stringify({
    result: {
      failure: failure === undefined ? null : { code: failure.code, message: failure.message },
      failingReads,
      addresses,
      writeFailures,
    },
  })}\n`,
);
