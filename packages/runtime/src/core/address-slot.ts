/**
 * The mailbox of one address and the per-function-type bookkeeping around it. A slot exists while
 * its address has queued or in-flight messages, and is dropped when it goes idle, so that memory
 * follows the number of busy addresses, not the number of addresses ever seen. Its entry in its
 * type's map stays, vacant, for the address's next slot, until the type has more vacant entries
 * than slots (and more than {@link VACANT_ENTRIES_KEPT}), when the vacant ones are dropped together:
 * an address that goes idle and busy again takes no map insert and delete each time.
 */
import type { Address, InvocationInput, StateSpec } from "@statefun-ts/protocol";
import type { StateTable } from "../state/backend.js";
import type { FunctionInvoker } from "./function-invoker.js";
import { keyGroupOf } from "./key-group.js";

/** Vacant slot entries a function type keeps at least, before it drops them. */
export const VACANT_ENTRIES_KEPT = 1024;

/** Lifecycle of a slot. */
export const SlotStatus = {
  /** Nothing queued, nothing in flight (a slot in this state leaves its map). */
  IDLE: 0,
  /** In the dispatcher's ready queue. */
  READY: 1,
  /** A batch is being invoked. */
  RUNNING: 2,
  /** The last attempt failed; a retry timer is armed. */
  RETRY_WAIT: 3,
  /** Waiting for the first request of its (remote) function type to settle. */
  PARKED: 4,
} as const;
/** A {@link SlotStatus} value. */
export type SlotStatusValue = (typeof SlotStatus)[keyof typeof SlotStatus];

/** Counters of one function type, read by the metrics adapter. */
export interface FunctionTypeCounters {
  /** Messages received. */
  in: number;
  /** Messages sent to functions. */
  outLocal: number;
  /** Records sent to egresses. */
  outEgress: number;
  /** Batches invoked successfully. */
  invocations: number;
  /** Failed batch attempts (each retry counts). */
  failures: number;
  /** Batches currently in flight asynchronously. */
  inflight: number;
}

/** A function type known to the dispatcher. */
export class FunctionTypeRuntime {
  readonly typename: string;
  readonly namespace: string;
  readonly name: string;
  readonly invoker: FunctionInvoker;
  readonly table: StateTable;
  /** Registered state specs, in registration order. Grows by negotiation; never shrinks. */
  readonly specs: StateSpec[];
  readonly specsByName = new Map<string, StateSpec>();
  /** Slots of busy addresses, and vacant (`null`) entries of addresses that went idle since. */
  private slots = new Map<string, AddressSlot | null>();
  /** Vacant entries in {@link slots}. */
  private vacant = 0;
  /**
   * False until a request of this type got a valid reply. Until then one address at a time is
   * invoked (the "probe"), so that a start or restore does not send a storm of requests that all
   * come back asking for state specs (reference §1.4, P24).
   */
  negotiated: boolean;
  /** The address invoked while not {@link negotiated}. */
  probe: AddressSlot | undefined = undefined;
  /** Addresses ready to run, waiting for the probe. */
  readonly parked: AddressSlot[] = [];
  readonly counters: FunctionTypeCounters = {
    in: 0,
    outLocal: 0,
    outEgress: 0,
    invocations: 0,
    failures: 0,
    inflight: 0,
  };

  constructor(typename: string, invoker: FunctionInvoker, table: StateTable) {
    const slash = typename.indexOf("/");
    this.typename = typename;
    this.namespace = typename.slice(0, slash);
    this.name = typename.slice(slash + 1);
    this.invoker = invoker;
    this.table = table;
    this.negotiated = invoker.kind === "embedded";
    this.specs = [];
    for (const spec of invoker.declaredSpecs) this.register(spec);
  }

  /** Registers a spec (the caller has checked it does not conflict). */
  register(spec: StateSpec): void {
    this.specs.push(spec);
    this.specsByName.set(spec.name, spec);
  }

  /** The slot of a busy address, if it has one. */
  slotOf(id: string): AddressSlot | undefined {
    return this.slots.get(id) ?? undefined;
  }

  /** The slot of an address, made (again) if it has none; `maxKeyGroups` places a new one. */
  openSlot(id: string, maxKeyGroups: number): AddressSlot {
    let slot = this.slots.get(id);
    if (slot == null) {
      if (slot === null) this.vacant--;
      slot = new AddressSlot(this, id, keyGroupOf(id, maxKeyGroups));
      this.slots.set(id, slot);
    }
    return slot;
  }

  /**
   * Drops the slot of an address that went idle, leaving its entry vacant; once there are more
   * vacant entries than slots (and more than {@link VACANT_ENTRIES_KEPT}), drops the vacant ones in
   * one pass, rather than a map delete each (which, address after address, kept rehashing the map).
   */
  closeSlot(id: string): void {
    this.slots.set(id, null);
    this.vacant++;
    if (this.vacant <= Math.max(VACANT_ENTRIES_KEPT, this.slots.size - this.vacant)) return;
    const busy = new Map<string, AddressSlot | null>();
    for (const [key, slot] of this.slots) if (slot !== null) busy.set(key, slot);
    this.slots = busy;
    this.vacant = 0;
  }

  /** Calls `each` with the slot of every busy address. */
  forEachSlot(each: (slot: AddressSlot) => void): void {
    for (const slot of this.slots.values()) if (slot !== null) each(slot);
  }

  /** Entries of the map of slots, vacant ones included: at most about twice the busy addresses. */
  get slotEntries(): number {
    return this.slots.size;
  }
}

/** The mailbox and invocation status of one address. */
export class AddressSlot {
  readonly fn: FunctionTypeRuntime;
  readonly id: string;
  readonly keyGroup: number;
  readonly address: Address;
  status: SlotStatusValue = SlotStatus.IDLE;
  /** The batch being invoked or retried; its messages are no longer in {@link queue}. */
  inflight: InvocationInput[] | undefined = undefined;
  /** Failed attempts of {@link inflight}. */
  attempts = 0;
  /** How many of its type's specs the last request carried (the rest were registered later). */
  specsSent = 0;
  /** When the current run of failures started (ms since epoch), for the admin API. */
  failingSinceMs = 0;
  /** The last failure of {@link inflight}. */
  lastError: unknown = undefined;
  private queue: InvocationInput[] = [];
  private head = 0;

  constructor(fn: FunctionTypeRuntime, id: string, keyGroup: number) {
    this.fn = fn;
    this.id = id;
    this.keyGroup = keyGroup;
    this.address = { namespace: fn.namespace, name: fn.name, id, typename: fn.typename };
  }

  /** Messages waiting behind the in-flight batch. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  push(input: InvocationInput): void {
    this.queue.push(input);
  }

  /** Puts messages in front of everything queued (restoring in-flight inputs). */
  unshift(inputs: readonly InvocationInput[]): void {
    this.queue = [...inputs, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  /** Removes and returns up to `max` messages from the front of the queue. */
  take(max: number): InvocationInput[] {
    const available = this.queue.length - this.head;
    if (this.head === 0 && available <= max) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    const n = Math.min(max, available);
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** The queued messages, in order, without removing them. */
  peekAll(): InvocationInput[] {
    return this.queue.slice(this.head);
  }
}
