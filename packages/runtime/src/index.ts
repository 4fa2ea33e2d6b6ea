/**
 * `@statefun-ts/runtime`: the statefun-ts runtime.
 */
export { createRuntime } from "./runtime.js";
export type { FunctionTypeStats, Runtime, RuntimeState } from "./runtime.js";
export { resolveRuntimeOptions } from "./options.js";
export type { ResolvedRuntimeOptions, RuntimeOptions } from "./options.js";
export { ManualClock, systemClock } from "./core/clock.js";
export type { Clock, TimerHandle } from "./core/clock.js";
export { DEFAULT_MAX_KEY_GROUPS, keyGroupOf } from "./core/key-group.js";
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
export type { StateBackend, StateTable, StateWrite, StoredValue } from "./state/backend.js";
