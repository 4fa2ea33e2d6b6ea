/**
 * Egress routing: records that functions emit go to the sink whose id they name. Sinks validate
 * records before an invocation's effects are applied, so that a record a sink cannot take fails
 * the invocation instead of being lost.
 *
 * With exactly-once checkpointing, records are held and released only once the checkpoint of the
 * epoch that produced them completes (DESIGN decision 4): a crash before that rolls the records
 * back together with the state changes that produced them.
 */
import type { TypedValue } from "@statefun-ts/protocol";

/** Where records of one egress id go. */
export interface EgressSink {
  /** The egress id (`<namespace>/<name>`). */
  readonly id: string;
  /** Why the sink cannot take a record with this payload, or `undefined` when it can. */
  validate(value: TypedValue): string | undefined;
  /** Hands records over, in emission order. Records were validated with {@link validate}. */
  publish(records: readonly TypedValue[]): void;
}

/** A record waiting for its checkpoint. */
export interface HeldRecord {
  /** The checkpoint (epoch) whose completion releases the record. */
  readonly epoch: number;
  readonly egress: string;
  readonly value: TypedValue;
}

/** The egress sinks of a runtime, by id. */
export class EgressRouter {
  private readonly sinks = new Map<string, EgressSink>();
  private held: HeldRecord[] = [];
  private holding = false;
  private epoch = 1;

  /** Registers a sink; ids are unique. */
  register(sink: EgressSink): void {
    if (this.sinks.has(sink.id)) throw new Error(`egress ${sink.id} is registered twice`);
    this.sinks.set(sink.id, sink);
  }

  /** The sink of an id. */
  get(id: string): EgressSink | undefined {
    return this.sinks.get(id);
  }

  /** The ids of all sinks. */
  ids(): string[] {
    return [...this.sinks.keys()];
  }

  /** Holds records until {@link release} from now on (exactly-once checkpointing). */
  holdUntilCheckpoint(): void {
    this.holding = true;
  }

  /** Sets the epoch that records emitted from now on belong to (the next checkpoint's id). */
  beginEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Emits a validated record to the sink of `id`, or holds it. */
  emit(id: string, value: TypedValue): void {
    if (this.holding) this.held.push({ epoch: this.epoch, egress: id, value });
    else this.sinks.get(id)?.publish([value]);
  }

  /** Records held now (for a checkpoint's cut), in emission order. */
  unreleased(): readonly HeldRecord[] {
    return this.held.slice();
  }

  /** Releases, in emission order, every held record of an epoch up to `epoch`. */
  release(epoch: number): void {
    let count = 0;
    while (count < this.held.length && (this.held[count] as HeldRecord).epoch <= epoch) count++;
    if (count === 0) return;
    const released = this.held.slice(0, count);
    this.held = this.held.slice(count);
    this.publishInOrder(released);
  }

  /** Releases records restored from a completed checkpoint. */
  releaseRestored(
    records: readonly { readonly egress: string; readonly value: TypedValue }[],
  ): void {
    this.publishInOrder(records);
  }

  private publishInOrder(
    records: readonly { readonly egress: string; readonly value: TypedValue }[],
  ): void {
    // Consecutive records of one sink go in one call; order across sinks is kept.
    let start = 0;
    while (start < records.length) {
      const egress = (records[start] as HeldRecord).egress;
      let end = start + 1;
      while (end < records.length && (records[end] as HeldRecord).egress === egress) end++;
      this.sinks.get(egress)?.publish(records.slice(start, end).map((r) => r.value));
      start = end;
    }
  }
}
