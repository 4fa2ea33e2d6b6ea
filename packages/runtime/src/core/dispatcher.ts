/**
 * The dispatcher: per-address mailboxes, a ready queue, batch invocation, atomic application of
 * effects, retries with backoff, and backpressure toward ingress.
 *
 * Invariants (tests cite them by number):
 *  1. At most one batch per address is in flight at any time.
 *  2. An address's messages are invoked in the order they were enqueued; a failed batch is retried
 *     whole, before any message enqueued after it.
 *  3. An invocation's effects are all validated before any is applied, and applied in one
 *     synchronous step (messages, delayed messages, egress, state), so no observer — and no
 *     checkpoint — ever sees part of them.
 *  4. A failed batch changes nothing; it is retried with exponential backoff, the address's later
 *     messages wait behind it, and other addresses are not affected.
 *  5. Messages between functions are never refused or delayed by backpressure (cycles cannot
 *     deadlock); only ingress waits, when the global backlog or the target's backlog is full, or
 *     when `maxQueuedAddresses` addresses wait to run, the target is not one of them, and the
 *     ingress stream seldom repeats an address (a deeper queue would batch nothing: it would only
 *     hold each message longer, and its slot past young collections, and into checkpoints).
 *  6. Work is done in bounded slices: the dispatcher yields to the event loop after
 *     `batchesPerSlice` batches, so I/O is never starved.
 */
import type { Address, InvocationInput, StateSpec, TypedValue } from "@statefun-ts/protocol";
import { StatefunError, formatAddress, isStatefunError } from "@statefun-ts/protocol";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { StateBackend } from "../state/backend.js";
import type { AddressSlot } from "./address-slot.js";
import { FunctionTypeRuntime, SlotStatus } from "./address-slot.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { PendingDelayedMessage } from "./delayed-messages.js";
import { DelayedMessages } from "./delayed-messages.js";
import type { EgressRouter } from "./egress.js";
import type { EffectsEnvironment } from "./effects.js";
import { applyEffects, unwritableText, validateEffects } from "./effects.js";
import type { FunctionProvider, InvokeOutcome } from "./function-invoker.js";
import { RepeatRate } from "./repeat-rate.js";
import type { StateSchemaRegistry } from "./schema-registry.js";

/** Retry policy for failed batches. */
export interface RetryPolicy {
  /** Delay before the first retry, in ms. */
  readonly initialBackoffMs: number;
  /** Upper bound of the delay, in ms. */
  readonly maxBackoffMs: number;
  /** Factor between consecutive delays. */
  readonly multiplier: number;
}

/** Resolved options of a {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly provider: FunctionProvider;
  readonly backend: StateBackend;
  /** The persisted typenames of state, consulted when a remote function negotiates specs. */
  readonly schemas: StateSchemaRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly egress: EgressRouter;
  /** Most messages invoked in one batch. */
  readonly maxBatchSize: number;
  /** Queued messages (all addresses) at which ingress waits. */
  readonly maxBacklog: number;
  /**
   * Addresses waiting to run at which ingress waits before queueing for another address, while
   * ingress seldom repeats an address (invariant 5).
   */
  readonly maxQueuedAddresses: number;
  /** Batches in flight asynchronously (remote calls, async functions) at which no new batch starts. */
  readonly maxInflightInvocations: number;
  /** Batches run before yielding to the event loop. */
  readonly batchesPerSlice: number;
  readonly retry: RetryPolicy;
  /** Runs a callback after pending I/O (default `setImmediate`). */
  readonly defer: (callback: () => void) => void;
}

/** An address whose batch keeps failing, for logs and the admin API. */
export interface FailingAddress {
  readonly address: Address;
  readonly attempts: number;
  readonly failingSinceMs: number;
  readonly error: unknown;
  readonly queued: number;
}

interface CapacityWaiter {
  readonly fn: FunctionTypeRuntime;
  readonly id: string;
  readonly value: TypedValue;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** Runs in the same synchronous step as the enqueue (to record an idempotency key with it). */
  readonly onEnqueue: (() => void) | undefined;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === "function";
}

