/**
 * The mailbox of one address and the per-function-type bookkeeping around it. A slot exists while
 * its address has queued or in-flight messages, and is dropped when it goes idle, so that memory
 * follows the number of busy addresses, not the number of addresses ever seen.
 *
 * Under a full backlog of messages to distinct addresses, every queued message holds a slot, and
 * a slot waits behind the whole backlog before it runs: what it holds then has left the CPU's
 * caches and outlived young collections. So a slot is kept small: its first message is held in
 * the slot's own fields (an array of inputs only from the second on), its address object is made
 * when first asked for (at invocation) and let go when the slot closes. Slots are found by id in
 * an {@link IdIndex} under a seed of the process's own, which a lookup that misses (the first
 * message to an address) answers from one array of hashes.
 */
import { randomBytes } from "node:crypto";
import type { Address, InvocationInput, StateSpec, TypedValue } from "@statefun-ts/protocol";
import type { StateTable } from "../state/backend.js";
import type { FunctionInvoker } from "./function-invoker.js";
import { IdIndex, hashId } from "./id-index.js";
import { keyGroupOf } from "./key-group.js";

/** Lifecycle of a slot. */
export const SlotStatus = {
  /** Nothing queued, nothing in flight (a slot in this state leaves its type's index). */
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
  /** Slots of busy addresses (iterated at every checkpoint: kept at most eight times too large). */
  private readonly slots = new IdIndex<AddressSlot>({ shrinkAtOnce: true });
  /** Seeds the hashes of ids in {@link slots}. */
  private readonly seed = randomBytes(4).readUInt32LE(0);
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
    return this.slots.get(hashId(this.seed, id), id);
  }

  /** The slot of an address, made if it has none; `maxKeyGroups` places a new one. */
  openSlot(id: string, maxKeyGroups: number): AddressSlot {
    const hash = hashId(this.seed, id);
    let slot = this.slots.get(hash, id);
    if (slot === undefined) {
      slot = new AddressSlot(this, id, hash, keyGroupOf(id, maxKeyGroups));
      this.slots.add(slot);
    }
    return slot;
  }

  /** Drops the slot of an address that went idle. */
  closeSlot(slot: AddressSlot): void {
    this.slots.delete(slot);
    slot.close();
  }

  /** Calls `each` with the slot of every busy address. */
  forEachSlot(each: (slot: AddressSlot) => void): void {
    this.slots.forEach(each);
  }

  /** Slots of busy addresses. */
  get busySlots(): number {
    return this.slots.size;
  }
}

/** The mailbox and invocation status of one address. */
export class AddressSlot {
  readonly fn: FunctionTypeRuntime;
  readonly id: string;
  /** The hash of {@link id} in its type's index of slots. */
  readonly hash: number;
  readonly keyGroup: number;
  status: SlotStatusValue = SlotStatus.IDLE;
  /** The batch being invoked or retried; its messages are no longer queued. */
  inflight: InvocationInput[] | undefined = undefined;
  /** Failed attempts of {@link inflight}. */
  attempts = 0;
  /** How many of its type's specs the last request carried (the rest were registered later). */
  specsSent = 0;
  /** When the current run of failures started (ms since epoch), for the admin API. */
  failingSinceMs = 0;
  /** The last failure of {@link inflight}. */
  lastError: unknown = undefined;
  private madeAddress: Address | undefined = undefined;
  /** The only queued message's argument while {@link queue} is not in use, and its caller. */
  private firstArgument: TypedValue | undefined = undefined;
  private firstCaller: Address | undefined = undefined;
  /** Queued messages from {@link head} on, once two were queued at once. */
  private queue: InvocationInput[] | undefined = undefined;
  private head = 0;

  constructor(fn: FunctionTypeRuntime, id: string, hash: number, keyGroup: number) {
    this.fn = fn;
    this.id = id;
    this.hash = hash;
    this.keyGroup = keyGroup;
  }

  /** The slot's address (made on first use). */
  get address(): Address {
    this.madeAddress ??= {
      namespace: this.fn.namespace,
      name: this.fn.name,
      id: this.id,
      typename: this.fn.typename,
    };
    return this.madeAddress;
  }

  /** Messages waiting behind the in-flight batch. */
  get queued(): number {
    if (this.queue === undefined) return this.firstArgument === undefined ? 0 : 1;
    return this.queue.length - this.head;
  }

  /** Queues a message from `caller` (`undefined`: from an ingress). */
  push(caller: Address | undefined, argument: TypedValue): void {
    if (this.queue !== undefined) {
      this.queue.push({ caller, argument });
    } else if (this.firstArgument === undefined) {
      this.firstArgument = argument;
      this.firstCaller = caller;
    } else {
      this.queue = [
        { caller: this.firstCaller, argument: this.firstArgument },
        { caller, argument },
      ];
      this.firstArgument = undefined;
      this.firstCaller = undefined;
    }
  }

  /**
   * Lets go of its address object, made at invocation, once the address went idle: a slot that
   * waited long in the backlog has been promoted to the old generation, and would keep it alive
   * through young collections until the next full one.
   */
  close(): void {
    this.madeAddress = undefined;
  }

  /** Removes and returns up to `max` messages from the front of the queue. */
  take(max: number): InvocationInput[] {
    const queue = this.queue;
    if (queue === undefined) {
      const argument = this.firstArgument;
      if (argument === undefined) return [];
      const caller = this.firstCaller;
      this.firstArgument = undefined;
      this.firstCaller = undefined;
      return [{ caller, argument }];
    }
    const available = queue.length - this.head;
    if (this.head === 0 && available <= max) {
      this.queue = undefined;
      return queue;
    }
    const n = Math.min(max, available);
    const batch = queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === queue.length) {
      this.queue = undefined;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** The queued messages, in order, without removing them. */
  peekAll(): InvocationInput[] {
    if (this.queue === undefined) {
      const argument = this.firstArgument;
      return argument === undefined ? [] : [{ caller: this.firstCaller, argument }];
    }
    return this.queue.slice(this.head);
  }
}
