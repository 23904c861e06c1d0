import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { METRICS, type Metrics } from 'cloakroom/metrics';

/**
 * `cloakroom/metrics`' interface over a prom-client registry: each definition becomes one prom-client metric
 * registered there. Asking twice for one name returns the same metric (the session manager and the
 * near-cache may both be built more than once in tests).
 */
export function promMetrics(registry: Registry): Metrics {
  const made = new Map<string, unknown>();
  return {
    counter: (definition) => {
      let counter = made.get(definition.name) as Counter | undefined;
      if (counter === undefined) {
        counter = new Counter({
          name: definition.name,
          help: definition.help,
          labelNames: [...definition.labelNames],
          registers: [registry],
        });
        made.set(definition.name, counter);
      }
      const metric = counter;
      return {
        inc: (labels, value) => {
          metric.inc(labels, value ?? 1);
        },
      };
    },
    histogram: (definition) => {
      let histogram = made.get(definition.name) as Histogram | undefined;
      if (histogram === undefined) {
        histogram = new Histogram({
          name: definition.name,
          help: definition.help,
          labelNames: [...definition.labelNames],
          buckets: [...definition.buckets],
          registers: [registry],
        });
        made.set(definition.name, histogram);
      }
      const metric = histogram;
      return {
        observe: (labels, value) => {
          metric.observe(labels, value);
        },
      };
    },
  };
}

/** The site's metrics: a registry with Node's process metrics, the library's metrics and the HTTP ones. */
export class SiteMetrics {
  readonly registry = new Registry();
  readonly metrics: Metrics;
  readonly #requests;
  readonly #durations;
  readonly #labels = new Map<
    string,
    { requests: Record<string, string>; duration: Record<string, string> }
  >();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.metrics = promMetrics(this.registry);
    this.#requests = this.metrics.counter(METRICS.httpRequests);
    this.#durations = this.metrics.histogram(METRICS.httpRequestSeconds);
  }

  /** Records one answered request: `route` is the router's pattern (`/api/notes/:id`), never the raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${String(status)}`;
    let labels = this.#labels.get(key);
    if (labels === undefined) {
      labels = { requests: { method, route, status: String(status) }, duration: { method, route } };
      this.#labels.set(key, labels);
    }
    this.#requests.inc(labels.requests);
    this.#durations.observe(labels.duration, seconds);
  }

  /** The text exposition, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
