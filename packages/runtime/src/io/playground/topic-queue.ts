/**
 * One playground egress topic: a queue of numbered records, the records handed to readers whose
 * answers are still being written, and the long-poll consumers waiting for the next record. Pure
 * data structure, no sockets and no timers.
 *
 * Invariants:
 *  1. Every record gets the topic's next sequence number when offered (1, 2, 3, …); numbers are
 *     never reused, also across a snapshot and its restore.
 *  2. `items[head..]` (the queue) is sorted by sequence number, and records leave it oldest first.
 *  3. A record is in exactly one place: the queue, or handed out (taken, not yet settled).
 *     Settling it delivered forgets it; settling it undelivered puts it back in sequence order.
 *  4. Consumers are waiting only while the queue is empty: a record offered or put back goes to
 *     the oldest waiting consumer that can still take it, and a consumer waits only after `take`
 *     found nothing.
 *  5. A snapshot holds the next sequence number and every record not delivered yet (handed out
 *     and queued), sorted by sequence number.
 */

/** A record of a topic with its sequence number. */
export interface TopicRecord {
  /** Position in the topic, from 1; stable across checkpoints and restores. */
  readonly seq: number;
  readonly payload: string;
}

/** The state of a topic in a checkpoint: see invariant 5. */
export interface TopicSnapshot {
  readonly next: number;
  readonly records: readonly TopicRecord[];
}

/**
 * A consumer waiting for a record. Returns false when it can no longer take one (its client went
 * away); the record then goes to the next consumer or back into the queue. A consumer that
 * returns true owns the record until it settles it.
 */
export type TopicWaiter = (record: TopicRecord) => boolean;

// Compact the backing array once this many taken slots sit before `head` and they are at least
// half of it, so taking stays O(1) amortized without the array growing forever.
const COMPACT_AFTER = 1024;

/** The records of one topic, oldest first, and the consumers waiting for the next one. */
export class TopicQueue {
  /** The topic name. */
  readonly topic: string;
  private items: TopicRecord[] = [];
  private head = 0;
  private readonly handedOut = new Map<number, TopicRecord>();
  private nextSeq = 1;
  private readonly waiters = new Set<TopicWaiter>();

  constructor(topic: string) {
    this.topic = topic;
  }

  /** Records not delivered yet: queued plus handed out. */
  get size(): number {
    return this.queued + this.handedOut.size;
  }

  /** Records queued. */
  get queued(): number {
    return this.items.length - this.head;
  }

  /** Consumers waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Numbers `payload` and hands it to the oldest waiting consumer that takes it, else queues it. */
  offer(payload: string): TopicRecord {
    const record = { seq: this.nextSeq++, payload };
    if (!this.handToWaiter(record)) this.items.push(record);
    return record;
  }

  /** Hands out the oldest queued record, or returns `undefined` when the queue is empty. */
  take(): TopicRecord | undefined {
    if (this.head >= this.items.length) return undefined;
    const record = this.items[this.head] as TopicRecord;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.handedOut.set(record.seq, record);
    return record;
  }

  /**
   * Ends a hand-out: a `delivered` record is forgotten; otherwise (its reader went away before
   * the answer was written) it goes to a waiting consumer or back into the queue in sequence
   * order. Settling a record twice, or one not handed out, does nothing.
   */
  settle(record: TopicRecord, delivered: boolean): void {
    if (!this.handedOut.delete(record.seq) || delivered) return;
    if (this.handToWaiter(record)) return;
    let index = this.items.length;
    while (index > this.head && (this.items[index - 1] as TopicRecord).seq > record.seq) index--;
    if (index === this.head && this.head > 0) this.items[--this.head] = record;
    else this.items.splice(index, 0, record);
  }

  /** The next sequence number and every record not delivered yet, by sequence (copies). */
  snapshot(): TopicSnapshot {
    const queued = this.items.slice(this.head);
    if (this.handedOut.size === 0) return { next: this.nextSeq, records: queued };
    const out = [...this.handedOut.values()].sort((a, b) => a.seq - b.seq);
    const records: TopicRecord[] = [];
    let q = 0;
    for (const record of out) {
      while (q < queued.length && (queued[q] as TopicRecord).seq < record.seq) {
        records.push(queued[q++] as TopicRecord);
      }
      records.push(record);
    }
    while (q < queued.length) records.push(queued[q++] as TopicRecord);
    return { next: this.nextSeq, records };
  }

  /**
   * Replaces the topic's records and next sequence number (restoring a checkpoint); records
   * handed out before are forgotten.
   *
   * @throws RangeError when the records are not sorted by sequence number below `next`.
   */
  restore(snapshot: TopicSnapshot): void {
    let previous = 0;
    for (const record of snapshot.records) {
      if (!(Number.isSafeInteger(record.seq) && record.seq > previous)) {
        throw new RangeError(
          `topic ${JSON.stringify(this.topic)}: expected increasing sequence numbers, found ${record.seq} after ${previous}`,
        );
      }
      previous = record.seq;
    }
    if (!(Number.isSafeInteger(snapshot.next) && snapshot.next > previous)) {
      throw new RangeError(
        `topic ${JSON.stringify(this.topic)}: expected the next sequence number above ${previous}, found ${snapshot.next}`,
      );
    }
    this.items = [...snapshot.records];
    this.head = 0;
    this.handedOut.clear();
    this.nextSeq = snapshot.next;
  }

  /**
   * Registers a consumer for the next record (call only after {@link take} returned
   * `undefined`). Returns the function that withdraws it; withdrawing twice is harmless.
   */
  wait(waiter: TopicWaiter): () => void {
    this.waiters.add(waiter);
    return () => {
      this.waiters.delete(waiter);
    };
  }

  private handToWaiter(record: TopicRecord): boolean {
    for (const waiter of this.waiters) {
      this.waiters.delete(waiter);
      this.handedOut.set(record.seq, record);
      if (waiter(record)) return true;
      this.handedOut.delete(record.seq);
    }
    return false;
  }
}
