/**
 * One state value of one address in the in-memory backend, updated in place. Values of immutable
 * types (numbers, strings, built-in types restored from checkpoints) are kept decoded rather than
 * as bytes or `TypedValue`s, and "never expires" is 0 rather than a boxed `Infinity`, so that a
 * million addresses cost little memory and steady writes allocate nothing that outlives the
 * invocation — long-lived garbage is what makes a JS heap slow.
 */
import type { Type } from "@statefun-ts/protocol";
import { BUILTIN_TYPES, TypedValue } from "@statefun-ts/protocol";

/**
 * A copy of the bytes when they are a view into a larger buffer (which they would keep alive, and
 * which may be reused). Not `slice()`: on a `Buffer`, that makes another view.
 */
function detached(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** A mutable holder of one stored value. */
export class StateCell {
  readonly name: string;
  typename = "";
  /** The decoded value when {@link type} is set, else the serialized bytes. */
  private stored: unknown = undefined;
  /** The type of a decoded {@link stored} value. */
  private type: Type<unknown> | undefined = undefined;
  /** Expiration time in ms since the epoch; 0 for never. */
  private expiry = 0;
  /**
   * The change-tracking epoch in which the address was last marked as changed, kept by its first
   * cell (0: none; see `ChangeTracker.epoch`).
   */
  markedEpoch = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Expiration time in ms since the epoch; `Infinity` for never. */
  get expiresAtMs(): number {
    return this.expiry === 0 ? Infinity : this.expiry;
  }

  set expiresAtMs(ms: number) {
    this.expiry = ms === Infinity ? 0 : ms;
  }

  /** True when the value has not expired at `nowMs`. */
  isLive(nowMs: number): boolean {
    return this.expiry === 0 || this.expiry > nowMs;
  }

  /** Stores a value, keeping its decoded form when it has one. */
  assign(value: TypedValue, expiresAtMs: number): void {
    this.typename = value.typename;
    const type = value.decodedType;
    this.type = type;
    this.stored = type === undefined ? detached(value.bytes) : value.decodedValue;
    this.expiresAtMs = expiresAtMs;
  }

  /** Stores serialized bytes (from a checkpoint); built-in values are decoded at once. */
  assignBytes(typename: string, bytes: Uint8Array, expiresAtMs: number): void {
    this.typename = typename;
    const builtin = BUILTIN_TYPES.get(typename);
    if (builtin !== undefined) {
      this.type = builtin;
      this.stored = builtin.deserialize(bytes);
    } else {
      this.type = undefined;
      this.stored = detached(bytes);
    }
    this.expiresAtMs = expiresAtMs;
  }

  /** The stored value. */
  value(): TypedValue {
    const type = this.type;
    return type === undefined
      ? TypedValue.fromBytes(this.typename, this.stored as Uint8Array)
      : TypedValue.fromParts(this.typename, undefined, this.stored, type);
  }

  /** The serialized value (computed each time for decoded values, not kept). */
  encoded(): Uint8Array {
    const type = this.type;
    return type === undefined ? (this.stored as Uint8Array) : type.serialize(this.stored);
  }

  /** A detached copy. */
  copy(): StateCell {
    const copy = new StateCell(this.name);
    copy.typename = this.typename;
    copy.stored = this.stored;
    copy.type = this.type;
    copy.expiry = this.expiry;
    return copy;
  }
}
