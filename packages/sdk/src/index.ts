/**
 * `@statefun-ts/sdk`: write stateful functions in TypeScript.
 *
 * Bind functions in a registry made by {@link createStatefulFunctions}; run them embedded in the
 * statefun-ts runtime (a module.yaml entry of kind `io.statefun-ts.v1/embedded`), or serve them
 * to any StateFun runtime over HTTP with {@link createRequestReplyHandler} and the node:http or
 * fetch adapters ({@link createNodeHandler}, {@link createFetchHandler}).
 */
export type { Address, Type, ValueOf } from "@statefun-ts/protocol";
export {
  StatefunError,
  TypedValue,
  addressOf,
  boolType,
  doubleType,
  floatType,
  intType,
  longType,
  stringType,
} from "@statefun-ts/protocol";
export type { EgressRecord, OutgoingMessage } from "@statefun-ts/protocol";
export { customType, jsonType } from "./types.js";
export type { CustomTypeOptions } from "./types.js";
export type {
  CheckedDeclarations,
  DeclaredValue,
  StateDeclarations,
  ValueSpec,
  ValueSpecOptions,
} from "./value-spec.js";
export { migration } from "./migration.js";
export type { Migration } from "./migration.js";
export type { Context, Storage } from "./context.js";
export {
  PLAYGROUND_EGRESS_ID,
  egressMessageBuilder,
  kafkaEgressMessage,
  kinesisEgressMessage,
  messageBuilder,
  playgroundEgressMessage,
  playgroundEgressRecordType,
} from "./message.js";
export type {
  EgressMessageOptions,
  KafkaEgressOptions,
  KinesisEgressOptions,
  Message,
  MessageOptions,
  PlaygroundEgressRecord,
} from "./message.js";
export { createStatefulFunctions, invokeBatch, isStatefulFunctions } from "./functions.js";
export type {
  BoundFunction,
  FunctionDefinition,
  StatefulFunction,
  StatefulFunctions,
} from "./functions.js";
export { createRequestReplyHandler } from "./handler/request-reply.js";
export type {
  RequestReplyErrorInfo,
  RequestReplyHandler,
  RequestReplyHandlerOptions,
} from "./handler/request-reply.js";
export { DEFAULT_MAX_BODY_BYTES } from "./handler/http-rules.js";
export type { HttpHandlerOptions } from "./handler/http-rules.js";
export { createNodeHandler } from "./handler/node.js";
export type { NodeHandler, NodeHandlerOptions } from "./handler/node.js";
export { createFetchHandler } from "./handler/fetch.js";
export type { FetchHandler, FetchHandlerOptions } from "./handler/fetch.js";