/** Routes messages to function instances and invokes them. */
export class Dispatcher implements EffectsEnvironment {
  readonly delayed: DelayedMessages;
  readonly egress: EgressRouter;
  private readonly options: DispatcherOptions;
  private readonly types = new Map<string, FunctionTypeRuntime>();
  private ready: AddressSlot[] = [];
  private readyHead = 0;
  private drainScheduled = false;
  private inflightAsync = 0;
  private queuedTotal = 0;
  private readonly waiters: CapacityWaiter[] = [];
  /** Whether the addresses ingress delivers to repeat (invariant 5). */
  private readonly ingressRepeats = new RepeatRate();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly failing = new Set<AddressSlot>();
  private readonly retryTimers = new Map<AddressSlot, TimerHandle>();
  private stopped = false;
  /** Time read once per slice: every batch of a slice sees the same "now". */
  private sliceNowMs = 0;
  private inSlice = false;
  private readonly drainBound = () => this.drain();

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.egress = options.egress;
    this.delayed = new DelayedMessages(options.clock, (pending) => this.deliverDelayed(pending));
  }

  now(): number {
    return this.inSlice ? this.sliceNowMs : this.options.clock.now();
  }

  /** Messages queued in mailboxes (not counting batches in flight). */
  get backlog(): number {
    return this.queuedTotal;
  }

  /** Addresses with messages waiting to run (not counting batches in flight). */
  get queuedAddresses(): number {
    return this.ready.length - this.readyHead;
  }

  /** Batches in flight asynchronously. */
  get inflight(): number {
    return this.inflightAsync;
  }

  /** The runtime of a function type, resolving its invoker on first use. */
  functionType(typename: string): FunctionTypeRuntime | undefined {
    const known = this.types.get(typename);
    if (known !== undefined) return known;
    // Unknown names are not remembered: ingress requests may name anything.
    const invoker = this.options.provider.resolve(typename);
    if (invoker === undefined) return undefined;
    const fn = new FunctionTypeRuntime(typename, invoker, this.options.backend.table(typename));
    this.types.set(typename, fn);
    return fn;
  }

  /** Function types seen so far. */
  functionTypes(): FunctionTypeRuntime[] {
    return [...this.types.values()];
  }

  /**
   * Submits a message from an ingress. Resolves once the message is in the target's mailbox;
   * waits while the backlog is full (invariant 5). `onEnqueue` runs in the same synchronous step
   * as the enqueue.
   *
   * @throws StatefunError `unknown-function-type` when no function of the target's type exists;
   *   `invalid-argument` when the target id or the value's typename has a lone surrogate (no
   *   checkpoint could hold it); `shutdown` when the dispatcher is stopping.
   */
  submit(target: Address, value: TypedValue, onEnqueue?: () => void): Promise<void> {
    if (this.stopped) return Promise.reject(this.shutdownError());
    const fn = this.functionType(target.typename);
    if (fn === undefined) return Promise.reject(unknownType(target.typename));
    const problem = unwritableText(target.id, value.typename);
    if (problem !== undefined) return Promise.reject(unwritable(target, problem));
    if (this.waiters.length === 0 && this.hasCapacity(fn, target.id)) {
      onEnqueue?.();
      this.deliverIngress(fn, target.id, value);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ fn, id: target.id, value, resolve, reject, onEnqueue });
      // Waiters for other addresses may be blocked by their own backlog; this one may have room.
      this.releaseWaiters();
    });
  }

  /**
   * Submits a message from an ingress if there is room now.
   *
   * @returns false when the backlog is full (nothing was enqueued).
   */
  offer(target: Address, value: TypedValue): boolean {
    if (this.stopped) throw this.shutdownError();
    const fn = this.functionType(target.typename);
    if (fn === undefined) throw unknownType(target.typename);
    const problem = unwritableText(target.id, value.typename);
    if (problem !== undefined) throw unwritable(target, problem);
    if (this.waiters.length > 0 || !this.hasCapacity(fn, target.id)) return false;
    this.deliverIngress(fn, target.id, value);
    return true;
  }

  /** Enqueues a message from an ingress, counting its address for invariant 5. */
  private deliverIngress(fn: FunctionTypeRuntime, id: string, value: TypedValue): void {
    this.ingressRepeats.observe(this.deliver(fn, id, undefined, value).hash);
  }

  /** Enqueues a message for an address (no capacity check: invariant 5); returns its slot. */
  deliver(
    fn: FunctionTypeRuntime,
    id: string,
    caller: Address | undefined,
    value: TypedValue,
  ): AddressSlot {
    const slot = fn.openSlot(id, this.options.backend.maxKeyGroups);
    slot.push(caller, value);
    this.queuedTotal++;
    fn.counters.in++;
    if (slot.status === SlotStatus.IDLE) this.makeReady(slot);
    return slot;
  }

  /** Resolves when nothing is ready or in flight (slots waiting to retry do not count). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Addresses whose current batch has failed at least once. */
  failures(): FailingAddress[] {
    return [...this.failing].map((slot) => ({
      address: slot.address,
      attempts: slot.attempts,
      failingSinceMs: slot.failingSinceMs,
      error: slot.lastError,
      queued: slot.queued,
    }));
  }

  /** Stops starting batches and firing timers; rejects waiting ingress submissions. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.delayed.stop();
    for (const timer of this.retryTimers.values()) timer.cancel();
    this.retryTimers.clear();
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.shutdownError());
    this.notifyIdle();
  }

  private shutdownError(): StatefunError {
    return new StatefunError("shutdown", "the runtime is shutting down");
  }

  private hasCapacity(fn: FunctionTypeRuntime, id: string): boolean {
    if (this.queuedTotal >= this.options.maxBacklog) return false;
    const perAddress = fn.invoker.maxBacklogPerAddress;
    // Only another address's slot would make the queue longer (invariant 5).
    const crowded =
      !this.ingressRepeats.repeating && this.queuedAddresses >= this.options.maxQueuedAddresses;
    if (perAddress <= 0 && !crowded) return true;
    const slot = fn.slotOf(id);
    if (slot === undefined) return !crowded;
    return perAddress <= 0 || slot.queued < perAddress;
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    let i = 0;
    while (i < waiters.length) {
      const waiter = waiters[i] as CapacityWaiter;
      if (this.queuedTotal >= this.options.maxBacklog) break;
      if (this.hasCapacity(waiter.fn, waiter.id)) {
        waiters.splice(i, 1);
        waiter.onEnqueue?.();
        this.deliverIngress(waiter.fn, waiter.id, waiter.value);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }

  private deliverDelayed(pending: PendingDelayedMessage): void {
    const fn = this.functionType(pending.message.target.typename);
    if (fn === undefined) {
      // Validated when scheduled; the function type can only have vanished after a restore.
      this.options.logger.error(
        { target: formatAddress(pending.message.target), sender: formatAddress(pending.sender) },
        "delayed message for an unknown function type kept pending",
      );
      return;
    }
    this.deliver(fn, pending.message.target.id, pending.sender, pending.message.value);
  }

  private makeReady(slot: AddressSlot): void {
    slot.status = SlotStatus.READY;
    this.ready.push(slot);
    if (!this.drainScheduled && !this.stopped) {
      this.drainScheduled = true;
      this.options.defer(this.drainBound);
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    const limit = this.options.batchesPerSlice;
    let runs = 0;
    this.sliceNowMs = this.options.clock.now();
    this.inSlice = true;
    while (
      !this.stopped &&
      this.readyHead < this.ready.length &&
      this.inflightAsync < this.options.maxInflightInvocations
    ) {
      const slot = this.ready[this.readyHead] as AddressSlot;
      this.ready[this.readyHead++] = undefined as unknown as AddressSlot;
      this.run(slot);
      if (++runs >= limit) break;
    }
    this.inSlice = false;
    if (this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    } else if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    if (this.waiters.length > 0) this.releaseWaiters();
    const more = this.readyHead < this.ready.length;
    // A slot made ready during the slice may have scheduled the next drain already: one is enough
    // (a second per slice would double the drains queued per event-loop turn, and the turns would
    // grow long enough to starve timers and I/O).
    if (
      more &&
      !this.drainScheduled &&
      !this.stopped &&
      this.inflightAsync < this.options.maxInflightInvocations
    ) {
      this.drainScheduled = true;
      this.options.defer(this.drainBound);
    }
    this.notifyIdle();
  }

  private run(slot: AddressSlot): void {
    const fn = slot.fn;
    let batch = slot.inflight;
    if (batch === undefined) {
      batch = slot.take(this.options.maxBatchSize);
      this.queuedTotal -= batch.length;
      slot.inflight = batch;
    }
    if (!fn.negotiated) {
      if (fn.probe !== undefined && fn.probe !== slot) {
        slot.status = SlotStatus.PARKED;
        fn.parked.push(slot);
        return;
      }
      fn.probe = slot;
    }
    slot.status = SlotStatus.RUNNING;
    slot.specsSent = fn.specs.length;
    let outcome: InvokeOutcome | Promise<InvokeOutcome>;
    try {
      const state = fn.table.read(slot.id, slot.keyGroup, fn.specs, this.now());
      outcome = fn.invoker.invoke(slot.address, fn.specs, state, batch);
    } catch (error) {
      this.failed(slot, error);
      return;
    }
    if (!isPromise(outcome)) {
      this.completed(slot, outcome);
      return;
    }
    this.inflightAsync++;
    fn.counters.inflight++;
    outcome.then(
      (result) => this.settled(slot, result, undefined),
      (error: unknown) => this.settled(slot, undefined, error),
    );
  }

  private settled(slot: AddressSlot, outcome: InvokeOutcome | undefined, error: unknown): void {
    this.inflightAsync--;
    slot.fn.counters.inflight--;
    if (this.stopped) {
      this.notifyIdle();
      return;
    }
    if (outcome === undefined) this.failed(slot, error);
    else this.completed(slot, outcome);
    if (!this.drainScheduled && this.readyHead < this.ready.length) {
      this.drainScheduled = true;
      this.options.defer(this.drainBound);
    }
    if (this.waiters.length > 0) this.releaseWaiters();
    this.notifyIdle();
  }

  private completed(slot: AddressSlot, outcome: InvokeOutcome): void {
    if (outcome.kind === "incomplete") {
      const problem = this.registerSpecs(slot, outcome.missing);
      if (problem !== undefined) {
        this.failed(slot, problem);
        return;
      }
      this.makeReady(slot);
      return;
    }
    const writes = validateEffects(this, slot, outcome.effects);
    if (writes instanceof StatefunError) {
      this.failed(slot, writes);
      return;
    }
    applyEffects(this, slot, outcome.effects, writes);
    slot.fn.counters.invocations++;
    if (!slot.fn.negotiated) {
      slot.fn.negotiated = true;
      slot.fn.probe = undefined;
      for (const parked of slot.fn.parked.splice(0)) this.makeReady(parked);
    }
    slot.inflight = undefined;
    if (slot.attempts > 0) {
      this.options.logger.info(
        { address: formatAddress(slot.address), attempts: slot.attempts },
        "invocation succeeded after retries",
      );
      slot.attempts = 0;
      slot.lastError = undefined;
      this.failing.delete(slot);
    }
    if (slot.queued > 0) {
      this.makeReady(slot);
    } else {
      slot.status = SlotStatus.IDLE;
      slot.fn.closeSlot(slot);
    }
  }

  /**
   * Registers the specs a function reported missing (reference §1.6). A spec registered since the
   * request was built (by a concurrent request) is fine; one the request carried is a protocol
   * violation, as is a known name with another typename — known in memory, or recorded in the
   * persisted state schema registry (also after a restart). Registers all or none.
   */
  private registerSpecs(
    slot: AddressSlot,
    missing: readonly StateSpec[],
  ): StatefunError | undefined {
    const fn = slot.fn;
    const added: StateSpec[] = [];
    for (const spec of missing) {
      const index = fn.specs.findIndex((known) => known.name === spec.name);
      const known = fn.specs[index] ?? added.find((other) => other.name === spec.name);
      if (known === undefined) {
        const refused = this.options.schemas.checkNegotiated(fn.typename, spec);
        if (refused !== undefined) return refused;
        added.push(spec);
      } else if (known.typename !== spec.typename) {
        return new StatefunError(
          "invalid-effect",
          `${fn.typename} declares state ${JSON.stringify(spec.name)} with type ${spec.typename}, but it is registered with type ${known.typename}`,
        );
      } else if (index >= 0 && index < slot.specsSent) {
        return new StatefunError(
          "invalid-effect",
          `${fn.typename} reported state ${JSON.stringify(spec.name)} missing although the request carried it`,
        );
      }
    }
    for (const spec of added) fn.register(spec);
    this.options.schemas.recordNegotiated(fn.typename, added);
    if (added.length > 0) {
      this.options.logger.info(
        { functionType: fn.typename, states: added.map((s) => `${s.name}:${s.typename}`) },
        "registered state specs",
      );
    }
    return undefined;
  }

  private failed(slot: AddressSlot, error: unknown): void {
    const { retry, clock, logger } = this.options;
    const cause = isStatefunError(error)
      ? error
      : new StatefunError("function-failed", `${slot.fn.typename} threw`, { cause: error });
    slot.attempts++;
    slot.fn.counters.failures++;
    if (slot.attempts === 1) slot.failingSinceMs = clock.now();
    slot.lastError = cause;
    this.failing.add(slot);
    const delayMs = Math.min(
      retry.maxBackoffMs,
      retry.initialBackoffMs * Math.pow(retry.multiplier, slot.attempts - 1),
    );
    const fields: Record<string, unknown> = {
      address: formatAddress(slot.address),
      functionType: slot.fn.typename,
      invoker: slot.fn.invoker.describe(),
      attempt: slot.attempts,
      batchSize: slot.inflight?.length ?? 0,
      retryInMs: delayMs,
      ...errorFields(cause),
    };
    if (slot.attempts === 1 && cause.cause instanceof Error) fields.stack = cause.cause.stack;
    logger.warn(fields, "invocation failed; state and messages untouched, retrying");
    slot.status = SlotStatus.RETRY_WAIT;
    const fn = slot.fn;
    if (fn.probe === slot) {
      // Let another address probe, so that one poisoned address cannot block its whole type.
      fn.probe = undefined;
      const next = fn.parked.shift();
      if (next !== undefined) this.makeReady(next);
    }
    this.retryTimers.set(
      slot,
      clock.setTimer(delayMs, () => {
        this.retryTimers.delete(slot);
        if (!this.stopped) this.makeReady(slot);
      }),
    );
  }

  private isIdle(): boolean {
    return this.stopped || (this.readyHead >= this.ready.length && this.inflightAsync === 0);
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Puts messages restored from a checkpoint into an address's mailbox, in order, as if they had
   * just arrived (no capacity check).
   */
  restoreMessages(target: Address, messages: readonly InvocationInput[]): void {
    const fn = this.functionType(target.typename);
    if (fn === undefined) throw unknownType(target.typename);
    for (const message of messages) this.deliver(fn, target.id, message.caller, message.argument);
  }

  /** Every message not yet applied, per address, in delivery order (in-flight batch first). */
  pendingMessages(): { address: Address; keyGroup: number; messages: InvocationInput[] }[] {
    const result: { address: Address; keyGroup: number; messages: InvocationInput[] }[] = [];
    for (const fn of this.functionTypes()) {
      fn.forEachSlot((slot) => {
        const messages =
          slot.inflight === undefined ? slot.peekAll() : [...slot.inflight, ...slot.peekAll()];
        if (messages.length > 0)
          result.push({ address: slot.address, keyGroup: slot.keyGroup, messages });
      });
    }
    return result;
  }
}

/** A message from outside that no checkpoint could hold. */
function unwritable(target: Address, problem: string): StatefunError {
  return new StatefunError("invalid-argument", `message to ${formatAddress(target)}: ${problem}`);
}

function unknownType(typename: string): StatefunError {
  return new StatefunError("unknown-function-type", `no function is bound to type ${typename}`, {
    details: { functionType: typename },
  });
}
