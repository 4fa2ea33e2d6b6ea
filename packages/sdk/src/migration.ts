/**
 * Schema evolution of state: a value spec may list migrations, each converting a value stored
 * with an earlier typename straight to the spec's current type. This file builds migrations,
 * validates a spec's list when a function is bound, and finds the migration for a stored
 * typename when a value is read.
 */
import type { Type } from "@statefun-ts/protocol";
import { StatefunError } from "@statefun-ts/protocol";

/**
 * Converts a value stored with an earlier type (`from`) to a value spec's current type. Build one
 * with {@link migration}.
 */
export interface Migration<New = unknown> {
  /** The earlier type: values stored with its typename are decoded with it, then migrated. */
  readonly from: Type<unknown>;
  /**
   * Converts a decoded value of {@link from} to the current type. Returning `undefined` (or
   * `null`) deletes the value.
   */
  readonly migrate: (old: unknown) => New | undefined | null;
}

/** The migrations of a value spec that declares none. */
export const NO_MIGRATIONS: readonly Migration[] = Object.freeze([]);

/**
 * Builds a migration from an earlier type of a value to its current one, for a value spec's
 * `migrateFrom`. A stored value whose typename is `from.typename` is decoded with `from`, passed
 * to `migrate`, and written back with the current type at the end of the batch that read it.
 *
 * @example
 * ```ts
 * const profileV1 = jsonType<{ name: string }>("example/ProfileV1");
 * const profileV2 = jsonType<{ first: string; last: string }>("example/ProfileV2");
 * state: {
 *   profile: {
 *     type: profileV2,
 *     migrateFrom: [migration(profileV1, (old) => ({ first: old.name, last: "" }))],
 *   },
 * }
 * ```
 * @param from - the type values were stored with before.
 * @param migrate - converts an old value to the current type; `undefined` deletes the value.
 */
export function migration<Old, New>(
  from: Type<Old>,
  migrate: (old: Old) => New,
): Migration<NonNullable<New>> {
  return {
    from,
    migrate: migrate as (old: unknown) => NonNullable<New> | undefined,
  };
}

function isType(entry: unknown): entry is Type<unknown> {
  return (
    typeof entry === "object" &&
    entry !== null &&
    typeof (entry as Type<unknown>).typename === "string" &&
    typeof (entry as Type<unknown>).deserialize === "function"
  );
}

/**
 * Validates the migrations of one value spec: each built with {@link migration}, at most one per
 * earlier typename, none from the spec's own typename.
 *
 * @returns the migrations, frozen (empty when none are declared).
 * @throws StatefunError `invalid-argument` naming the function type, the value and the typename.
 */
export function resolveMigrations(
  functionTypename: string,
  name: string,
  typename: string,
  migrateFrom: unknown,
): readonly Migration[] {
  if (migrateFrom === undefined) return NO_MIGRATIONS;
  const where = `value spec ${name} of ${functionTypename}`;
  if (!Array.isArray(migrateFrom)) {
    throw new StatefunError(
      "invalid-argument",
      `${where}: migrateFrom must be an array of migration(fromType, migrate), found ${typeof migrateFrom}`,
    );
  }
  const seen = new Set<string>();
  for (const entry of migrateFrom as unknown[]) {
    const candidate = entry as Partial<Migration> | null;
    if (
      typeof candidate !== "object" ||
      candidate === null ||
      !isType(candidate.from) ||
      typeof candidate.migrate !== "function"
    ) {
      throw new StatefunError(
        "invalid-argument",
        `${where}: each entry of migrateFrom must be built with migration(fromType, migrate)`,
      );
    }
    const from = candidate.from.typename;
    if (from === typename) {
      throw new StatefunError(
        "invalid-argument",
        `${where}: a migration from ${from}, the value's own type; migrations convert values stored with an earlier type`,
      );
    }
    if (seen.has(from)) {
      throw new StatefunError(
        "invalid-argument",
        `${where}: two migrations from ${from}; give one migration per earlier type`,
      );
    }
    seen.add(from);
  }
  return Object.freeze([...(migrateFrom as Migration[])]);
}

/** The migration reading values stored with `typename`, if any. */
export function findMigration(
  migrations: readonly Migration[],
  typename: string,
): Migration | undefined {
  for (let i = 0; i < migrations.length; i++) {
    const candidate = migrations[i] as Migration;
    if (candidate.from.typename === typename) return candidate;
  }
  return undefined;
}
