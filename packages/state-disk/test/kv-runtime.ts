/**
 * A key-value function for tests with real runtimes on the disk backend, and what those tests
 * share: putting values through the runtime, reading them back, and a checkpoint storage whose
 * writes can be made to fail.
 */
import { TypedValue, addressOf, stringType } from "@statefun-ts/protocol";
import type { CheckpointStorage, Runtime } from "@statefun-ts/runtime";
import { keyGroupOf } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";

/** The function type of {@link kvFunctions}. */
export const KV = "test/kv";

/** `test/kv`: sets its value to the message, or deletes it for an empty message. */
export const kvFunctions = createStatefulFunctions().bind({
  typename: KV,
  state: { value: stringType },
  fn(ctx, message) {
    const text = message.asString();
    ctx.storage.value = text === "" ? undefined : text;
  },
});

/** Sends `value` to each of `ids` and waits until the runtime is idle. */
export async function put(runtime: Runtime, ids: readonly string[], value: string): Promise<void> {
  for (const id of ids) await runtime.submit(addressOf(KV, id), TypedValue.of(stringType, value));
  await runtime.whenIdle();
}

/** The value of `id`, read from the runtime's state backend. */
export function valueOf(runtime: Runtime, id: string): string | undefined {
  const [stored] = runtime.backend.table(KV).entries(id, keyGroupOf(id), Date.now());
  return stored?.value.as(stringType);
}

/** A storage whose writes fail while `broken` is set, as when the disk or the network fails. */
export function breakable(storage: CheckpointStorage): CheckpointStorage & { broken: boolean } {
  const wrapped = {
    ...storage,
    broken: false,
    async write(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
      if (wrapped.broken) throw new Error("the storage fails");
      await storage.write(name, chunks);
    },
  };
  return wrapped;
}
