/**
 * The state schema registry: for every function type and state name, the typenames its values
 * have been declared with, oldest first (the last one is the current type). It is a system table
 * of the state backend — checkpointed, restored and listed with everything else — consulted only
 * when the runtime starts and when a remote function negotiates its state, never per invocation.
 *
 * Invariants (tests cite them by number):
 *  1. A history lists each typename once, ordered by when it was last declared; its last entry is
 *     the typename the value is declared with now. Typenames are never dropped: values stored
 *     with an earlier typename stay stored until an invocation reads (and so rewrites) them.
 *  2. An embedded function's value spec is accepted at start only when every other typename in
 *     its history has a migration in the spec's `migrateFrom`; hence removing a migration later
 *     is refused too. Nothing is recorded unless every spec is accepted.
 *  3. A remote function's spec whose typename differs from the last one recorded for its name is
 *     refused at negotiation, also after a restart (reference §1.6: changing a state's typename
 *     for an existing deployment is incompatible); a first-time spec is recorded.
 */
import type { StateSpec, Type } from "@statefun-ts/protocol";
import { NO_EXPIRATION, StatefunError, TypedValue } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import type { StateBackend, StateTable } from "../state/backend.js";
import type { Clock } from "./clock.js";
import { keyGroupOf } from "./key-group.js";

/** The system table of the registry: one id per function type, one value per state name. */
export const STATE_SCHEMAS_TABLE = "statefun-ts.system/state-schemas";

/** The typename of a registry value: UTF-8 JSON, a list of typenames, oldest first. */
export const TYPENAME_HISTORY_TYPENAME = "statefun-ts.system/typename-history";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const historyType: Type<readonly string[]> = {
  typename: TYPENAME_HISTORY_TYPENAME,
  serialize: (history) => encoder.encode(JSON.stringify(history)),
  deserialize(bytes) {
    const history: unknown = JSON.parse(decoder.decode(bytes));
    if (!Array.isArray(history) || !history.every((t) => typeof t === "string" && t !== "")) {
      throw new Error("expected a JSON list of typenames");
    }
    return history as string[];
  },
};

/** A value spec of an embedded function, as the start-time check sees it. */
export interface DeclaredSchema {
  /** The function type. */
  readonly functionType: string;
  /** The state name. */
  readonly name: string;
  /** The typename the value is declared with. */
  readonly typename: string;
  /** The typenames the spec has migrations from. */
  readonly migratesFrom: readonly string[];
}

/** The value specs of the embedded functions in `registries` (a later registry wins for a type). */
export function declaredSchemas(registries: readonly StatefulFunctions[]): DeclaredSchema[] {
  const bound = new Map<string, DeclaredSchema[]>();
  for (const registry of registries) {
    for (const fn of registry.list()) {
      bound.set(
        fn.typename,
        fn.specs.map((spec) => ({
          functionType: fn.typename,
          name: spec.name,
          typename: spec.typename,
          migratesFrom: spec.migrateFrom.map((m) => m.from.typename),
        })),
      );
    }
  }
  return [...bound.values()].flat();
}

/**
 * The recorded histories of a function type's values, by state name (oldest typename first).
 *
 * @throws StatefunError `corrupt-data` when a recorded value cannot be read.
 */
export function readStateSchemas(
  backend: StateBackend,
  functionType: string,
): Map<string, readonly string[]> {
  return readHistories(backend.table(STATE_SCHEMAS_TABLE), backend.maxKeyGroups, functionType);
}

