/**
 * `cloakroom/metrics`: metrics and traces. A small {@link Metrics} interface (counters and histograms with
 * fixed label names, adapted by the application to its own registry) that the session manager, the
 * near-cache, {@link instrumentStore} and {@link countEvents} record to, and spans through
 * `@opentelemetry/api` (a no-op until the application registers an OpenTelemetry SDK). Nothing is recorded
 * unless given a `Metrics`, and no span is made unless `tracing` is on. No label or span attribute carries
 * a secret. See docs/observability.md.
 *
 * @example
 * ```ts
 * import { countEvents, instrumentStore, type Metrics } from 'cloakroom/metrics';
 * const metrics: Metrics = promMetrics(registry); // your adapter, see Metrics
 * const sessions = createSessionManager({
 *   store: instrumentStore(new SqliteStore(db), { backend: 'sqlite', metrics, tracing: true }),
 *   origin, keys, metrics, tracing: true, onEvent: countEvents(metrics),
 * });
 * ```
 *
 * @packageDocumentation
 */
export type { Counter, Histogram, HistogramDefinition, Labels, MetricDefinition, Metrics } from './types.js';
export { noopMetrics } from './noop.js';
export { METRICS } from './definitions.js';
export { instrumentStore, type InstrumentStoreOptions } from './instrument-store.js';
export { countEvents } from './events.js';
export { cloakroomTracer, errorLabel, inSpan, TRACER_NAME } from './tracing.js';
