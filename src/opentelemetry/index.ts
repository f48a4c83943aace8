/**
 * cachekit/opentelemetry: a runtime's metrics, and its loader and write-behind flush spans, through
 * the OpenTelemetry API (`@opentelemetry/api` is an optional peer dependency). Counters and the
 * loader and store-operation histograms come from the runtime's events; gauges read
 * `runtime.inspect()` at each collection. Attributes are the method, its namespace and store (and
 * a loader's outcome; a store operation and its outcome): never a key or a value. See
 * docs/observability.md#metrics and #spans.
 */
export { instrumentCache, type OpenTelemetryOptions, type StopInstrumentation } from './instrument-cache.js';
