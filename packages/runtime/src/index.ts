/**
 * `@statefun-ts/runtime`: the statefun-ts runtime.
 */
export { createRuntime } from "./runtime.js";
export type {
  FunctionTypeStats,
  IngressOutcome,
  IngressSubmission,
  Runtime,
  RuntimeState,
} from "./runtime.js";
export type { FunctionCounters } from "./runtime-stats.js";
export { resolveRuntimeOptions } from "./options.js";
export type { ResolvedRuntimeOptions, RuntimeOptions } from "./options.js";
export { ManualClock, systemClock } from "./core/clock.js";
export type { Clock, TimerHandle } from "./core/clock.js";
export { DEFAULT_MAX_KEY_GROUPS, keyGroupOf } from "./core/key-group.js";
export { IdIndex, hashId, mixHash } from "./core/id-index.js";
export type { IdIndexOptions, Indexed } from "./core/id-index.js";
export type { FailingAddress, RetryPolicy } from "./core/dispatcher.js";
export { composeProviders } from "./core/function-invoker.js";
export type { FunctionInvoker, FunctionProvider, InvokeOutcome } from "./core/function-invoker.js";
export { createEmbeddedProvider } from "./core/embedded-provider.js";
export type { EmbeddedProviderOptions } from "./core/embedded-provider.js";
export type { EgressSink } from "./core/egress.js";
export type { Egress } from "./io/egress.js";
export type { Ingress, IngressContext } from "./io/ingress.js";
export { errorFields, noopLogger } from "./observability/logger.js";
export type { LogFields, LogMethod, Logger } from "./observability/logger.js";
export { createMemoryStateBackend } from "./state/memory-backend.js";
export type { MemoryStateBackendOptions } from "./state/memory-backend.js";
export type {
  CheckpointRef,
  StateBackend,
  StateTable,
  StateWrite,
  StoredValue,
} from "./state/backend.js";
export { parseDuration } from "./config/module/duration.js";
export { durationSchema } from "./config/module/fields.js";
export type { DurationSchemaOptions } from "./config/module/fields.js";
export { BUILTIN_BINDERS, loadModules, parseModuleText } from "./config/module/loader.js";
export type { ModuleLoadOptions } from "./config/module/loader.js";
export type {
  ComponentBinder,
  ComponentCategory,
  EgressBinder,
  EmbeddedBinder,
  EndpointBinder,
  IngressBinder,
  SpecContext,
} from "./config/module/binder.js";
export type { ConfigProblem, FieldPath } from "./config/module/problems.js";
export { EMBEDDED_MODULE_KIND } from "./config/module/embedded.js";
export { HTTP_ENDPOINT_V1_KIND, HTTP_ENDPOINT_V2_KIND } from "./config/module/http-endpoint.js";
export {
  PLAYGROUND_EGRESS_ID,
  PLAYGROUND_EGRESS_KIND,
  PLAYGROUND_INGRESS_ID,
  PLAYGROUND_INGRESS_KIND,
} from "./config/module/playground.js";
export { ASYNC_TRANSPORT_TYPE, OKHTTP_TRANSPORT_TYPE } from "./config/module/transport.js";
export type {
  AsyncTransportOptions,
  ConnectorDefinition,
  EgressDefinition,
  EgressDefinitionsByKind,
  EmbeddedModuleDefinition,
  FunctionPattern,
  HttpEndpointDefinition,
  IngressDefinition,
  IngressDefinitionsByKind,
  ModuleDefinition,
  OkHttpTransportOptions,
  PlaygroundEgressDefinition,
  PlaygroundIngressDefinition,
  SourceLocation,
  TlsOptions,
  TransportOptions,
} from "./config/module/types.js";
export { createPlaygroundIngress } from "./io/playground/ingress.js";
export type { PlaygroundIngress } from "./io/playground/ingress.js";
export { createPlaygroundEgress } from "./io/playground/egress.js";
export type { PlaygroundEgress } from "./io/playground/egress.js";
export type { ListenAddress } from "./io/playground/http-server.js";
export type { PlaygroundEgressOptions, PlaygroundIngressOptions } from "./io/playground/options.js";
export { LOG_LEVELS, createLogger, resolveLoggerOptions } from "./observability/pino-logger.js";
export type {
  LogLevel,
  LoggerOptions,
  ResolvedLoggerOptions,
} from "./observability/pino-logger.js";
export { createRuntimeMetrics, resolveRuntimeMetricsOptions } from "./observability/metrics.js";
export type {
  ResolvedRuntimeMetricsOptions,
  RuntimeMetrics,
  RuntimeMetricsOptions,
} from "./observability/metrics.js";
export { createAdminServer, resolveAdminServerOptions } from "./admin/admin-server.js";
export type {
  AdminServer,
  AdminServerOptions,
  AdminServerState,
  ResolvedAdminServerOptions,
} from "./admin/admin-server.js";
export type { FailureView, HealthView } from "./admin/routes.js";
export { createApplication } from "./app/application.js";
export type {
  Application,
  ApplicationAdminOptions,
  ApplicationOptions,
  ApplicationRuntimeOptions,
  ApplicationState,
} from "./app/application.js";
export {
  builtinComponentFactories,
  egressFactoryOf,
  ingressFactoryOf,
} from "./app/component-factories.js";
export type {
  ComponentContext,
  ComponentFactories,
  EgressFactory,
  EndpointProvider,
  EndpointProviderFactory,
  IngressFactory,
} from "./app/component-factories.js";
export { createHttpEndpointProvider } from "./remote/endpoint-provider.js";
export type {
  HttpEndpointProvider,
  HttpEndpointProviderOptions,
  RemoteStats,
} from "./remote/endpoint-provider.js";
export type { CheckpointStorage } from "./checkpoint/storage.js";
export {
  MAX_OBJECT_NAME_BYTES,
  MAX_OBJECT_NAME_SEGMENT_BYTES,
  checkByteRange,
  checkObjectName,
  checkObjectPrefix,
  compareObjectNames,
  rangeBeyondEnd,
} from "./checkpoint/object-name.js";
export type { ByteRange } from "./checkpoint/object-name.js";
export { createOperationGuard } from "./checkpoint/operation-guard.js";
export type { OperationGuard } from "./checkpoint/operation-guard.js";
export { createLocalCheckpointStorage } from "./checkpoint/local-storage.js";
export type { LocalCheckpointStorage } from "./checkpoint/local-storage.js";
export { resolveLocalCheckpointStorageOptions } from "./checkpoint/local-storage-options.js";
export type {
  LocalCheckpointStorageOptions,
  ResolvedLocalCheckpointStorageOptions,
} from "./checkpoint/local-storage-options.js";
export { createChunkSource } from "./checkpoint/chunk-source.js";
export { LEASE_OBJECT } from "./checkpoint/writer-lease.js";
export type { ChunkSource } from "./checkpoint/chunk-source.js";
export { resolveCheckpointingOptions } from "./checkpoint/options.js";
export type {
  CheckpointMode,
  CheckpointingOptions,
  ResolvedCheckpointingOptions,
} from "./checkpoint/options.js";
export type { CheckpointAttempt, CheckpointOutcome, CheckpointStats } from "./checkpoint/stats.js";
export type { RestoreSummary } from "./checkpoint/recovery.js";
export type { SavepointResult } from "./checkpoint/savepoint.js";
export type { StatefulComponent } from "./checkpoint/cut.js";
export { IDEMPOTENCY_TABLE } from "./io/idempotency.js";
export type { ComponentStore } from "./io/component-store.js";
export { componentTableOf } from "./io/component-store.js";
export type { EgressContext } from "./io/egress.js";
export type { SubmitOptions } from "./io/ingress.js";
export type { StateChangeCapture } from "./state/backend.js";
export type {
  CheckpointAddress,
  CheckpointKind,
  CheckpointManifest,
  ComponentState,
  DelayedMessageRecord,
  EgressRecordEntry,
  GlobalContent,
  KeyGroupContent,
  PendingMessageRecord,
  StateRecord,
  StateRecordSink,
  StateValueRecord,
  StateValueSource,
  StoredTypedValue,
} from "./checkpoint/model.js";
export {
  S3_PACKAGE,
  openCheckpointStorage,
  openSavepointForReading,
  parseObjectLocation,
  parseStorageLocation,
} from "./admin/storage-location.js";
export type {
  ModuleImporter,
  ObjectLocation,
  OpenStorageOptions,
  StorageLocation,
} from "./admin/storage-location.js";
export type { CheckpointsView, SavepointView } from "./admin/checkpoint-routes.js";
export { MAX_ADMIN_BODY_BYTES } from "./admin/admin-server.js";
export { StateCell } from "./state/state-cell.js";
export { ExpirySweeper } from "./state/expiry-sweeper.js";
export type { SweptTable } from "./state/expiry-sweeper.js";
export { cellsOf, compact, copyState, findCell } from "./state/address-state.js";
export type { AddressState } from "./state/address-state.js";
export {
  decodeStateValues,
  StateRecordDecoder,
  StateValuesEncoder,
} from "./checkpoint/format/state-values.js";
export { decodeStateRecord } from "./checkpoint/format/state-records.js";
export { bytesEqualAt } from "./checkpoint/format/layout.js";
export type { BackendFigure, IdCursor, IdPage } from "./state/backend.js";
export {
  compareIds,
  countOf,
  liveEntries,
  recordValueOf,
  readState,
  removeExpiredValues,
  stateFromRecords,
  writeState,
} from "./state/address-state.js";
export type { StateHooks } from "./state/address-state.js";
export { SYSTEM_TYPENAME_PREFIX } from "./admin/function-views.js";
export type { FunctionKind, FunctionView, ValueSpecView } from "./admin/function-views.js";
export { DEFAULT_IDS_PAGE_LIMIT, MAX_IDS_PAGE_LIMIT } from "./admin/state-routes.js";
export type { AddressStateView, FunctionsView, IdsPageView } from "./admin/state-routes.js";
export { MAX_STATE_VALUE_BYTES } from "./admin/state-values.js";
export type { RenderedValue, StateValueEncoding, StateValueView } from "./admin/state-values.js";
export {
  STATE_SCHEMAS_TABLE,
  TYPENAME_HISTORY_TYPENAME,
  readStateSchemas,
} from "./core/schema-registry.js";
