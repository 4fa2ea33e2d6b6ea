/**
 * The implementation of `Context` for one invocation batch: collects effects in call order and
 * tracks state changes, so that the batch's effects can be handed over atomically at its end.
 * A value stored with an earlier type is migrated when first read and counts as changed, so that
 * the batch writes it back with the current type (lazy rewrite).
 */
import type {
  Address,
  DelayedAction,
  EgressRecord,
  InvocationEffects,
  OutgoingMessage,
  StateMutation,
} from "@statefun-ts/protocol";
import { StatefunError, TypedValue, formatAddress, parseTypeName } from "@statefun-ts/protocol";
import type { Context, Storage } from "./context.js";
import { findMigration } from "./migration.js";
import type { StateDeclarations, ValueSpec } from "./value-spec.js";

const NONE: readonly never[] = Object.freeze([]);

/**
 * The `type-mismatch` error for a stored value whose typename is neither its spec's nor one the
 * spec migrates from.
 */
export function stateTypeMismatch(self: Address, spec: ValueSpec, found: string): StatefunError {
  const migrates = spec.migrateFrom.map((m) => m.from.typename);
  const also = migrates.length === 0 ? "" : ` (or one it migrates from: ${migrates.join(", ")})`;
  return new StatefunError(
    "type-mismatch",
    `state ${spec.name} of function type ${self.typename} (target ${formatAddress(self)}): expected a value of type ${spec.typename}${also}, found ${found}`,
    {
      details: {
        address: formatAddress(self),
        state: spec.name,
        expected: spec.typename,
        found,
      },
    },
  );
}

/**
 * Checks that every present value has its spec's typename or one the spec migrates from.
 *
 * @throws StatefunError `type-mismatch` for the first value that has neither.
 */
export function checkStateTypes(
  self: Address,
  specs: readonly ValueSpec[],
  values: readonly (TypedValue | undefined)[],
): void {
  for (let i = 0; i < specs.length; i++) {
    const value = values[i];
    if (value === undefined) continue;
    const spec = specs[i] as ValueSpec;
    if (
      value.typename !== spec.typename &&
      findMigration(spec.migrateFrom, value.typename) === undefined
    ) {
      throw stateTypeMismatch(self, spec, value.typename);
    }
  }
}

/** The state cells of one address during a batch: current values and which ones changed. */
export class StateCells {
  private readonly self: Address;
  private readonly specs: readonly ValueSpec[];
  private readonly values: (TypedValue | undefined)[];
  private changed: boolean[] | undefined;

  /** Takes ownership of `values` (one entry per spec, in spec order). */
  constructor(self: Address, specs: readonly ValueSpec[], values: (TypedValue | undefined)[]) {
    this.self = self;
    this.specs = specs;
    this.values = values;
  }

  get(index: number): unknown {
    const value = this.values[index];
    if (value === undefined) return undefined;
    const spec = this.specs[index] as ValueSpec;
    if (value.typename !== spec.typename) {
      this.migrate(index, spec, value);
      return this.values[index]?.decodeUnchecked(spec.type);
    }
    return value.decodeUnchecked(spec.type);
  }

  /** Replaces a value stored with an earlier type by its migrated value, counted as changed. */
  private migrate(index: number, spec: ValueSpec, value: TypedValue): void {
    const migration = findMigration(spec.migrateFrom, value.typename);
    if (migration === undefined) throw stateTypeMismatch(this.self, spec, value.typename);
    let migrated: unknown;
    try {
      migrated = migration.migrate(value.decodeUnchecked(migration.from));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StatefunError(
        "function-failed",
        `state ${spec.name} of function type ${this.self.typename} (target ${formatAddress(this.self)}): the migration from ${value.typename} to ${spec.typename} failed: ${reason}`,
        { cause: error, details: { address: formatAddress(this.self), state: spec.name } },
      );
    }
    this.set(index, migrated);
  }

  set(index: number, value: unknown): void {
    const spec = this.specs[index] as ValueSpec;
    this.values[index] =
      value === undefined || value === null ? undefined : TypedValue.of(spec.type, value);
    (this.changed ??= this.unchanged())[index] = true;
  }

  /** A flag per spec, all false (set one by one: `fill` is a call into the runtime). */
  private unchanged(): boolean[] {
    const changed = new Array<boolean>(this.specs.length);
    for (let i = 0; i < this.specs.length; i++) changed[i] = false;
    return changed;
  }

