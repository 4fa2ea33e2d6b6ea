/**
 * `Type<T>`: how values of one typename are turned into bytes and back. Built-in types, JSON
 * types and custom types are all `Type`s; the runtime and the SDKs never look inside the bytes
 * except through one.
 */

/** A serializer for values of one typename. */
export interface Type<T> {
  /** The typename (`<namespace>/<name>`) that values of this type carry on the wire. */
  readonly typename: string;
  /** Encodes a value. */
  serialize(value: T): Uint8Array;
  /** Decodes bytes produced by {@link Type.serialize} (or by another SDK for the same typename). */
  deserialize(bytes: Uint8Array): T;
  /**
   * True when values of this type are immutable (numbers, strings, booleans, bigints), so that a
   * decoded value may be shared between a sender and a receiver instead of copied through bytes.
   * Defaults to false: mutable values are always serialized when they cross an invocation.
   */
  readonly immutableValues?: boolean;
  /**
   * Checks a value and returns its canonical form (for example a float rounded to single
   * precision), throwing `invalid-argument` for a value {@link Type.serialize} would refuse.
   * Types with {@link Type.immutableValues} provide it, so that a value kept without serializing
   * behaves exactly as if it had gone through bytes.
   */
  normalize?(value: T): T;
}

/** The value type of a {@link Type}. */
export type ValueOf<T> = T extends Type<infer V> ? V : never;
