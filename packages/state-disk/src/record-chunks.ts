/**
 * The records the write-behind encodes of one key group's changed addresses in one epoch, for the
 * capture of that epoch (see disk-capture.ts, its invariant 4): appended to chunks of bytes
 * outside the JS heap, each record with its length prefix as a checkpoint's state section holds
 * it, so that a capture copies runs of records as they are and no object is kept per record.
 */
import type { StateRecordSink, StateValuesEncoder } from "@statefun-ts/runtime";

const FIRST_CHUNK_BYTES = 4096;
const MAX_CHUNK_BYTES = 64 * 1024;
/** A record's place: its chunk's index times this, plus its offset in the chunk. */
const CHUNK_STRIDE = 2 ** 32;

const EMPTY = new Uint8Array(0);

/** Bytes of the record at `offset` of `chunk`, its length prefix included. */
function recordBytes(chunk: Uint8Array, offset: number): number {
  let length = 0;
  let scale = 1;
  let at = offset;
  for (;;) {
    const byte = chunk[at++] as number;
    length += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return at - offset + length;
    scale *= 128;
  }
}

/** Records appended to chunks of bytes, each at a place (a number). */
export class RecordChunks {
  private readonly chunks: Uint8Array[] = [];
  private chunk: Uint8Array = EMPTY;
  private used = 0;

  /**
   * Appends the encoder's last record (`StateValuesEncoder.record`), of `length` bytes.
   *
   * @returns its place
   */
  add(encoder: StateValuesEncoder, length: number): number {
    if (this.used + length > this.chunk.length) {
      const grown = Math.min(MAX_CHUNK_BYTES, this.chunk.length * 2 || FIRST_CHUNK_BYTES);
      this.chunk = new Uint8Array(Math.max(length, grown));
      this.chunks.push(this.chunk);
      this.used = 0;
    }
    const at = this.used;
    encoder.takeRecord(this.chunk, at);
    this.used += length;
    return (this.chunks.length - 1) * CHUNK_STRIDE + at;
  }

  /** Bytes `from` to `to` of the record at `place` (a view). */
  view(place: number, from: number, to: number): Uint8Array {
    const index = Math.floor(place / CHUNK_STRIDE);
    const offset = place - index * CHUNK_STRIDE;
    return (this.chunks[index] as Uint8Array).subarray(offset + from, offset + to);
  }

  /**
   * Adds the records at `places` (negative ones skipped) to `sink`, in order, records that follow
   * each other in a chunk in one run.
   */
  write(places: readonly number[], sink: StateRecordSink): void {
    let runChunk: Uint8Array = EMPTY;
    let runStart = 0;
    let runEnd = 0;
    let runCount = 0;
    for (let i = 0; i < places.length; i++) {
      const place = places[i] as number;
      if (place < 0) continue;
      const index = Math.floor(place / CHUNK_STRIDE);
      const offset = place - index * CHUNK_STRIDE;
      const chunk = this.chunks[index] as Uint8Array;
      const end = offset + recordBytes(chunk, offset);
      if (chunk === runChunk && offset === runEnd) {
        runEnd = end;
        runCount++;
        continue;
      }
      if (runCount > 0) sink.addEncodedRecords(runChunk.subarray(runStart, runEnd), runCount);
      runChunk = chunk;
      runStart = offset;
      runEnd = end;
      runCount = 1;
    }
    if (runCount > 0) sink.addEncodedRecords(runChunk.subarray(runStart, runEnd), runCount);
  }
}