  /** The changes since the batch started, in spec order. */
  mutations(): readonly StateMutation[] {
    const changed = this.changed;
    if (changed === undefined) return NONE;
    let count = 0;
    for (let i = 0; i < changed.length; i++) if (changed[i] === true) count++;
    // Sized up front: a `push` onto `[]` allocates room for 16.
    const mutations = new Array<StateMutation>(count);
    for (let i = 0, at = 0; i < changed.length; i++) {
      if (changed[i] === true) {
        mutations[at++] = { name: (this.specs[i] as ValueSpec).name, value: this.values[i] };
      }
    }
    return mutations;
  }
}

/** Builds the storage class of a function type: one accessor property per value spec. */
export function storageClassFor(
  specs: readonly ValueSpec[],
): new (cells: StateCells) => Storage<StateDeclarations> {
  class BoundStorage {
    readonly #cells: StateCells;
    constructor(cells: StateCells) {
      this.#cells = cells;
      Object.seal(this);
    }
    static cellsOf(storage: BoundStorage): StateCells {
      return storage.#cells;
    }
  }
  specs.forEach((spec, index) => {
    Object.defineProperty(BoundStorage.prototype, spec.name, {
      enumerable: true,
      get(this: BoundStorage) {
        return BoundStorage.cellsOf(this).get(index);
      },
      set(this: BoundStorage, value: unknown) {
        BoundStorage.cellsOf(this).set(index, value);
      },
    });
  });
  return BoundStorage;
}

/** The `Context` of one batch. Closed when the batch ends; using it afterwards throws. */
export class BatchContext implements Context {
  readonly self: Address;
  caller: Address | undefined = undefined;
  readonly storage: Storage<StateDeclarations>;
  readonly cells: StateCells;
  // Allocated on first use: most invocations use one kind of effect or none.
  private messages: OutgoingMessage[] | undefined = undefined;
  private delayed: DelayedAction[] | undefined = undefined;
  private egress: EgressRecord[] | undefined = undefined;
  private closed = false;

  constructor(
    self: Address,
    cells: StateCells,
    storageClass: new (cells: StateCells) => Storage<StateDeclarations>,
  ) {
    this.self = self;
    this.cells = cells;
    this.storage = new storageClass(cells);
  }

  private checkOpen(operation: string): void {
    if (this.closed) {
      throw new StatefunError(
        "illegal-state",
        `${operation} on the context of ${formatAddress(this.self)} after its invocation completed (a promise not awaited?)`,
      );
    }
  }

  send(message: OutgoingMessage): void {
    this.checkOpen("send");
    checkMessage(message, "send");
    (this.messages ??= []).push(message);
  }

  sendAfter(delayMs: number, message: OutgoingMessage, cancellationToken?: string): void {
    this.checkOpen("sendAfter");
    checkMessage(message, "sendAfter");
    if (!Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new StatefunError(
        "invalid-argument",
        `sendAfter: delayMs must be a whole number of milliseconds ≥ 0, found ${delayMs}`,
      );
    }
    if (
      cancellationToken !== undefined &&
      (typeof cancellationToken !== "string" || cancellationToken === "")
    ) {
      throw new StatefunError(
        "invalid-argument",
        "sendAfter: a cancellation token must be a non-empty string",
      );
    }
    (this.delayed ??= []).push({ kind: "send", delayMs, message, cancellationToken });
  }

  cancelDelayedMessage(cancellationToken: string): void {
    this.checkOpen("cancelDelayedMessage");
    if (typeof cancellationToken !== "string" || cancellationToken === "") {
      throw new StatefunError(
        "invalid-argument",
        "cancelDelayedMessage: the cancellation token must be a non-empty string",
      );
    }
    (this.delayed ??= []).push({ kind: "cancel", cancellationToken });
  }

  sendEgress(message: EgressRecord): void {
    this.checkOpen("sendEgress");
    if (message === null || typeof message !== "object" || !(message.value instanceof TypedValue)) {
      throw new StatefunError(
        "invalid-argument",
        "sendEgress: expected a record built with egressMessageBuilder or a connector helper",
      );
    }
    parseTypeName(message.egress);
    (this.egress ??= []).push(message);
  }

  /** Closes the context and returns the batch's effects. */
  finish(): InvocationEffects {
    this.closed = true;
    return {
      stateMutations: this.cells.mutations(),
      messages: this.messages ?? NONE,
      delayed: this.delayed ?? NONE,
      egress: this.egress ?? NONE,
    };
  }

  /** Closes the context after a failure; its effects are dropped. */
  abandon(): void {
    this.closed = true;
  }
}

function checkMessage(message: OutgoingMessage, operation: string): void {
  if (
    message === null ||
    typeof message !== "object" ||
    message.target === undefined ||
    !(message.value instanceof TypedValue)
  ) {
    throw new StatefunError(
      "invalid-argument",
      `${operation}: expected a message built with messageBuilder`,
    );
  }
}
