/**
 * The OpenTelemetry SDK's in-memory exporters for the cachekit/opentelemetry tests: a meter
 * provider whose reader exports only when asked (cumulative), a tracer provider that keeps the
 * finished spans, and readers of the exported metrics.
 */
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A meter and a tracer provider over in-memory exporters. */
export class OtelHarness {
  readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly reader = new PeriodicExportingMetricReader({ exporter: this.metricExporter, exportIntervalMillis: 3_600_000 });
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly spanExporter = new InMemorySpanExporter();
  readonly tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.spanExporter)] });

  /** Exports now: the metrics of that export, by name. */
  async collect(): Promise<Map<string, MetricData>> {
    await this.reader.forceFlush();
    const exports = this.metricExporter.getMetrics();
    const latest = exports[exports.length - 1]!;
    return new Map(latest.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
  }
}

/** A sum's or gauge's points as [attributes, value]; a histogram's as [attributes, count]. */
export function points(metrics: Map<string, MetricData>, name: string): Array<[Attributes, number]> {
  const metric = metrics.get(name);
  if (metric === undefined) return [];
  if (metric.dataPointType === DataPointType.HISTOGRAM) return metric.dataPoints.map((p) => [p.attributes, p.value.count]);
  if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) throw new Error('unexpected');
  return metric.dataPoints.map((p) => [p.attributes, p.value]);
}
