/**
 * Egress routing: records that functions emit go to the sink whose id they name. Sinks validate
 * records before an invocation's effects are applied, so that a record a sink cannot take fails
 * the invocation instead of being lost.
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

/** The egress sinks of a runtime, by id. */
export class EgressRouter {
  private readonly sinks = new Map<string, EgressSink>();

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

  /** Emits a validated record to the sink of `id`. */
  emit(id: string, value: TypedValue): void {
    this.sinks.get(id)?.publish([value]);
  }
}
