/**
 * `@statefun-ts/protocol`: the StateFun 3.x wire protocol and type encodings.
 */
export { ERROR_CODES, StatefunError, assertNever, isStatefunError } from "./errors.js";
export type { ErrorCode, StatefunErrorOptions } from "./errors.js";
export { isTypeName, parseTypeName } from "./typename.js";
export type { TypeName } from "./typename.js";
export { addressFromParts, addressOf, formatAddress, sameAddress } from "./address.js";
export type { Address } from "./address.js";
export type { Type, ValueOf } from "./type.js";
export { TypedValue } from "./typed-value.js";
export {
  BUILTIN_TYPENAMES,
  BUILTIN_TYPES,
  boolType,
  doubleType,
  floatType,
  intType,
  longType,
  stringType,
} from "./builtin-types.js";
export {
  ExpireMode,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  MutationType,
} from "./messages.js";
export type {
  DelayedInvocation,
  EgressMessage,
  ExpirationSpec,
  ExpireModeValue,
  FromFunction,
  FromFunctionInvocation,
  IncompleteInvocationContext,
  InvocationBatchRequest,
  InvocationResponse,
  KafkaProducerRecord,
  KinesisEgressRecord,
  MutationTypeValue,
  PersistedValue,
  PersistedValueMutation,
  PersistedValueSpec,
  ToFunction,
  ToFunctionInvocation,
  WireAddress,
  WireTypedValue,
} from "./messages.js";
export {
  decodeFromFunction,
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  decodeToFunction,
  encodeFromFunction,
  encodeKafkaProducerRecord,
  encodeKinesisEgressRecord,
  encodeToFunction,
} from "./codec.js";
export { NO_EXPIRATION } from "./effects.js";
export type {
  DelayedAction,
  DelayedCancel,
  DelayedSend,
  EgressRecord,
  Expiration,
  InvocationEffects,
  InvocationInput,
  OutgoingMessage,
  StateMutation,
  StateSpec,
} from "./effects.js";
export {
  buildIncompleteInvocationContext,
  buildInvocationResult,
  buildToFunction,
  fromWireAddress,
  fromWireExpiration,
  fromWireTypedValue,
  parseFromFunction,
  parseInvocationResponse,
  parseMissingSpecs,
  parseToFunction,
  toWireAddress,
  toWireTypedValue,
} from "./convert.js";
export type { ParsedFromFunction, ParsedToFunction } from "./convert.js";
