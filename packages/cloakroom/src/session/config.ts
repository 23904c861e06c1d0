import { systemClock, type Clock } from '../clock.js';
import type { SessionStore } from '../stores/index.js';
import { resolveCookieSettings, type CookieSettings, type SessionCookieOptions } from './cookie.js';
import { Keyring } from './keyring.js';
import { normalizeOrigin } from './origin.js';
import type { LegacyExchange } from './legacy.js';
import { resolveEventSink, type EventSink } from '../events/index.js';
import type { Metrics } from '../metrics/index.js';
import { resolveSessionTelemetry, type SessionTelemetry } from './telemetry.js';

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

export interface SessionManagerOptions<U> {
  /** Where sessions live. */
  store: SessionStore<U>;
  /**
   * The site's public origin, e.g. `https://example.com`. It sets the cookie's security (https: Secure and
   * `__Host-`; plain http only on loopback hosts) and is trusted by the cross-site request checks.
   */
  origin: string;
  /**
   * Cookie signing secrets, newest first: the first signs, all verify. Each at least 32 random bytes.
   * Required unless `signed` is `false`.
   */
  keys?: readonly (string | Uint8Array)[];
  /**
   * `true` (default): cookies carry a truncated HMAC, so forged cookies are refused before any store read.
   * Turning it off keeps sessions secure (the secret is still checked) but lets random cookies reach the store.
   */
  signed?: boolean;
  /** A session unused for this long expires. Default 7 days. */
  idleTimeoutSeconds?: number;
  /** A session expires this long after sign-in, however active. Default 30 days. */
  absoluteTimeoutSeconds?: number;
  /**
   * The least time between two recorded uses of a session (last-seen and sliding expiry): renewal writes to
   * the store at most this often per session. Default 60 seconds, and never more than half the idle timeout.
   */
  touchIntervalSeconds?: number;
  cookie?: SessionCookieOptions;
  /** Further origins trusted by the cross-site request checks, besides `origin`. */
  trustedOrigins?: readonly string[];
  /** Time source; inject one in tests instead of sleeping. */
  clock?: Clock;
  /**
   * Exchanges a legacy credential (a JWT, an iron-session or express-session cookie) for a Cloakroom
   * session on a request that has no valid Cloakroom cookie; made by `createMigration` of
   * `cloakroom/migrate`. A request with a valid Cloakroom cookie never reaches it.
   */
  migration?: LegacyExchange<U>;
  /**
   * Told of every security event of the session layer and of what is built on this manager (accounts,
   * federation): sign-ins, sign-outs, revocations, CSRF refusals, store outages (`cloakroom/events`). Called
   * synchronously; a throw is caught and a returned promise never awaited, so it cannot break a request.
   */
  onEvent?: EventSink;
  /**
   * Where to count validations by outcome (`cloakroom_session_validations_total`, `cloakroom/metrics`).
   * Default: nowhere, at no cost.
   */
  metrics?: Metrics;
  /**
   * Spans around validations (`cloakroom.session.validate`) and the sign-ins of what is built on this manager,
   * through `@opentelemetry/api` (a no-op until the application registers an SDK). Default `false`.
   */
  tracing?: boolean;
}

/** The resolved, validated settings every session operation works from. */
export interface SessionConfig<U> {
  readonly store: SessionStore<U>;
  readonly origin: string;
  readonly keyring: Keyring | null;
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly touchIntervalMs: number;
  readonly cookie: CookieSettings;
  readonly trustedOrigins: ReadonlySet<string>;
  readonly clock: Clock;
  readonly migration: LegacyExchange<U> | null;
  /** The `onEvent` hook, or `null` (then no event is even built). */
  readonly onEvent: EventSink | null;
  /** Validation metrics and spans, or `null` when neither `metrics` nor `tracing` is on. */
  readonly telemetry: SessionTelemetry | null;
}

export function resolveSessionConfig<U>(options: SessionManagerOptions<U>): SessionConfig<U> {
  // Options may come from plain JavaScript or a config file: check their runtime types too.
  const given: unknown = options;
  if (typeof given !== 'object' || given === null) throw new TypeError('options are required');
  const store: unknown = options.store;
  if (typeof store !== 'object' || store === null) throw new TypeError('store is required');
  if (typeof options.origin !== 'string') throw new TypeError('origin is required, e.g. https://example.com');
  const origin = normalizeOrigin(options.origin);

  const signed: unknown = options.signed ?? true;
  if (typeof signed !== 'boolean') throw new TypeError('signed must be a boolean');
  if (!signed && options.keys !== undefined) {
    throw new TypeError('keys were given but signed is false: remove one of the two');
  }
  const keyring = signed ? new Keyring(options.keys ?? []) : null;

  const idle = seconds(options.idleTimeoutSeconds, 7 * DAY, 'idleTimeoutSeconds');
  const absolute = seconds(options.absoluteTimeoutSeconds, 30 * DAY, 'absoluteTimeoutSeconds');
  if (idle > absolute) throw new TypeError('idleTimeoutSeconds must not exceed absoluteTimeoutSeconds');
  const touch = seconds(options.touchIntervalSeconds, Math.min(MINUTE, idle / 2), 'touchIntervalSeconds');
  if (touch > idle / 2)
    throw new TypeError('touchIntervalSeconds must be at most half of idleTimeoutSeconds');

  const trustedOrigins = new Set([origin]);
  for (const extra of options.trustedOrigins ?? [])
    trustedOrigins.add(normalizeOrigin(extra, 'trustedOrigins'));

  return {
    store: options.store,
    origin,
    keyring,
    idleTimeoutMs: idle * 1000,
    absoluteTimeoutMs: absolute * 1000,
    touchIntervalMs: touch * 1000,
    cookie: resolveCookieSettings(origin, options.cookie),
    trustedOrigins,
    clock: options.clock ?? systemClock,
    migration: legacyExchange(options.migration),
    onEvent: resolveEventSink(options.onEvent),
    telemetry: resolveSessionTelemetry(options),
  };
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of seconds`);
  }
  return value;
}

function legacyExchange<U>(value: LegacyExchange<U> | undefined): LegacyExchange<U> | null {
  if (value === undefined) return null;
  const given: unknown = value;
  if (typeof given !== 'object' || given === null || typeof value.exchange !== 'function') {
    throw new TypeError('migration must be made by createMigration (cloakroom/migrate)');
  }
  return value;
}
