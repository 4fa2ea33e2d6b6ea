/**
 * Helpers of the handler tests: building `ToFunction` request bytes and reading `FromFunction`
 * reply bytes with the protocol package's codec, so the handler is exercised bytes in, bytes out.
 */
import type {
  Address,
  FromFunction,
  InvocationResponse,
  PersistedValueSpec,
  TypedValue,
} from "@statefun-ts/protocol";
import {
  addressOf,
  buildToFunction,
  decodeFromFunction,
  encodeToFunction,
} from "@statefun-ts/protocol";

/** One state entry of a request: registered (with or without a value). */
export interface StateEntry {
  readonly name: string;
  readonly value?: TypedValue;
}

/** One invocation of a request. */
export interface InvocationEntry {
  readonly argument: TypedValue;
  readonly caller?: Address;
}

/** Serializes a `ToFunction` for `target` (`namespace/type`, id) with state and invocations. */
export function request(
  target: readonly [typename: string, id: string],
  state: readonly StateEntry[],
  invocations: readonly InvocationEntry[],
): Uint8Array {
  return encodeToFunction(
    buildToFunction(
      addressOf(target[0], target[1]),
      state.map((s) => ({ name: s.name, value: s.value })),
      invocations.map((i) => ({ caller: i.caller, argument: i.argument })),
    ),
  );
}

/** Decodes a reply that must be an `InvocationResponse`. */
export function resultOf(bytes: Uint8Array): InvocationResponse {
  const message: FromFunction = decodeFromFunction(bytes);
  const result = message.invocationResult;
  if (result === null || result === undefined) {
    throw new Error(`expected an InvocationResponse, found ${JSON.stringify(message)}`);
  }
  return result;
}

/** Decodes a reply that must be an `IncompleteInvocationContext`; returns its missing specs. */
export function missingOf(bytes: Uint8Array): PersistedValueSpec[] {
  const message: FromFunction = decodeFromFunction(bytes);
  const incomplete = message.incompleteInvocationContext;
  if (incomplete === null || incomplete === undefined) {
    throw new Error(`expected an IncompleteInvocationContext, found ${JSON.stringify(message)}`);
  }
  return incomplete.missingValues;
}

/** A missing spec as a plain comparable object (expiration `null` when absent). */
export function plainSpec(spec: PersistedValueSpec): unknown {
  const expiration = spec.expirationSpec;
  return {
    name: spec.stateName,
    typename: spec.typeTypename,
    expiration:
      expiration === null || expiration === undefined
        ? null
        : { mode: expiration.mode, ms: expiration.expireAfterMillis },
  };
}

/** Lower-case hex of bytes, for readable byte assertions. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Records the calls of an `onError` hook. */
export function errorRecorder(): {
  readonly calls: { error: unknown; target: string | undefined }[];
  readonly onError: (error: unknown, info: { target?: string }) => void;
} {
  const calls: { error: unknown; target: string | undefined }[] = [];
  return { calls, onError: (error, info) => calls.push({ error, target: info.target }) };
}
