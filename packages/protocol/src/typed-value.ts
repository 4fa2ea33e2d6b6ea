/**
 * `TypedValue`: a typename plus serialized bytes, the unit of data the runtime moves and stores.
 * A value created from an immutable JS value (a number, a string) keeps that value and serializes
 * only when bytes are needed, so embedded functions exchange primitives without encoding them.
 */
import { StatefunError } from "./errors.js";
import type { Type } from "./type.js";

const EMPTY = new Uint8Array(0);

/** A typename with an optional serialized value. Instances are immutable. */
export class TypedValue {
  /** `<namespace>/<name>` of the value's type. */
  readonly typename: string;
  /** False for "no value" (distinct from a present value with empty bytes, such as int 0). */
  readonly hasValue: boolean;
  private encoded: Uint8Array | undefined;
  private readonly decoded: unknown;
  private readonly cachedType: Type<unknown> | undefined;

  private constructor(
    typename: string,
    hasValue: boolean,
    encoded: Uint8Array | undefined,
    decoded: unknown,
    decodedType: Type<unknown> | undefined,
  ) {
    this.typename = typename;
    this.hasValue = hasValue;
    this.encoded = encoded;
    this.decoded = decoded;
    this.cachedType = decodedType;
  }

  /**
   * Wraps a value of a type. Values of types with {@link Type.immutableValues} are kept as they
   * are and serialized lazily; others are serialized at once, so later mutation of `value` by the
   * caller cannot change the message or state that was created from it.
   */
  static of<T>(type: Type<T>, value: T): TypedValue {
    if (value === undefined || value === null) {
      throw new StatefunError(
        "invalid-argument",
        `expected a value of type ${type.typename}, found ${String(value)}`,
      );
    }
    if (type.immutableValues === true) {
      const canonical = type.normalize === undefined ? value : type.normalize(value);
      return new TypedValue(type.typename, true, undefined, canonical, type);
    }
    return new TypedValue(type.typename, true, type.serialize(value), undefined, undefined);
  }

  /** Wraps bytes that already hold a serialized value of `typename`. */
  static fromBytes(typename: string, bytes: Uint8Array): TypedValue {
    return new TypedValue(typename, true, bytes, undefined, undefined);
  }

  /**
   * Rebuilds a value from the parts a store kept ({@link encodedIfKnown}, {@link decodedType},
   * {@link decodedValue}), without validating or serializing again. At least one of `bytes` and
   * `type` must be given; `decoded` must be a value of `type`.
   */
  static fromParts(
    typename: string,
    bytes: Uint8Array | undefined,
    decoded: unknown,
    type: Type<unknown> | undefined,
  ): TypedValue {
    return new TypedValue(typename, true, bytes, decoded, type);
  }

  /** The serialized value if it was already computed, without serializing. */
  get encodedIfKnown(): Uint8Array | undefined {
    return this.encoded;
  }

  /** The type of the kept immutable decoded value, or `undefined` when there is none. */
  get decodedType(): Type<unknown> | undefined {
    return this.cachedType;
  }

  /** The kept immutable decoded value (meaningful only when {@link decodedType} is set). */
  get decodedValue(): unknown {
    return this.decoded;
  }

  /** A typed value without a value (`has_value = false` on the wire). */
  static absent(typename: string): TypedValue {
    return new TypedValue(typename, false, EMPTY, undefined, undefined);
  }

  /** The serialized value (empty when {@link hasValue} is false). */
  get bytes(): Uint8Array {
    let encoded = this.encoded;
    if (encoded === undefined) {
      encoded = (this.cachedType as Type<unknown>).serialize(this.decoded);
      this.encoded = encoded;
    }
    return encoded;
  }

  /**
   * Decodes the value with `type`.
   *
   * @returns the value, or `undefined` when {@link hasValue} is false.
   * @throws StatefunError `type-mismatch` when `type.typename` differs from {@link typename}.
   */
  as<T>(type: Type<T>): T | undefined {
    if (type.typename !== this.typename) {
      throw new StatefunError(
        "type-mismatch",
        `expected a value of type ${type.typename}, found ${this.typename}`,
      );
    }
    return this.decodeUnchecked(type);
  }

  /** Decodes the value with `type` without comparing typenames. */
  decodeUnchecked<T>(type: Type<T>): T | undefined {
    if (!this.hasValue) return undefined;
    const decodedType = this.cachedType;
    if (decodedType !== undefined) {
      if (decodedType === type) return this.decoded as T;
      if (decodedType.typename === type.typename && type.immutableValues === true) {
        return this.decoded as T;
      }
    }
    return type.deserialize(this.bytes);
  }

  /** True when both values have the same typename, presence and bytes. */
  equals(other: TypedValue): boolean {
    if (this.typename !== other.typename || this.hasValue !== other.hasValue) return false;
    const a = this.bytes;
    const b = other.bytes;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}
