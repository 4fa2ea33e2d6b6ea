/**
 * The official StateFun JavaScript SDK (`apache-flink-statefun` 3.3.0, CommonJS) as a test peer:
 * loaded with `createRequire` and typed with the part of its public API the differential tests
 * use (its own declarations refer to google-protobuf globals this project does not declare).
 */
import { createRequire } from "node:module";
import type { IncomingMessage, ServerResponse } from "node:http";

/** `Type<T>` of the official SDK. */
export interface OfficialType<T> {
  readonly typename: string;
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
}

/** `Address` of the official SDK. */
export interface OfficialAddress {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  readonly typename: string;
}

/** `Message` of the official SDK (what a function receives). */
export interface OfficialMessage {
  readonly valueTypeName: string;
  is(type: OfficialType<unknown>): boolean;
  as<T>(type: OfficialType<T>): T | null;
  isString(): boolean;
  asString(): string | null;
}

/** An outgoing message or egress message built by the official builders (opaque). */
export type OfficialOutgoing = { readonly __official: unique symbol };

/** `Context` of the official SDK. */
export interface OfficialContext {
  readonly self: OfficialAddress;
  readonly caller: OfficialAddress | null;
  readonly storage: Record<string, unknown>;
  send(message: OfficialOutgoing): void;
  sendAfter(delayMs: number, message: OfficialOutgoing, cancellationToken?: string): void;
  cancelDelayedMessage(cancellationToken: string): void;
}

/** `ValueSpecOpts` of the official SDK. */
export interface OfficialValueSpec {
  readonly name: string;
  readonly type: OfficialType<unknown>;
  readonly expireAfterCall?: number;
  readonly expireAfterWrite?: number;
}

/** An instance of the official `StateFun` class. */
export interface OfficialStateFun {
  bind(options: {
    typename: string;
    fn: (context: OfficialContext, message: OfficialMessage) => void | Promise<void>;
    specs?: readonly OfficialValueSpec[];
  }): void;
  handler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The official `StateFun` class with its static type factories. */
export interface OfficialStateFunClass {
  new (): OfficialStateFun;
  intType(): OfficialType<number>;
  stringType(): OfficialType<string>;
  booleanType(): OfficialType<boolean>;
  jsonType<T>(typename: string): OfficialType<T>;
}

/** The exports of `apache-flink-statefun` the tests use. */
export interface OfficialSdk {
  readonly StateFun: OfficialStateFunClass;
  readonly messageBuilder: (options: {
    typename: string;
    id: string;
    value: unknown;
    valueType?: OfficialType<unknown>;
  }) => OfficialOutgoing;
  readonly egressMessageBuilder: (options: {
    typename: string;
    value: unknown;
    valueType: OfficialType<unknown>;
  }) => OfficialOutgoing;
  readonly kafkaEgressMessage: (options: {
    typename: string;
    topic: string;
    key?: string;
    value: unknown;
    valueType?: OfficialType<unknown>;
  }) => OfficialOutgoing;
}

/** The official SDK module. */
export const official = createRequire(import.meta.url)("apache-flink-statefun") as OfficialSdk;
