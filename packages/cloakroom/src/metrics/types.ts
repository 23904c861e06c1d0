/**
 * Label values by label name. Every metric has a fixed set of label names (its definition's `labelNames`)
 * and Cloakroom only ever puts bounded, non-secret values in them: operation and backend names, outcomes,
 * event types, route patterns. Never a user id, a session id, a token, a cookie or an address.
 */
export type Labels = Readonly<Record<string, string>>;

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `value` (default 1) to the series of `labels`. */
  inc(labels: Labels, value?: number): void;
}

/** A distribution of observed values (latencies in seconds). */
export interface Histogram {
  /** Records one observation in the series of `labels`. */
  observe(labels: Labels, value: number): void;
}

/** What a metric is: its name (`cloakroom_…`), its help text and its label names. */
export interface MetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** A histogram's definition: a metric with bucket bounds (in the metric's unit, seconds for latencies). */
export interface HistogramDefinition extends MetricDefinition {
  readonly buckets: readonly number[];
}

/**
 * Where Cloakroom's metrics go: a factory of counters and histograms that the application adapts to its own
 * registry (prom-client, OpenTelemetry metrics, StatsD…). Cloakroom asks for each metric once, when the
 * component that records it is built, and keeps what it gets; see {@link METRICS} for every definition.
 *
 * @example
 * ```ts
 * import { Counter as PromCounter, Histogram as PromHistogram, type Registry } from 'prom-client';
 * import type { Metrics } from 'cloakroom/metrics';
 *
 * export function promMetrics(registry: Registry): Metrics {
 *   return {
 *     counter: (d) => {
 *       const c = new PromCounter({ name: d.name, help: d.help, labelNames: [...d.labelNames], registers: [registry] });
 *       return { inc: (labels, value) => c.inc(labels, value ?? 1) };
 *     },
 *     histogram: (d) => {
 *       const h = new PromHistogram({ name: d.name, help: d.help, labelNames: [...d.labelNames], buckets: [...d.buckets], registers: [registry] });
 *       return { observe: (labels, value) => h.observe(labels, value) };
 *     },
 *   };
 * }
 * ```
 */
export interface Metrics {
  counter(definition: MetricDefinition): Counter;
  histogram(definition: HistogramDefinition): Histogram;
}
