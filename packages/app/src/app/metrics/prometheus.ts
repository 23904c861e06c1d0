import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRICS, type Labels, type Metrics } from 'cloakroom/metrics';
import { SeriesCounter, SeriesHistogram } from './series.js';

/**
 * `cloakroom/metrics`' interface over a prom-client registry: each definition becomes one metric registered
 * there, recorded as plain numbers per series (`series.ts` says why) and formatted by prom-client at scrape.
 * Asking twice for one name returns the same metric (the session manager and the near-cache may both be
 * built more than once in tests).
 */
export function promMetrics(registry: Registry): Metrics {
  const made = new Map<string, SeriesCounter | SeriesHistogram>();
  const register = <M extends SeriesCounter | SeriesHistogram>(metric: M): M => {
    registry.registerMetric(metric.asPromMetric());
    made.set(metric.name, metric);
    return metric;
  };
  return {
    counter: (definition) => {
      const known = made.get(definition.name);
      return known instanceof SeriesCounter ? known : register(new SeriesCounter(definition));
    },
    histogram: (definition) => {
      const known = made.get(definition.name);
      return known instanceof SeriesHistogram ? known : register(new SeriesHistogram(definition));
    },
  };
}

interface RequestLabels {
  requests: Labels;
  duration: Labels;
}

/** The site's metrics: a registry with Node's process metrics, the library's metrics and the HTTP ones. */
export class SiteMetrics {
  readonly registry = new Registry();
  readonly metrics: Metrics;
  readonly #requests;
  readonly #durations;
  /** The label objects of each method, route and status, made once: the request path allocates none. */
  readonly #labels = new Map<string, Map<string, Map<number, RequestLabels>>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.metrics = promMetrics(this.registry);
    this.#requests = this.metrics.counter(METRICS.httpRequests);
    this.#durations = this.metrics.histogram(METRICS.httpRequestSeconds);
  }

  /** Records one answered request: `route` is the router's pattern (`/api/notes/:id`), never the raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.#labels.get(route);
    if (byMethod === undefined)
      this.#labels.set(route, (byMethod = new Map<string, Map<number, RequestLabels>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, RequestLabels>()));
    let labels = byStatus.get(status);
    if (labels === undefined) {
      labels = { requests: { method, route, status: String(status) }, duration: { method, route } };
      byStatus.set(status, labels);
    }
    this.#requests.inc(labels.requests);
    this.#durations.observe(labels.duration, seconds);
  }

  /** The text exposition, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
