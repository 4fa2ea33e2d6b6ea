/**
 * Background removal of expired values: each address with an expiring value is scheduled once,
 * at its earliest expiration, in a per-second bucket. A sweep visits only the buckets that came
 * due, so expired values are removed within about a second of a sweep without ever scanning all
 * state. A value whose expiration moved later (written again, or read with expire-after-invoke)
 * is simply rescheduled when its old bucket comes due.
 */

const BUCKET_MS = 1000;

/** What a sweep asks of the table that owns an address. */
export interface SweptTable {
  readonly typename: string;
  /**
   * Removes the address's values expired at `nowMs`; returns how many were removed and the
   * earliest expiration among those left (`Infinity` when none expires).
   */
  removeExpired(
    id: string,
    nowMs: number,
  ): { readonly removed: number; readonly nextExpiryMs: number };
}

interface Scheduled {
  readonly table: SweptTable;
  readonly id: string;
  atMs: number;
}

/** Schedules and performs the removal of expired values. */
export class ExpirySweeper {
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly buckets = new Map<number, Scheduled[]>();
  private sweptUpTo = -1;

  /** Notes that an address has a value expiring at `expiresAtMs`. */
  note(table: SweptTable, id: string, expiresAtMs: number): void {
    if (expiresAtMs === Infinity) return;
    const key = `${table.typename}\u0000${id}`;
    const known = this.scheduled.get(key);
    if (known !== undefined && known.atMs <= expiresAtMs) return;
    const entry: Scheduled = known ?? { table, id, atMs: expiresAtMs };
    entry.atMs = expiresAtMs;
    this.scheduled.set(key, entry);
    const bucket = Math.max(Math.floor(expiresAtMs / BUCKET_MS), this.sweptUpTo + 1);
    let list = this.buckets.get(bucket);
    if (list === undefined) {
      list = [];
      this.buckets.set(bucket, list);
    }
    list.push(entry);
  }

  /** Addresses scheduled for removal of expired values. */
  get size(): number {
    return this.scheduled.size;
  }

  /** Removes values expired at `nowMs`; returns how many were removed. */
  sweep(nowMs: number): number {
    const last = Math.floor(nowMs / BUCKET_MS) - 1;
    if (this.sweptUpTo < 0)
      this.sweptUpTo = Math.min(last, ...[...this.buckets.keys()].map((b) => b - 1));
    let removed = 0;
    for (let bucket = this.sweptUpTo + 1; bucket <= last; bucket++) {
      const list = this.buckets.get(bucket);
      this.sweptUpTo = bucket;
      if (list === undefined) continue;
      this.buckets.delete(bucket);
      for (const entry of list) {
        const key = `${entry.table.typename}\u0000${entry.id}`;
        if (this.scheduled.get(key) !== entry || Math.floor(entry.atMs / BUCKET_MS) > bucket)
          continue;
        this.scheduled.delete(key);
        const result = entry.table.removeExpired(entry.id, nowMs);
        removed += result.removed;
        this.note(entry.table, entry.id, result.nextExpiryMs);
      }
    }
    return removed;
  }

  /** Forgets everything (the state was cleared). */
  clear(): void {
    this.scheduled.clear();
    this.buckets.clear();
    this.sweptUpTo = -1;
  }
}
