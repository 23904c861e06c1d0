import type { Metric } from 'prom-client';
import type { HistogramDefinition, Labels, MetricDefinition } from 'cloakroom/metrics';

/**
 * Cloakroom's counters and histograms kept as plain numbers per label set and handed to prom-client's
 * registry as metrics it formats at scrape time (through the metric object's `get()`, as prom-client's own
 * metrics do).
 *
 * Why not prom-client's `Counter` and `Histogram` directly: on every call they validate the label names,
 * build a hash string from the label values and allocate a few objects, which on the site's busiest path
 * (one store read, one validation and one request per `GET /api/me`) cost several times the work they record
 * and a measurable share of the throughput (docs/benchmarks.md, "Observability overhead"). Here a label
 * object is looked up by identity (Cloakroom reuses one object per series), checked against the values it
 * had (so a caller that mutates its object still lands in the right series), and only a new object pays for
 * validation and a key. What prom-client still does: the registry, the text and OpenMetrics formats, label
 * escaping, and Node's process metrics beside these.
 */

/** One label set's values, as given (only the metric's label names, as strings). */
type LabelValues = Readonly<Record<string, string>>;

/** What prom-client's registry reads from a metric's `get()` (its typings do not export the type). */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

interface Found<S> {
  readonly values: readonly string[];
  readonly series: S;
}

/** The series of one metric, by label set. */
class SeriesTable<S> {
  readonly #names: readonly string[];
  readonly #make: (labels: LabelValues) => S;
  readonly #byObject = new WeakMap<Labels, Found<S>>();
  readonly #byKey = new Map<string, S>();

  constructor(definition: MetricDefinition, make: (labels: LabelValues) => S) {
    this.#names = [...definition.labelNames];
    this.#make = make;
  }

  get(labels: Labels): S {
    const found = this.#byObject.get(labels);
    if (found !== undefined && this.#same(labels, found.values)) return found.series;
    return this.#find(labels);
  }

  series(): IterableIterator<S> {
    return this.#byKey.values();
  }

  clear(): void {
    this.#byKey.clear();
  }

  #same(labels: Labels, values: readonly string[]): boolean {
    const names = this.#names;
    for (let i = 0; i < names.length; i++) if (labels[names[i] as string] !== values[i]) return false;
    return true;
  }

  #find(labels: Labels): S {
    for (const name of Object.keys(labels)) {
      if (!this.#names.includes(name)) {
        throw new TypeError(`label ${name} is not one of this metric's (${this.#names.join(', ')})`);
      }
      if (typeof labels[name] !== 'string') throw new TypeError(`label ${name} must be a string`);
    }
    // A label left out is the empty value, as Prometheus reads a missing label.
    const values = this.#names.map((name) => labels[name] ?? '');
    const key = JSON.stringify(values);
    let series = this.#byKey.get(key);
    if (series === undefined) {
      const given: Record<string, string> = {};
      this.#names.forEach((name, i) => {
        if (name in labels) given[name] = values[i] as string;
      });
      series = this.#make(given);
      this.#byKey.set(key, series);
    }
    this.#byObject.set(labels, { values, series });
    return series;
  }
}

interface CounterSeries {
  readonly labels: LabelValues;
  value: number;
}

interface HistogramSeries {
  readonly labels: LabelValues;
  /** Observations per bucket, not cumulative: `buckets[i]` counts values in (bound[i-1], bound[i]]. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** The members of a prom-client metric that its registry uses: a name, a type, `get()` and `reset()`. */
abstract class SeriesMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  protected readonly table: SeriesTable<S>;

  constructor(definition: MetricDefinition, make: (labels: LabelValues) => S) {
    this.name = definition.name;
    this.help = definition.help;
    this.table = new SeriesTable(definition, make);
  }

  abstract get(): Promise<MetricSnapshot>;

  reset(): void {
    this.table.clear();
  }

  /** As prom-client's registry takes it (its parameter type names its own classes only). */
  asPromMetric(): Metric {
    return this as unknown as Metric;
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  constructor(definition: MetricDefinition) {
    super(definition, (labels) => ({ labels, value: 0 }));
  }

  inc(labels: Labels, value = 1): void {
    if (!(value >= 0) || value === Infinity)
      throw new TypeError(`a counter grows by a finite value >= 0, not ${String(value)}`);
    this.table.get(labels).value += value;
  }

  get(): Promise<MetricSnapshot> {
    const values = [...this.table.series()].map((series) => ({
      labels: { ...series.labels },
      value: series.value,
    }));
    return Promise.resolve({ name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' });
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(definition: HistogramDefinition) {
    const bounds = [...definition.buckets].sort((a, b) => a - b);
    super(definition, (labels) => ({ labels, buckets: new Float64Array(bounds.length), sum: 0, count: 0 }));
    this.#bounds = bounds;
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value))
      throw new TypeError(`an observation is a finite number, not ${String(value)}`);
    const series = this.table.get(labels);
    const bounds = this.#bounds;
    // A handful of bounds: a linear scan beats a binary search here. Above the last: +Inf only.
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (series.buckets[i] as number)++;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  get(): Promise<MetricSnapshot> {
    const values: MetricSnapshot['values'] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.table.series()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.buckets[i] as number;
        values.push({ labels: { ...series.labels, le: bound }, value: cumulative, metricName: bucket });
      });
      values.push(
        { labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: bucket },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram',
      values,
      aggregator: 'sum',
    });
  }
}
