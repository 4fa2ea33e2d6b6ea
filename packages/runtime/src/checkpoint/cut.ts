/**
 * The cut of a checkpoint: taken synchronously, between two event-loop steps, so every
 * invocation's effects are either fully in it or not at all (DESIGN decision 2). Taking it copies
 * references only — the state's changes are captured copy-on-write, messages and records are
 * immutable — and the checkpoint's content is built from it lazily while the file is written.
 */
import type { Address, InvocationInput, TypedValue } from "@statefun-ts/protocol";
import type { Dispatcher } from "../core/dispatcher.js";
import type { PendingDelayedMessage } from "../core/delayed-messages.js";
import type { EgressRouter, HeldRecord } from "../core/egress.js";
import type { StateBackend, StateChangeCapture } from "../state/backend.js";
import type { ComponentStore } from "../io/component-store.js";
import type { Logger } from "../observability/logger.js";
import type {
  CheckpointAddress,
  ComponentState,
  DelayedMessageRecord,
  GlobalContent,
  KeyGroupContent,
  PendingMessageRun,
  StoredTypedValue,
} from "./model.js";

/** A component (egress sink, ingress) whose own state goes into checkpoints. */
export interface StatefulComponent {
  readonly id: string;
  /**
   * Captures the component's state at the cut, synchronously and cheaply; the returned function
   * serializes it later (the captured data must not change meanwhile).
   */
  captureState(): () => Uint8Array;
  /** Restores state captured by {@link captureState}, before the component starts. */
  restoreState(bytes: Uint8Array): void;
  /**
   * Hands the component durable keyed state of its own, checkpointed incrementally with function
   * state: state that can grow large belongs there rather than in {@link captureState}, which
   * every checkpoint writes whole. Called once, before recovery; the store's restored content
   * can be read from the first call of {@link restoreState} or of any other method on. `logger`
   * is the runtime's, for what the component reports while it restores, before it starts.
   */
  useStore?(store: ComponentStore, logger: Logger): void;
}

/** True when a component takes part in checkpoints. */
export function isStatefulComponent(component: object): component is StatefulComponent {
  const candidate = component as Partial<StatefulComponent>;
  return (
    typeof candidate.captureState === "function" && typeof candidate.restoreState === "function"
  );
}

/** Everything a cut reads from. */
export interface CutSources {
  readonly backend: StateBackend;
  readonly dispatcher: Dispatcher;
  readonly egress: EgressRouter;
  readonly sinks: readonly StatefulComponent[];
  readonly ingresses: readonly StatefulComponent[];
}

interface PendingGroup {
  readonly address: Address;
  readonly messages: readonly InvocationInput[];
}

/** The captured content of one checkpoint. */
export class CheckpointCut {
  readonly id: number;
  readonly cutMs: number;
  readonly state: StateChangeCapture;
  private readonly pending = new Map<number, PendingGroup[]>();
  private readonly delayed = new Map<number, PendingDelayedMessage[]>();
  private readonly egress: readonly HeldRecord[];
  private readonly sinks: { readonly id: string; readonly serialize: () => Uint8Array }[];
  private readonly ingresses: { readonly id: string; readonly serialize: () => Uint8Array }[];

  /** Takes the cut: synchronous, references only. */
  constructor(id: number, cutMs: number, sources: CutSources) {
    this.id = id;
    this.cutMs = cutMs;
    this.state = sources.backend.captureChanges(cutMs);
    for (const group of sources.dispatcher.pendingMessages()) {
      let list = this.pending.get(group.keyGroup);
      if (list === undefined) {
        list = [];
        this.pending.set(group.keyGroup, list);
      }
      list.push({ address: group.address, messages: group.messages });
    }
    for (const message of sources.dispatcher.delayed.snapshot()) {
      let list = this.delayed.get(message.senderKeyGroup);
      if (list === undefined) {
        list = [];
        this.delayed.set(message.senderKeyGroup, list);
      }
      list.push(message);
    }
    this.egress = sources.egress.unreleased();
    this.sinks = sources.sinks.map((sink) => ({ id: sink.id, serialize: sink.captureState() }));
    this.ingresses = sources.ingresses.map((ingress) => ({
      id: ingress.id,
      serialize: ingress.captureState(),
    }));
  }

  /** Key groups with any content, in increasing order. */
  keyGroups(): number[] {
    const groups = new Set<number>([
      ...this.state.keyGroups(),
      ...this.pending.keys(),
      ...this.delayed.keys(),
    ]);
    return [...groups].sort((a, b) => a - b);
  }

  /** The content of each key group, built one at a time. */
  *keyGroupContents(): Generator<KeyGroupContent> {
    for (const keyGroup of this.keyGroups()) {
      yield {
        keyGroup,
        state: [],
        // Written straight from the backend's state: no record per address.
        writeState: (sink) => this.state.write(keyGroup, sink),
        messages: [],
        // Written straight from the mailboxes' messages: no record per message.
        messageRuns: (this.pending.get(keyGroup) ?? []).map(
          ({ address, messages }): PendingMessageRun => ({
            target: toCheckpointAddress(address),
            messages,
          }),
        ),
        delayed: (this.delayed.get(keyGroup) ?? [])
          .sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq)
          .map((message): DelayedMessageRecord => ({
            sender: toCheckpointAddress(message.sender),
            dueMs: message.dueMs,
            cancellationToken: message.cancellationToken,
            target: toCheckpointAddress(message.message.target),
            argument: toStored(message.message.value),
          })),
      };
    }
  }

  /** The process-wide content. */
  globalContent(): GlobalContent {
    return {
      egress: this.egress.map((record) => ({
        egress: record.egress,
        value: toStored(record.value),
      })),
      sinks: this.sinks.map(({ id, serialize }): ComponentState => ({ id, bytes: serialize() })),
      ingresses: this.ingresses.map(({ id, serialize }): ComponentState => ({
        id,
        bytes: serialize(),
      })),
    };
  }

  /**
   * True when the cut holds nothing a previous complete checkpoint did not: no state change, no
   * pending or delayed message, no unreleased record, and components in the state `previous` had.
   */
  isEmpty(global: GlobalContent, previous: ReadonlyMap<string, Uint8Array>): boolean {
    if (this.state.keyGroups().length > 0 || this.pending.size > 0 || this.delayed.size > 0)
      return false;
    if (global.egress.length > 0) return false;
    return [...global.sinks, ...global.ingresses].every((component) => {
      const before = previous.get(component.id);
      return before !== undefined && Buffer.compare(before, component.bytes) === 0;
    });
  }

  /** Counts for the manifest and logs. */
  info(): Record<string, number> {
    let messages = 0;
    for (const groups of this.pending.values())
      for (const g of groups) messages += g.messages.length;
    let delayed = 0;
    for (const list of this.delayed.values()) delayed += list.length;
    return {
      pendingMessages: messages,
      delayedMessages: delayed,
      unreleasedEgress: this.egress.length,
    };
  }
}

/** Converts an address for a checkpoint. */
export function toCheckpointAddress(address: Address): CheckpointAddress {
  return { functionType: address.typename, id: address.id };
}

/** Converts a typed value for a checkpoint. */
export function toStored(value: TypedValue): StoredTypedValue {
  return { typename: value.typename, hasValue: value.hasValue, value: value.bytes };
}
