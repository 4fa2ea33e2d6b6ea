/**
 * Whether a stream of addresses repeats itself: of each window of addresses, the share seen
 * earlier in the same window, from a bitmap of their hashes (no address is kept). A queue only
 * batches messages to an address that comes again while an earlier message still waits, so a
 * stream that seldom repeats gains nothing from a deep queue.
 *
 * The estimate counts hash collisions as repeats: with a window of 65,536 addresses over a bitmap
 * of 2^20 bits, a stream of distinct addresses shows about 3% repeats, far below the threshold.
 */

/** Options of a {@link RepeatRate}; the defaults suit the dispatcher. */
export interface RepeatRateOptions {
  /** Addresses per window. Default: 65536. */
  readonly window?: number;
  /** Bits of the bitmap, as a power of two. Default: 20 (128 KiB). */
  readonly bitsLog2?: number;
  /** Share of repeats from which a window counts as repeating. Default: 0.25. */
  readonly threshold?: number;
}

/** The repeats of the last complete window of a stream of address hashes. */
export class RepeatRate {
  /**
   * True when the last complete window had at least the threshold's share of repeats (false
   * until then: a stream is taken not to repeat until shown otherwise).
   */
  repeating = false;
  private readonly bits: Uint32Array;
  /** Shifts a 32-bit hash to its bit in the bitmap (its high bits). */
  private readonly shift: number;
  private readonly window: number;
  private readonly minRepeats: number;
  private seen = 0;
  private repeats = 0;

  constructor(options: RepeatRateOptions = {}) {
    const bitsLog2 = options.bitsLog2 ?? 20;
    this.window = options.window ?? 65_536;
    this.bits = new Uint32Array(2 ** Math.max(0, bitsLog2 - 5));
    this.shift = 32 - Math.max(5, bitsLog2);
    this.minRepeats = Math.ceil(this.window * (options.threshold ?? 0.25));
  }

  /** Counts one address, by the 32-bit hash of its id (unsigned, well mixed). */
  observe(hash: number): void {
    const bit = hash >>> this.shift;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const bits = this.bits;
    if (((bits[word] as number) & mask) !== 0) this.repeats++;
    else bits[word] = (bits[word] as number) | mask;
    if (++this.seen < this.window) return;
    this.repeating = this.repeats >= this.minRepeats;
    this.bits.fill(0);
    this.seen = 0;
    this.repeats = 0;
  }
}
