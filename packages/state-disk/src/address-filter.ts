/**
 * A Bloom filter of the addresses written to the database since it was opened (the database
 * starts empty, see disk-store.ts), so that looking up an address never written — the first
 * message to every new address — skips the database read.
 *
 * It is blocked: all the bits of one address fall in one 512-bit block (a cache line), so a probe
 * of a layer costs one cache miss, and a lookup of a new address one per layer. It grows by adding
 * a layer of four times the capacity of the last once that is full (three layers at 10,000,000
 * addresses), at 12 bits per address, which keeps the false-positive rate of all layers together
 * under 1.5% at that size. Nothing is ever removed: a deleted address costs a database read that
 * finds nothing, as a false positive does. The layout of its bytes depends on these figures (see
 * `LAYOUT` in kept-state.ts).
 */
import { hashId, mixHash } from "@statefun-ts/runtime";

const BITS_PER_ADDRESS = 12;
const BITS_PER_BLOCK = 512;
const WORDS_PER_BLOCK = BITS_PER_BLOCK / 32;
/** Bits set per address: optimal for 12 bits per address. */
const PROBES = 8;
const FIRST_CAPACITY = 1 << 20;
/** Capacity of a new layer, as a multiple of the last one's. */
const GROWTH = 4;

/** A 32-bit hash of a table's seed and an id (see `hashId`). */
export function addressHash(seed: number, id: string): number {
  return hashId(seed, id);
}

/** A seed for a table, from its typename. */
export function tableSeed(typename: string): number {
  return addressHash(0x5bd1e995, typename);
}

class Layer {
  readonly capacity: number;
  readonly blocks: number;
  readonly words: Uint32Array;
  count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.blocks = Math.ceil((capacity * BITS_PER_ADDRESS) / BITS_PER_BLOCK);
    this.words = new Uint32Array(this.blocks * WORDS_PER_BLOCK);
  }
}

/**
 * Whether every bit of `hash` was set in its block of `layer`; with `set`, also sets them. Adding
 * and looking up walk the same bits.
 */
function probe(layer: Layer, hash: number, set: boolean): boolean {
  const base = ((hash >>> 0) % layer.blocks) * WORDS_PER_BLOCK;
  const second = mixHash(hash ^ 0x9e3779b9);
  const step = (second >>> 9) | 1;
  const words = layer.words;
  let all = true;
  for (let i = 0, bit = second; i < PROBES; i++, bit += step) {
    const position = bit & (BITS_PER_BLOCK - 1);
    const word = base + (position >>> 5);
    const mask = 1 << (position & 31);
    const bits = words[word] as number;
    if ((bits & mask) === 0) {
      if (!set) return false;
      all = false;
      words[word] = bits | mask;
    }
  }
  return all;
}

/** Addresses that may be in the database; see the file's comment. */
export class AddressFilter {
  private readonly layers: Layer[] = [new Layer(FIRST_CAPACITY)];

  /**
   * The filter as bytes (native byte order): per layer, its capacity and count, then its words.
   */
  toBytes(): Uint8Array {
    const words = this.layers.reduce((sum, layer) => sum + 2 + layer.words.length, 1);
    const out = new Uint32Array(words);
    out[0] = this.layers.length;
    let at = 1;
    for (const layer of this.layers) {
      out[at++] = layer.capacity;
      out[at++] = layer.count;
      out.set(layer.words, at);
      at += layer.words.length;
    }
    return new Uint8Array(out.buffer);
  }

  /**
   * A filter from {@link toBytes}; `undefined` when the bytes are not one (wrong length or
   * layout).
   */
  static fromBytes(bytes: Uint8Array): AddressFilter | undefined {
    if (bytes.byteLength % 4 !== 0 || bytes.byteLength < 4) return undefined;
    const words = new Uint32Array(bytes.slice().buffer);
    const count = words[0] as number;
    const filter = new AddressFilter();
    filter.layers.length = 0;
    let at = 1;
    for (let i = 0; i < count; i++) {
      const capacity = words[at] as number;
      if (at + 2 > words.length || capacity < 1) return undefined;
      const layer = new Layer(capacity);
      layer.count = words[at + 1] as number;
      at += 2;
      if (at + layer.words.length > words.length) return undefined;
      layer.words.set(words.subarray(at, at + layer.words.length));
      at += layer.words.length;
      filter.layers.push(layer);
    }
    return at === words.length && filter.layers.length > 0 ? filter : undefined;
  }

  /** Bytes the filter takes. */
  get bytes(): number {
    let bytes = 0;
    for (const layer of this.layers) bytes += layer.words.byteLength;
    return bytes;
  }

  /** Adds an address by its {@link addressHash}. */
  add(hash: number): void {
    let layer = this.layers[this.layers.length - 1] as Layer;
    if (layer.count >= layer.capacity) {
      if (probe(layer, hash, false)) return;
      layer = new Layer(layer.capacity * GROWTH);
      this.layers.push(layer);
    }
    if (!probe(layer, hash, true)) layer.count++;
  }

  /** False when the address was never added; true when it may have been. */
  mayContain(hash: number): boolean {
    for (const layer of this.layers) if (probe(layer, hash, false)) return true;
    return false;
  }
}
