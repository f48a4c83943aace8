/**
 * cachekit/opentelemetry: a runtime's metrics and loader spans through the OpenTelemetry API
 * (`@opentelemetry/api` is an optional peer dependency). Counters and the loader-duration
 * histogram come from the runtime's events; gauges read `runtime.inspect()` at each collection.
 * Attributes are the method, its namespace and store (and a loader's outcome): never a key or a
 * value. See docs/observability.md#metrics.
 */
export { instrumentCache, type OpenTelemetryOptions, type StopInstrumentation } from './instrument-cache.js';
