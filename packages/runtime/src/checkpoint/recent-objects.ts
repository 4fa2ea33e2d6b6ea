/**
 * Copies of the objects an object log wrote last, up to a byte budget, the oldest dropped first:
 * the files an incremental merge reads back are mostly ones written moments before, and are then
 * read from here instead of from their segment.
 */

/** Bytes of recently written objects kept in memory for reads. */
const RECENT_BYTES = 8 * 1024 * 1024;
/** Objects larger than this are not kept. */
const RECENT_OBJECT_BYTES = 1024 * 1024;

/** Recently written objects by name, each with the append sequence number of its version. */
export class RecentObjects {
  private readonly kept = new Map<string, { readonly seq: number; readonly bytes: Uint8Array }>();
  private bytes = 0;

  /** Keeps a copy of version `seq` of `name`, made of `body` (unless it is too large). */
  keep(name: string, seq: number, body: readonly Uint8Array[], bodyBytes: number): void {
    if (bodyBytes > RECENT_OBJECT_BYTES) return;
    const bytes = new Uint8Array(bodyBytes);
    let at = 0;
    for (const chunk of body) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.forget(name);
    this.kept.set(name, { seq, bytes });
    this.bytes += bytes.length;
    for (const [oldest, kept] of this.kept) {
      if (this.bytes <= RECENT_BYTES) break;
      this.kept.delete(oldest);
      this.bytes -= kept.bytes.length;
    }
  }

  /** A copy of `length` bytes from `offset` of version `seq` of `name`, if kept. */
  read(name: string, seq: number, offset: number, length: number): Uint8Array | undefined {
    const kept = this.kept.get(name);
    return kept === undefined || kept.seq !== seq
      ? undefined
      : kept.bytes.slice(offset, offset + length);
  }

  /** Drops the copy of `name`, if any. */
  forget(name: string): void {
    const kept = this.kept.get(name);
    if (kept === undefined) return;
    this.kept.delete(name);
    this.bytes -= kept.bytes.length;
  }
}
