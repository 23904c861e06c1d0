import type { HistogramDefinition, MetricDefinition } from './types.js';

/** Latency buckets, in seconds: from a near-cache hit (sub-millisecond) to a slow remote store. */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Every metric Cloakroom records, by the name a component asks its {@link Metrics} for. Names carry the
 * `cloakroom_` prefix; label names are fixed; label values are bounded and never secret (docs/observability.md
 * lists each metric with its values).
 */
export const METRICS = {
  /** Each session store call: `operation` (get, create, touch, replace, delete, list_by_user, delete_by_user, delete_expired), `backend` (as given to `instrumentStore`), `outcome` (ok, error). */
  storeOperationSeconds: {
    name: 'cloakroom_store_operation_seconds',
    help: 'Session store calls by operation, backend and outcome (ok, error), in seconds.',
    labelNames: ['operation', 'backend', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  /** Each session validation: `outcome` is `valid`, an `InvalidSessionReason` (`missing`, `bad_signature`, `not_found`, `idle_expired`…) or `store_unavailable`. */
  sessionValidations: {
    name: 'cloakroom_session_validations_total',
    help: 'Session validations by outcome (valid, or why not: missing, malformed, bad_signature, not_found, secret_mismatch, idle_expired, expired, user_not_found, store_unavailable).',
    labelNames: ['outcome'],
  },
  /** Near-cache reads while serving from memory: `result` is `hit` or `miss`. */
  nearCacheLookups: {
    name: 'cloakroom_near_cache_lookups_total',
    help: 'Near-cache lookups by result (hit, miss).',
    labelNames: ['result'],
  },
  /** Invalidation messages from other processes: `scope` is `session`, `user` or `all`. */
  nearCacheInvalidations: {
    name: 'cloakroom_near_cache_invalidations_received_total',
    help: 'Invalidation messages received from other processes, by scope (session, user, all).',
    labelNames: ['scope'],
  },
  /** From an invalidation's publication (the sender's clock) to its receipt here (this process's clock). */
  revocationFanoutSeconds: {
    name: 'cloakroom_revocation_fanout_seconds',
    help: 'Time from the publication of an invalidation to its receipt by this process, in seconds (clocks of two hosts: skew adds to it).',
    labelNames: [],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  },
  /** Sign-ins: `outcome` (succeeded, failed, throttled), `method` (password, registration, federation…, empty for throttled), `reason` (empty unless failed). */
  signIns: {
    name: 'cloakroom_sign_ins_total',
    help: 'Sign-ins by outcome (succeeded, failed, throttled), method and failure reason.',
    labelNames: ['outcome', 'method', 'reason'],
  },
  /** Every security event of `cloakroom/events`, by `type`. */
  securityEvents: {
    name: 'cloakroom_security_events_total',
    help: 'Security events by type (docs/events.md).',
    labelNames: ['type'],
  },
  /** Token endpoint requests: `grant` (refresh_token, client_credentials, token_exchange, session, other), `outcome` (issued, or the OAuth error code). */
  tokenIssuance: {
    name: 'cloakroom_token_issuance_total',
    help: 'Token requests by grant and outcome (issued, or the OAuth error code).',
    labelNames: ['grant', 'outcome'],
  },
  /** Access-token verifications: `outcome` is `valid` or the `InvalidTokenError` code. */
  tokenVerifications: {
    name: 'cloakroom_token_verifications_total',
    help: 'Access-token verifications by outcome (valid, or the error code).',
    labelNames: ['outcome'],
  },
  /** HTTP requests (the reference site): `method`, `route` (the router's pattern, never the raw path), `status`. */
  httpRequests: {
    name: 'cloakroom_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
  },
  /** HTTP request durations (the reference site), by `method` and `route` pattern. */
  httpRequestSeconds: {
    name: 'cloakroom_http_request_duration_seconds',
    help: 'HTTP request durations by method and route pattern, in seconds.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
  },
} as const satisfies Record<string, MetricDefinition | HistogramDefinition>;
