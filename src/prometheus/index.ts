/**
 * cachekit/prometheus: a runtime's metrics in a prom-client registry (`prom-client` is an optional
 * peer dependency). Counters count the runtime's events from {@link collectCacheMetrics} on;
 * gauges read `runtime.inspect()` at each scrape. Labels are the method, its namespace and store
 * (and a loader's outcome; a store operation and its outcome): never a key or a value. See docs/observability.md#metrics.
 */
export { collectCacheMetrics, type PrometheusMetricsOptions, type StopCacheMetrics } from './collect-cache-metrics.js';
