/**
 * Value specs: the state a function declares (name, type, expiration), in the short form
 * (`visits: intType`) or the long form (`visits: { type: intType, expireAfterWriteMs: 60_000 }`).
 */
import type { Expiration, StateSpec, Type } from "@statefun-ts/protocol";
import { NO_EXPIRATION, StatefunError } from "@statefun-ts/protocol";

/** The long form of a value spec. */
export interface ValueSpecOptions<T> {
  /** The value's type. */
  readonly type: Type<T>;
  /** Expire the value this many milliseconds after it was last written. */
  readonly expireAfterWriteMs?: number;
  /** Expire the value this many milliseconds after the address was last invoked. */
  readonly expireAfterInvokeMs?: number;
}

/** A value spec: a type, or a type with an expiration. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the element types are inferred per key
export type StateDeclarations = Readonly<Record<string, Type<any> | ValueSpecOptions<any>>>;

/** The value type declared by one entry of {@link StateDeclarations}. */
export type DeclaredValue<D> =
  D extends Type<infer T> ? T : D extends ValueSpecOptions<infer T> ? T : never;

/** A resolved value spec. */
export interface ValueSpec<T = unknown> extends StateSpec {
  /** The value's type. */
  readonly type: Type<T>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isType(entry: unknown): entry is Type<unknown> {
  return typeof (entry as Type<unknown>).serialize === "function";
}

function checkTtl(functionTypename: string, name: string, field: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new StatefunError(
      "invalid-argument",
      `value spec ${name} of ${functionTypename}: ${field} must be a positive whole number of milliseconds, found ${ms}`,
    );
  }
}

/** Resolves state declarations into value specs, validating names and expirations. */
export function resolveValueSpecs(
  functionTypename: string,
  declarations: StateDeclarations,
): ValueSpec[] {
  return Object.entries(declarations).map(([name, entry]) => {
    if (!NAME.test(name)) {
      throw new StatefunError(
        "invalid-argument",
        `value spec names of ${functionTypename} must be identifiers (letters, digits, _), found ${JSON.stringify(name)}`,
      );
    }
    if (isType(entry)) {
      return { name, typename: entry.typename, type: entry, expiration: NO_EXPIRATION };
    }
    const { type, expireAfterWriteMs, expireAfterInvokeMs } = entry as ValueSpecOptions<unknown>;
    if (type === undefined || !isType(type)) {
      throw new StatefunError(
        "invalid-argument",
        `value spec ${name} of ${functionTypename} must be a Type or { type, expireAfterWriteMs?, expireAfterInvokeMs? }`,
      );
    }
    let expiration: Expiration = NO_EXPIRATION;
    if (expireAfterWriteMs !== undefined && expireAfterInvokeMs !== undefined) {
      throw new StatefunError(
        "invalid-argument",
        `value spec ${name} of ${functionTypename}: give expireAfterWriteMs or expireAfterInvokeMs, not both`,
      );
    }
    if (expireAfterWriteMs !== undefined) {
      checkTtl(functionTypename, name, "expireAfterWriteMs", expireAfterWriteMs);
      expiration = { mode: "after-write", afterMs: expireAfterWriteMs };
    } else if (expireAfterInvokeMs !== undefined) {
      checkTtl(functionTypename, name, "expireAfterInvokeMs", expireAfterInvokeMs);
      expiration = { mode: "after-invoke", afterMs: expireAfterInvokeMs };
    }
    return { name, typename: type.typename, type, expiration };
  });
}
