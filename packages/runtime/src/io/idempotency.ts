/**
 * Idempotent ingress: a message submitted with an idempotency key (the `Idempotency-Key` HTTP
 * header) is applied at most once per key within a window, also across crashes. Keys are ordinary
 * expiring state of a system table — recorded in the same synchronous step as the message is
 * enqueued, so a checkpoint holds both or neither — and so they are checkpointed incrementally,
 * restored with everything else, and removed by the expiry sweep when their window ends.
 */
import type { StateSpec } from "@statefun-ts/protocol";
import { StatefunError, TypedValue, longType } from "@statefun-ts/protocol";
import type { Clock } from "../core/clock.js";
import { keyGroupOf } from "../core/key-group.js";
import type { StateBackend, StateTable } from "../state/backend.js";

/** The system table holding idempotency keys; not a function type, so no message can reach it. */
export const IDEMPOTENCY_TABLE = "statefun-ts.system/ingress-idempotency-keys";

/** What became of a submission. */
export type SubmissionOutcome = "applied" | "duplicate";

/** Applies each keyed submission once. */
export class IdempotencyGuard {
  private readonly table: StateTable;
  private readonly spec: StateSpec;
  private readonly maxKeyGroups: number;
  private readonly clock: Clock;
  /** Submissions whose key is recorded but not yet acknowledged. */
  private readonly inflight = new Map<string, Promise<void>>();

  /** @param windowMs - how long a key is remembered after its message was accepted, in ms. */
  constructor(backend: StateBackend, windowMs: number, clock: Clock) {
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new StatefunError(
        "invalid-config",
        `the idempotency window must be a positive number of ms, found ${windowMs}`,
      );
    }
    this.table = backend.table(IDEMPOTENCY_TABLE);
    this.maxKeyGroups = backend.maxKeyGroups;
    this.clock = clock;
    this.spec = {
      name: "accepted_at_ms",
      typename: longType.typename,
      expiration: { mode: "after-write", afterMs: windowMs },
    };
  }

  /**
   * Submits once per key.
   *
   * @param enqueue - enqueues the message; must call its argument in the same synchronous step as
   *   the enqueue.
   * @param whenDurable - resolves once what is enqueued now is durable.
   */
  async submit(
    ingress: string,
    key: string,
    enqueue: (record: () => void) => Promise<void>,
    whenDurable: () => Promise<void>,
  ): Promise<SubmissionOutcome> {
    if (key === "" || key.length > 256) {
      throw new StatefunError(
        "invalid-argument",
        "an idempotency key must have 1 to 256 characters",
      );
    }
    const id = `${ingress}\u0000${key}`;
    const keyGroup = keyGroupOf(id, this.maxKeyGroups);
    const pending = this.inflight.get(id);
    if (pending !== undefined) {
      await pending;
      return "duplicate";
    }
    const known = this.table.read(id, keyGroup, [this.spec], this.clock.now())[0];
    if (known !== undefined) {
      // The record may be newer than the last checkpoint: acknowledge once it is durable.
      await whenDurable();
      return "duplicate";
    }
    const submission = (async () => {
      await enqueue(() => {
        const now = this.clock.now();
        this.table.write(
          id,
          keyGroup,
          [{ spec: this.spec, value: TypedValue.of(longType, BigInt(now)) }],
          now,
        );
      });
      await whenDurable();
    })();
    this.inflight.set(id, submission);
    try {
      await submission;
    } finally {
      this.inflight.delete(id);
    }
    return "applied";
  }
}