function readHistories(
  table: StateTable,
  maxKeyGroups: number,
  functionType: string,
): Map<string, readonly string[]> {
  const histories = new Map<string, readonly string[]>();
  // Registry values never expire, so any time reads them all.
  for (const entry of table.entries(functionType, keyGroupOf(functionType, maxKeyGroups), 0)) {
    try {
      if (entry.value.typename !== TYPENAME_HISTORY_TYPENAME) {
        throw new Error(`found a value of type ${entry.value.typename}`);
      }
      histories.set(entry.name, entry.value.decodeUnchecked(historyType) ?? []);
    } catch (error) {
      throw new StatefunError(
        "corrupt-data",
        `the state schema registry (${STATE_SCHEMAS_TABLE}) holds an unreadable history for value ${JSON.stringify(entry.name)} of function type ${functionType}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { functionType, state: entry.name } },
      );
    }
  }
  return histories;
}

function list(typenames: readonly string[]): string {
  return typenames.length <= 1
    ? (typenames[0] ?? "")
    : `${typenames.slice(0, -1).join(", ")} and ${typenames.at(-1)}`;
}

/** The registry of one runtime, over its state backend. */
export class StateSchemaRegistry {
  private readonly table: StateTable;
  private readonly maxKeyGroups: number;
  private readonly clock: Clock;

  constructor(backend: StateBackend, clock: Clock) {
    this.table = backend.table(STATE_SCHEMAS_TABLE);
    this.maxKeyGroups = backend.maxKeyGroups;
    this.clock = clock;
  }

  /** The recorded histories of a function type's values, by state name. */
  histories(functionType: string): Map<string, readonly string[]> {
    return readHistories(this.table, this.maxKeyGroups, functionType);
  }

  /**
   * Checks the value specs of embedded functions against their histories (invariant 2) and,
   * when all are accepted, records their typenames.
   *
   * @throws StatefunError `invalid-config` naming, for every refused spec, the function type,
   *   the value, the stored typenames without a migration and the declared typename.
   */
  admitDeclared(declared: readonly DeclaredSchema[]): void {
    const byType = new Map<string, DeclaredSchema[]>();
    for (const schema of declared) {
      const specs = byType.get(schema.functionType) ?? [];
      specs.push(schema);
      byType.set(schema.functionType, specs);
    }
    const problems: string[] = [];
    const details: Record<string, unknown>[] = [];
    const updates: { functionType: string; name: string; history: readonly string[] }[] = [];
    for (const [functionType, specs] of byType) {
      const histories = this.histories(functionType);
      for (const spec of specs) {
        const history = histories.get(spec.name) ?? [];
        const earlier = history.filter((typename) => typename !== spec.typename);
        const missing = earlier.filter((typename) => !spec.migratesFrom.includes(typename));
        if (missing.length > 0) {
          problems.push(refusal(spec, earlier, missing, history.at(-1) === spec.typename));
          details.push({ ...spec, stored: earlier, missing });
        } else if (history.at(-1) !== spec.typename) {
          updates.push({ functionType, name: spec.name, history: [...earlier, spec.typename] });
        }
      }
    }
    if (problems.length > 0) {
      throw new StatefunError("invalid-config", problems.join("\n"), {
        details: { problems: details },
      });
    }
    for (const update of updates) this.write(update.functionType, update.name, update.history);
  }

  /**
   * Checks a spec a remote function reported at negotiation against the last recorded typename
   * of its name (invariant 3).
   *
   * @returns the `invalid-effect` error refusing it, or `undefined` when it is accepted.
   */
  checkNegotiated(functionType: string, spec: StateSpec): StatefunError | undefined {
    const recorded = this.histories(functionType).get(spec.name)?.at(-1);
    if (recorded === undefined || recorded === spec.typename) return undefined;
    return new StatefunError(
      "invalid-effect",
      `${functionType} declares state ${JSON.stringify(spec.name)} with type ${spec.typename}, but it is registered with type ${recorded} (recorded in the state schema registry, kept with the state); changing a state's typename for an existing deployment is incompatible: keep ${recorded} or use a new state name`,
      {
        details: {
          functionType,
          state: spec.name,
          declared: spec.typename,
          registered: recorded,
        },
      },
    );
  }

  /** Records specs accepted at negotiation whose name has no history yet. */
  recordNegotiated(functionType: string, specs: readonly StateSpec[]): void {
    if (specs.length === 0) return;
    const histories = this.histories(functionType);
    for (const spec of specs) {
      if (!histories.has(spec.name)) this.write(functionType, spec.name, [spec.typename]);
    }
  }

  private write(functionType: string, name: string, history: readonly string[]): void {
    const spec: StateSpec = {
      name,
      typename: TYPENAME_HISTORY_TYPENAME,
      expiration: NO_EXPIRATION,
    };
    this.table.write(
      functionType,
      keyGroupOf(functionType, this.maxKeyGroups),
      [{ spec, value: TypedValue.of(historyType, history) }],
      this.clock.now(),
    );
  }
}

function refusal(
  spec: DeclaredSchema,
  earlier: readonly string[],
  missing: readonly string[],
  removed: boolean,
): string {
  const add = missing.map((typename) => `migration(<the Type of ${typename}>, (old) => ...)`);
  const hint =
    spec.migratesFrom.length === 0
      ? `add migrateFrom: [${add.join(", ")}] to its value spec`
      : `add ${add.join(", ")} to the migrateFrom of its value spec`;
  const why = removed
    ? "; a migration cannot be removed, since values not read since the change may still hold the earlier type"
    : "";
  return `function type ${spec.functionType}: value ${JSON.stringify(spec.name)} was stored as ${list(earlier)} and is now declared as ${spec.typename}, with no migration from ${list(missing)}; ${hint}${why}`;
}
