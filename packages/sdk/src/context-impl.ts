/**
 * The implementation of `Context` for one invocation batch: collects effects in call order and
 * tracks state changes, so that the batch's effects can be handed over atomically at its end.
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
import type { StateDeclarations, ValueSpec } from "./value-spec.js";

const NONE: readonly never[] = Object.freeze([]);

/** The state cells of one address during a batch: current values and which ones changed. */
export class StateCells {
  private readonly specs: readonly ValueSpec[];
  private readonly values: (TypedValue | undefined)[];
  private changed: boolean[] | undefined;

  /** Takes ownership of `values` (one entry per spec, in spec order). */
  constructor(specs: readonly ValueSpec[], values: (TypedValue | undefined)[]) {
    this.specs = specs;
    this.values = values;
  }

  get(index: number): unknown {
    const value = this.values[index];
    if (value === undefined) return undefined;
    return value.decodeUnchecked((this.specs[index] as ValueSpec).type);
  }

  set(index: number, value: unknown): void {
    const spec = this.specs[index] as ValueSpec;
    this.values[index] =
      value === undefined || value === null ? undefined : TypedValue.of(spec.type, value);
    (this.changed ??= new Array<boolean>(this.specs.length).fill(false))[index] = true;
  }

  /** The changes since the batch started, in spec order. */
  mutations(): readonly StateMutation[] {
    const changed = this.changed;
    if (changed === undefined) return NONE;
    const mutations: StateMutation[] = [];
    for (let i = 0; i < changed.length; i++) {
      if (changed[i] === true) {
        mutations.push({ name: (this.specs[i] as ValueSpec).name, value: this.values[i] });
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
