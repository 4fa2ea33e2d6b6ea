/**
 * Value specs: the state a function declares (name, type, expiration, migrations from earlier
 * types), in the short form (`visits: intType`) or the long form
 * (`visits: { type: intType, expireAfterWriteMs: 60_000 }`).
 */
import type { Expiration, StateSpec, Type } from "@statefun-ts/protocol";
import { NO_EXPIRATION, StatefunError } from "@statefun-ts/protocol";
import type { Migration } from "./migration.js";
import { NO_MIGRATIONS, resolveMigrations } from "./migration.js";

/** The long form of a value spec. */
export interface ValueSpecOptions<T> {
  /** The value's type. */
  readonly type: Type<T>;
  /** Expire the value this many milliseconds after it was last written. */
  readonly expireAfterWriteMs?: number;
  /** Expire the value this many milliseconds after the address was last invoked. */
  readonly expireAfterInvokeMs?: number;
  /**
   * Migrations from the types this value was stored with before, one per earlier typename (build
   * them with `migration`). A stored value with one of those typenames is migrated when read and
   * written back with {@link type} at the end of that batch (a write: it restarts an after-write
   * expiration). The runtime refuses to start when a typename this value was ever stored with has
   * no migration, so a migration cannot be removed once values may have been stored with its
   * typename. Default: none.
   */
  readonly migrateFrom?: readonly Migration<T>[];
}

/** A value spec: a type, or a type with an expiration. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the element types are inferred per key
export type StateDeclarations = Readonly<Record<string, Type<any> | ValueSpecOptions<any>>>;

/** The value type declared by one entry of {@link StateDeclarations} (the type of its `type`). */
export type DeclaredValue<D> =
  D extends Type<infer T> ? T : D extends { readonly type: Type<infer T> } ? T : never;

/** One entry of {@link CheckedDeclarations}: distributes over unions of entries. */
type CheckedEntry<E> = E extends Type<unknown> ? E : ValueSpecOptions<DeclaredValue<E>>;

/**
 * State declarations whose migrations produce values of their value's type: what `bind` checks
 * the declarations it infers against.
 */
export type CheckedDeclarations<S extends StateDeclarations> = {
  readonly [K in keyof S]: CheckedEntry<S[K]>;
};

/** A resolved value spec. */
export interface ValueSpec<T = unknown> extends StateSpec {
  /** The value's type. */
  readonly type: Type<T>;
  /** Migrations from earlier types (empty when none are declared). */
  readonly migrateFrom: readonly Migration<T>[];
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
      return {
        name,
        typename: entry.typename,
        type: entry,
        expiration: NO_EXPIRATION,
        migrateFrom: NO_MIGRATIONS,
      };
    }
    const { type, expireAfterWriteMs, expireAfterInvokeMs, migrateFrom } =
      entry as ValueSpecOptions<unknown>;
    if (type === undefined || !isType(type)) {
      throw new StatefunError(
        "invalid-argument",
        `value spec ${name} of ${functionTypename} must be a Type or { type, expireAfterWriteMs?, expireAfterInvokeMs?, migrateFrom? }`,
      );
    }
    const migrations = resolveMigrations(functionTypename, name, type.typename, migrateFrom);
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
    return { name, typename: type.typename, type, expiration, migrateFrom: migrations };
  });
}
