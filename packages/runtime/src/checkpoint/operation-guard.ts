/**
 * The open/closed bookkeeping every checkpoint storage needs: operations are refused once the
 * storage is closed, and closing waits for the operations in flight.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** Guards the operations of one storage. */
export interface OperationGuard {
  /**
   * Runs `action` unless the storage is closed (then rejects with `illegal-state`). A throw of
   * `action` becomes a rejection.
   */
  readonly run: <T>(operation: string, name: string, action: () => Promise<T>) => Promise<T>;
  /**
   * Refuses operations from now on and waits for those in flight; resolves false when the
   * storage was already closed.
   */
  readonly close: () => Promise<boolean>;
}

/**
 * A guard for a storage that `storage` names in errors, e.g. `local checkpoint storage /d`.
 */
export function createOperationGuard(storage: string): OperationGuard {
  let state: "open" | "closed" = "open";
  const inFlight = new Set<Promise<unknown>>();
  return {
    run: <T>(operation: string, name: string, action: () => Promise<T>): Promise<T> => {
      if (state !== "open") {
        return Promise.reject(
          new StatefunError(
            "illegal-state",
            `${storage}: ${operation} ${name}: expected state open, found ${state}`,
            { details: { operation, name, state } },
          ),
        );
      }
      const promise = (async () => action())(); // a name check that throws becomes a rejection
      inFlight.add(promise);
      const forget = () => inFlight.delete(promise);
      promise.then(forget, forget);
      return promise;
    },
    close: async () => {
      if (state === "closed") return false;
      state = "closed";
      await Promise.allSettled([...inFlight]);
      return true;
    },
  };
}
