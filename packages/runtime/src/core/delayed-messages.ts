/**
 * Delayed messages (reference §1.8): messages delivered after a delay of processing time,
 * optionally cancellable by a token scoped to the sending address. Pending messages are ordered by
 * due time, then by scheduling order; one clock timer is armed for the earliest.
 */
import type { Address, OutgoingMessage } from "@statefun-ts/protocol";
import type { Clock, TimerHandle } from "./clock.js";

/** A pending delayed message. */
export interface PendingDelayedMessage {
  /** Scheduling order, unique per service; breaks ties between equal due times. */
  readonly seq: number;
  /** When to deliver, in milliseconds since the epoch. */
  readonly dueMs: number;
  /** The address that scheduled the message (the caller of the delivered message). */
  readonly sender: Address;
  /** Key group of the sender, which owns the pending message. */
  readonly senderKeyGroup: number;
  /** Cancellation token in the sender's scope, if any. */
  readonly cancellationToken: string | undefined;
  readonly message: OutgoingMessage;
}

interface Entry extends PendingDelayedMessage {
  cancelled: boolean;
}

function before(a: Entry, b: Entry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

function tokenKey(sender: Address, token: string): string {
  return `${sender.typename}\u0000${sender.id}\u0000${token}`;
}

/** The pending delayed messages of a runtime. */
export class DelayedMessages {
  private readonly clock: Clock;
  private readonly deliver: (pending: PendingDelayedMessage) => void;
  private readonly heap: Entry[] = [];
  private readonly byToken = new Map<string, Entry>();
  private cancelledInHeap = 0;
  private nextSeq = 0;
  private timer: TimerHandle | undefined;
  private timerDueMs = Infinity;
  private stopped = false;

  /** @param deliver - called once per message when it is due, in due order. */
  constructor(clock: Clock, deliver: (pending: PendingDelayedMessage) => void) {
    this.clock = clock;
    this.deliver = deliver;
  }

  /** Number of pending (not cancelled, not delivered) messages. */
  get size(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** True when `sender` has a pending message with `token`. */
  hasToken(sender: Address, token: string): boolean {
    return this.byToken.has(tokenKey(sender, token));
  }

  /** Schedules a message; the caller has checked that the token, if any, is not pending. */
  schedule(
    sender: Address,
    senderKeyGroup: number,
    delayMs: number,
    message: OutgoingMessage,
    cancellationToken: string | undefined,
  ): void {
    this.add({
      seq: this.nextSeq++,
      dueMs: this.clock.now() + delayMs,
      sender,
      senderKeyGroup,
      cancellationToken,
      message,
    });
  }

  /** Re-adds a message from a snapshot, keeping its due time (overdue messages fire at once). */
  restore(pending: Omit<PendingDelayedMessage, "seq">): void {
    this.add({ ...pending, seq: this.nextSeq++ });
  }

  /** Cancels the pending message of `sender` with `token`; no-op when there is none. */
  cancel(sender: Address, token: string): void {
    const key = tokenKey(sender, token);
    const entry = this.byToken.get(key);
    if (entry === undefined) return;
    this.byToken.delete(key);
    entry.cancelled = true;
    this.cancelledInHeap++;
    if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
    if (this.size === 0) this.disarm();
  }

  /** Every pending message, unordered: a cheap copy for a checkpoint's cut. */
  snapshot(): PendingDelayedMessage[] {
    const live: PendingDelayedMessage[] = [];
    for (const entry of this.heap) if (!entry.cancelled) live.push(entry);
    return live;
  }

  /** Every pending message, in delivery order. */
  pending(): PendingDelayedMessage[] {
    return this.heap
      .filter((entry) => !entry.cancelled)
      .sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq)
      .map(({ cancelled: _cancelled, ...pending }) => pending);
  }

  /** Stops firing; pending messages stay pending. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private add(fields: PendingDelayedMessage): void {
    const entry: Entry = { ...fields, cancelled: false };
    if (entry.cancellationToken !== undefined) {
      this.byToken.set(tokenKey(entry.sender, entry.cancellationToken), entry);
    }
    this.push(entry);
    this.arm();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDueMs = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.dueMs > now || this.stopped) break;
      this.pop();
      if (top.cancelled) {
        this.cancelledInHeap--;
        continue;
      }
      if (top.cancellationToken !== undefined) {
        this.byToken.delete(tokenKey(top.sender, top.cancellationToken));
      }
      const { cancelled: _cancelled, ...pending } = top;
      this.deliver(pending);
    }
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    while (this.heap[0]?.cancelled === true) {
      this.pop();
      this.cancelledInHeap--;
    }
    const top = this.heap[0];
    if (top === undefined) {
      this.disarm();
      return;
    }
    if (this.timer !== undefined && this.timerDueMs <= top.dueMs) return;
    this.disarm();
    this.timerDueMs = top.dueMs;
    this.timer = this.clock.setTimer(top.dueMs - this.clock.now(), () => this.fire());
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDueMs = Infinity;
  }

  private compact(): void {
    const live = this.heap.filter((entry) => !entry.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const entry of live) this.push(entry);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r] as Entry, heap[l] as Entry)) c = r;
      if (!before(heap[c] as Entry, last)) break;
      heap[i] = heap[c] as Entry;
      i = c;
    }
    heap[i] = last;
  }
}
