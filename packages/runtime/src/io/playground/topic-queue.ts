/**
 * One playground egress topic: a FIFO queue of payloads plus the long-poll consumers waiting for
 * the next one. Pure data structure, no sockets and no timers.
 *
 * Invariants:
 *  1. Payloads leave in the order they were offered (FIFO), each exactly once.
 *  2. Consumers are waiting only while the queue is empty: `offer` hands a payload to the oldest
 *     waiting consumer that can still take it, and a consumer waits only after `take` found
 *     nothing.
 *  3. The queue's contents are `items[head..]`; a snapshot is a copy of that slice.
 */

/**
 * A consumer waiting for a payload. Returns false when it can no longer take one (its client went
 * away); the payload then goes to the next consumer or into the queue.
 */
export type TopicWaiter = (payload: string) => boolean;

// Compact the backing array once this many taken slots sit before `head` and they are at least
// half of it, so taking stays O(1) amortized without the array growing forever.
const COMPACT_AFTER = 1024;

/** The payloads of one topic, oldest first, and the consumers waiting for the next one. */
export class TopicQueue {
  /** The topic name. */
  readonly topic: string;
  private items: string[] = [];
  private head = 0;
  private readonly waiters = new Set<TopicWaiter>();

  constructor(topic: string) {
    this.topic = topic;
  }

  /** Payloads queued. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Consumers waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Hands `payload` to the oldest waiting consumer that takes it, else appends it. */
  offer(payload: string): void {
    for (const waiter of this.waiters) {
      this.waiters.delete(waiter);
      if (waiter(payload)) return;
    }
    this.items.push(payload);
  }

  /** Removes and returns the oldest payload, or `undefined` when the queue is empty. */
  take(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const payload = this.items[this.head] as string;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return payload;
  }

  /** Puts a payload back in front (its reader went away before it could be handed over). */
  putBack(payload: string): void {
    for (const waiter of this.waiters) {
      this.waiters.delete(waiter);
      if (waiter(payload)) return;
    }
    if (this.head > 0) this.items[--this.head] = payload;
    else this.items.unshift(payload);
  }

  /** The queued payloads, oldest first (a copy). */
  snapshot(): string[] {
    return this.items.slice(this.head);
  }

  /** Replaces the queued payloads (restoring a checkpoint). */
  restore(payloads: readonly string[]): void {
    this.items = [...payloads];
    this.head = 0;
  }

  /**
   * Registers a consumer for the next payload (call only after {@link take} returned
   * `undefined`). Returns the function that withdraws it; withdrawing twice is harmless.
   */
  wait(waiter: TopicWaiter): () => void {
    this.waiters.add(waiter);
    return () => {
      this.waiters.delete(waiter);
    };
  }
}
