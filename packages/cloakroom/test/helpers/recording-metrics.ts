// A Metrics double that keeps every observation and refuses labels that do not match the definition.
import type { HistogramDefinition, Labels, MetricDefinition, Metrics } from '../../src/metrics/index.js';

export class RecordingMetrics implements Metrics {
  /** Counter totals by metric name, then by `label=value,…` key. */
  readonly counts = new Map<string, Map<string, number>>();
  /** Histogram observations by metric name, then by label key. */
  readonly observations = new Map<string, Map<string, number[]>>();
  readonly definitions = new Map<string, MetricDefinition>();

  counter(definition: MetricDefinition) {
    this.#define(definition);
    const series = this.counts.get(definition.name) ?? new Map<string, number>();
    this.counts.set(definition.name, series);
    return {
      inc: (labels: Labels, value = 1) => {
        const key = labelKey(definition, labels);
        series.set(key, (series.get(key) ?? 0) + value);
      },
    };
  }

  histogram(definition: HistogramDefinition) {
    this.#define(definition);
    const series = this.observations.get(definition.name) ?? new Map<string, number[]>();
    this.observations.set(definition.name, series);
    return {
      observe: (labels: Labels, value: number) => {
        const key = labelKey(definition, labels);
        series.set(key, [...(series.get(key) ?? []), value]);
      },
    };
  }

  /** The count of one series, 0 when never incremented. */
  count(name: string, labels: Labels = {}): number {
    return this.counts.get(name)?.get(keyOf(labels)) ?? 0;
  }

  /** The observations of one series. */
  observed(name: string, labels: Labels = {}): number[] {
    return this.observations.get(name)?.get(keyOf(labels)) ?? [];
  }

  #define(definition: MetricDefinition): void {
    if (!definition.name.startsWith('cloakroom_'))
      throw new Error(`${definition.name}: no cloakroom_ prefix`);
    this.definitions.set(definition.name, definition);
  }
}

function labelKey(definition: MetricDefinition, labels: Labels): string {
  const given = Object.keys(labels).sort();
  const expected = [...definition.labelNames].sort();
  if (given.join() !== expected.join()) {
    throw new Error(`${definition.name}: labels ${given.join()} instead of ${expected.join()}`);
  }
  for (const value of Object.values(labels)) {
    if (typeof value !== 'string') throw new Error(`${definition.name}: a label value is not a string`);
  }
  return keyOf(labels);
}

function keyOf(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name] ?? ''}`)
    .join(',');
}
