import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import {
  AccountRecovery,
  Accounts,
  Mailer,
  pendingSignInCookie,
  TotpSecretBox,
  TwoFactor,
} from 'cloakroom/accounts';
import type {
  MailTransport,
  MfaStore,
  PendingSignInCookie,
  PendingSignInStore,
  SecretBoxKey,
  OneTimeTokenStore,
  PasswordHasher,
  RecoveryLimits,
  RecoveryUserStore,
  UserLockStore,
} from 'cloakroom/accounts';
import {
  POSTGRES_ACCOUNT_USERS_JOIN,
  PostgresAttemptStore,
  PostgresOneTimeTokenStore,
  PostgresUserStore,
  PostgresIdentityStore,
  PostgresMfaStore,
  PostgresPendingSignInStore,
} from 'cloakroom/accounts/postgres';
import { RedisAttemptStore, RedisPendingSignInStore } from 'cloakroom/accounts/redis';
import {
  ACCOUNT_USERS_JOIN,
  SqliteAttemptStore,
  SqliteIdentityStore,
  SqliteMfaStore,
  SqliteOneTimeTokenStore,
  SqlitePendingSignInStore,
  SqliteUserStore,
} from 'cloakroom/accounts/sqlite';
import type { IdentityStore } from 'cloakroom/accounts';
import { sitePasskeys } from './passkeys.js';
import type { Passkeys } from 'cloakroom/accounts';
import { PostgresFederationStateStore } from 'cloakroom/federation';
import { RedisFederationStateStore } from 'cloakroom/federation';
import { SqliteFederationStateStore } from 'cloakroom/federation';
import type { FederationStateStore } from 'cloakroom/federation';
import type { ThrottleRule } from 'cloakroom/accounts';
import type { AttemptStore } from 'cloakroom/accounts';
import { FileOutbox } from './mail/outbox.js';
import { systemClock, type Clock } from 'cloakroom';
import { SessionManager } from 'cloakroom/session';
import {
  CachedStore,
  PostgresInvalidator,
  RedisInvalidator,
  SqliteInvalidator,
  type Invalidator,
} from 'cloakroom/stores/cached';
import { guardPool, PostgresStore, postgresPoolOptions } from 'cloakroom/stores/postgres';
import { redisClientOptions, redisClusterOptions, type RedisClient } from 'cloakroom/stores/redis';
import { RedisStore } from 'cloakroom/stores/redis';
import { SqliteStore } from 'cloakroom/stores/sqlite';
import type { SessionStore } from 'cloakroom/stores';
import { parseDynamoDBUrl, type AppConfig } from './config.js';
import { openDynamoDBSessions } from './dynamodb.js';
import { openDatabase } from './database.js';
import { importBackend } from './optional.js';
import { SiteFederation } from './federation/service.js';
import { followProviderSessions } from './federation/provider-sessions.js';
import type { AppUser } from './http/env.js';
import { sitePostgresMigrations } from './migrations.js';
import { PostgresNotes } from './notes-postgres.js';
import { SqliteNotes, type NotesRepository } from './notes.js';
import {
  revokeRefreshTokensWithSessions,
  type ClientStore,
  type RefreshTokenStore,
} from 'cloakroom/tokens/issuer';
import { PostgresClientStore, PostgresRefreshTokenStore } from 'cloakroom/tokens/issuer/postgres';
import { SqliteClientStore, SqliteRefreshTokenStore } from 'cloakroom/tokens/issuer/sqlite';
import { createTokenServices, type TokenServices } from './tokens/services.js';
import { createSiteMigration, siteMigrationStore } from './migrate/services.js';
import type { MigrationStore } from 'cloakroom/migrate';
import { countEvents, instrumentStore, type Metrics } from 'cloakroom/metrics';
import { SiteMetrics } from './metrics/prometheus.js';
import { EventStream } from 'cloakroom/events';
import { ActivityLog } from './activity/log.js';
import { PostgresActivity } from './activity/postgres.js';
import { SqliteActivity } from './activity/sqlite.js';
import type { ActivityRepository, SiteActivity } from './activity/types.js';

/** What the routes work with, built once per process. */
export interface AppServices {
  config: AppConfig;
  /** The SQLite database under the data folder, or `null` when PostgreSQL holds the site's data. */
  db: Database | null;
  sessions: SessionManager<AppUser>;
  /** The account store (SQLite or PostgreSQL): what `cloakroom admin` looks users up in and locks. */
  users: RecoveryUserStore & UserLockStore;
  accounts: Accounts<AppUser>;
  /** TOTP two-factor sign-in, recovery codes and the pending second step (docs/two-factor.md). */
  twoFactor: TwoFactor;
  /** The cookie of a sign-in waiting for its second step. */
  pendingCookie: PendingSignInCookie;
  /** Verified addresses, password reset, email change and deletion, by mail (docs/accounts.md). */
  recovery: AccountRecovery<AppUser>;
  /** Sends account mail in the background (`idle()` waits for what is under way). */
  mailer: Mailer;
  /** The development outbox, when mail goes there (no `CLOAKROOM_SMTP_URL`); `null` with SMTP. */
  outbox: FileOutbox | null;
  notes: NotesRepository;
  /** The token issuer (refresh tokens, clients, signing keys) and the API's bearer-token checks. */
  tokens: TokenServices;
  /** OpenID Connect sign-in with the providers of `CLOAKROOM_OIDC_CONFIG` (none without it). */
  federation: SiteFederation;
  /** Passkeys (WebAuthn) for the site's origin: records with the users, challenges with the sign-in state. */
  passkeys: Passkeys;
  /** Where legacy-credential exchanges are recorded (`CLOAKROOM_MIGRATE_CONFIG`), or `null` without it. */
  migrationStore: MigrationStore | null;
  /** The Prometheus registry behind `GET /metrics` (`CLOAKROOM_METRICS=on`), or `null` when off. */
  metrics: SiteMetrics | null;
  /**
   * The security event stream (`cloakroom/events`) of the sessions, accounts, token issuer and federation:
   * subscribe to it (the activity log does; so can metrics).
   */
  events: EventStream;
  /** Users' recent security events, kept 90 days (docs/events.md). */
  activity: SiteActivity;
  log: Logger;
  /** Whether every store the site uses answers (for `/healthz`). */
  healthy(): Promise<boolean>;
  /** Closes every connection. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  config: AppConfig;
  sessionKeys: string[];
  /** The keys that encrypt TOTP secrets (`secrets.json`'s `mfaKeys`), first one encrypting. */
  mfaKeys: SecretBoxKey[];
  log: Logger;
  clock?: Clock;
  /** Tests pass cheaper argon2 parameters or tighter throttling. */
  hasher?: PasswordHasher;
  throttle?: { account?: ThrottleRule; address?: ThrottleRule; registration?: ThrottleRule };
  /** Tests lift or tighten the recovery limits. */
  recoveryLimits?: RecoveryLimits;
  /** Delays between mail retries (default 1 s, 5 s, 30 s). */
  mailRetryDelaysMs?: readonly number[];
  /** Told when a mail is given up on (after the log line): `cloakroom admin force-reset` reports it. */
  onMailError?: () => void;
}

interface Backends {
  db: Database | null;
  users: RecoveryUserStore & UserLockStore;
  /** Second factors live with the users (SQLite or PostgreSQL); pending sign-ins move to Redis with it. */
  mfa: MfaStore;
  mfaPending: PendingSignInStore;
  /** One-time links live with the users (SQLite or PostgreSQL), never in Redis. */
  oneTimeTokens: OneTimeTokenStore;
  attempts: AttemptStore;
  notes: NotesRepository;
  /** Users' security events live with the users and notes (SQLite or PostgreSQL). */
  activity: ActivityRepository;
  store: SessionStore<AppUser>;
  /** The issuer's stores: always the durable database (SQLite or PostgreSQL), never Redis. */
  tokens: { refresh: RefreshTokenStore; clients: ClientStore };
  /** Identity links live with the users; federation records (pre-login, logout ids) with the sessions. */
  identities: IdentityStore;
  federationState: FederationStateStore;
  /** How a near-cache in front of `store` tells the other processes of a revocation (CLOAKROOM_NEAR_CACHE). */
  invalidator: () => Invalidator;
  checks: (() => Promise<unknown>)[];
  /** The Redis client when sessions live in Redis (`CLOAKROOM_STORE`). */
  redis: RedisClient | null;
  /** The PostgreSQL pool when the site's data lives there (`CLOAKROOM_DATABASE_URL`). */
  pool: import('pg').Pool | null;
  closers: (() => Promise<void> | void)[];
  /** Wraps a backend's session store in `instrumentStore` when metrics or tracing is on (else as it is). */
  observe: <U>(store: SessionStore<U>, backend: string) => SessionStore<U>;
  /** The metrics the near-cache records to, when on. */
  metrics: Metrics | undefined;
}

/**
 * Builds the site on its stores: SQLite under the data folder by default; PostgreSQL for users, notes,
 * throttling and sessions with `CLOAKROOM_DATABASE_URL`; Redis (or a Redis Cluster) for sessions and
 * throttling with `CLOAKROOM_STORE`, so several processes share them; or DynamoDB for sessions alone with
 * `CLOAKROOM_STORE=dynamodb://…`.
 */
export async function createServices(options: ServiceOptions): Promise<AppServices> {
  const { config, log } = options;
  const site = config.metrics.enabled ? new SiteMetrics() : null;
  const metrics = site?.metrics;
  const tracing = config.tracing;
  const backends =
    config.databaseUrl === undefined ? sqliteBackends(config) : await postgresBackends(config, log);
  backends.metrics = metrics;
  backends.observe = (store, backend) =>
    metrics === undefined && !tracing ? store : instrumentStore(store, { backend, metrics, tracing });
  backends.store = backends.observe(backends.store, config.databaseUrl === undefined ? 'sqlite' : 'postgres');
  if (config.store?.startsWith('dynamodb:') === true) await useDynamoDB(backends, config, config.store, log);
  else if (config.store !== undefined) await useRedis(backends, config, config.store, log);
  else if (config.nearCache) await useNearCache(backends, backends.store, backends.invalidator(), log);

  const clock = options.clock ?? systemClock;
  const events = new EventStream();
  const activity: SiteActivity = {
    repository: backends.activity,
    log: new ActivityLog({ repository: backends.activity, log, clock }),
    clock,
  };
  events.subscribe(activity.log.onEvent);
  // Sign-ins by outcome and every event by type, on /metrics.
  if (metrics !== undefined) events.subscribe(countEvents(metrics));
  const tokens = await createTokenServices({
    origin: config.origin,
    dataDir: config.dataDir,
    config: config.tokens,
    stores: backends.tokens,
    sessionStore: backends.store,
    clock: options.clock ?? systemClock,
    log,
    onEvent: events.onEvent,
  });
  backends.closers.push(() => {
    tokens.close();
  });
  // Before the database closes (closers run last first): the activity writes under way finish.
  backends.closers.push(() => activity.log.idle());
  const migrationStore = config.migrate === undefined ? null : siteMigrationStore(backends);
  const migration =
    config.migrate === undefined || migrationStore === null
      ? undefined
      : await createSiteMigration({
          config: config.migrate,
          users: backends.users,
          store: migrationStore,
          log,
          closers: backends.closers,
        });
  const sessions = new SessionManager<AppUser>({
    // Ending a session also revokes the refresh tokens minted from it; rotating one keeps it in the set
    // of its provider session, so back-channel logout still ends it.
    store: followProviderSessions(
      revokeRefreshTokensWithSessions(backends.store, tokens.refresh),
      backends.federationState,
      options.clock ?? systemClock,
    ),
    origin: config.origin,
    keys: options.sessionKeys,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    clock: options.clock,
    ...(migration === undefined ? {} : { migration }),
    ...(metrics === undefined ? {} : { metrics }),
    tracing,
    onEvent: events.onEvent,
  });
  const accounts = new Accounts<AppUser>({
    users: backends.users,
    attempts: backends.attempts,
    sessionUser: (user) => ({ id: user.id, email: user.email }),
    sessions,
    hasher: options.hasher,
    throttle: options.throttle,
    clock: options.clock,
  });
  const twoFactor = new TwoFactor({
    store: backends.mfa,
    pending: backends.mfaPending,
    secretBox: new TotpSecretBox(options.mfaKeys),
    users: backends.users,
    attempts: backends.attempts,
    issuer: new URL(config.origin).host,
    throttle: options.throttle,
    clock: options.clock,
  });
  const outbox = config.mail.smtpUrl === undefined ? new FileOutbox(config.dataDir) : null;
  const transport: MailTransport = outbox ?? (await smtpTransport(config.mail.smtpUrl ?? ''));
  // Mail still under way is given its chance before the connections close.
  backends.closers.push(async () => {
    await Promise.race([mailer.idle(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await transport.close?.();
  });
  const mailer = new Mailer({
    transport,
    from: config.mail.from,
    retryDelaysMs: options.mailRetryDelaysMs,
    // The kind and the error only: never the recipient, the mail or its link.
    onError: ({ kind, attempt, final, error }) => {
      log.warn(
        { kind, attempt, final, err: error.message },
        final ? 'mail not sent' : 'mail send failed; retrying',
      );
      if (final) options.onMailError?.();
    },
  });
  const passkeys = sitePasskeys(config, backends, options.clock);
  const recovery = new AccountRecovery<AppUser>({
    accounts,
    users: backends.users,
    tokens: backends.oneTimeTokens,
    attempts: backends.attempts,
    sessions,
    mailer,
    origin: config.origin,
    hasher: options.hasher,
    clock: options.clock,
    limits: options.recoveryLimits,
    sessionUser: (user) => ({ id: user.id, email: user.email }),
    passkeys,
    twoFactor,
  });
  const federation = new SiteFederation({
    providers: config.oidcProviders,
    origin: config.origin,
    users: backends.users,
    identities: backends.identities,
    state: backends.federationState,
    attempts: backends.attempts,
    sessions,
    log,
    clock: options.clock,
  });
  return {
    config,
    db: backends.db,
    sessions,
    users: backends.users,
    accounts,
    twoFactor,
    pendingCookie: pendingSignInCookie(config.origin),
    recovery,
    mailer,
    outbox,
    notes: backends.notes,
    tokens,
    federation,
    passkeys,
    migrationStore,
    metrics: site,
    events,
    activity,
    log,
    healthy: async () => {
      try {
        await Promise.all(backends.checks.map((check) => check()));
        return true;
      } catch (error) {
        log.error({ err: error instanceof Error ? error.message : 'unknown' }, 'health check failed');
        return false;
      }
    },
    close: async () => {
      for (const close of backends.closers.reverse()) await close();
    },
  };
}

function sqliteBackends(config: AppConfig): Backends {
  const db = openDatabase(config.dataDir);
  return {
    db,
    users: new SqliteUserStore(db),
    oneTimeTokens: new SqliteOneTimeTokenStore(db),
    mfa: new SqliteMfaStore(db),
    mfaPending: new SqlitePendingSignInStore(db),
    attempts: new SqliteAttemptStore(db),
    notes: new SqliteNotes(db),
    activity: new SqliteActivity(db),
    store: new SqliteStore<AppUser>(db, { users: ACCOUNT_USERS_JOIN }),
    tokens: { refresh: new SqliteRefreshTokenStore(db), clients: new SqliteClientStore(db) },
    identities: new SqliteIdentityStore(db),
    federationState: new SqliteFederationStateStore(db),
    // Processes sharing one data folder evict each other's cached sessions through the SQLite file itself.
    invalidator: () => new SqliteInvalidator(db),
    checks: [() => Promise.resolve(db.prepare('SELECT 1').get())],
    redis: null,
    pool: null,
    closers: [
      () => {
        db.close();
      },
    ],
    observe: (store) => store,
    metrics: undefined,
  };
}

async function postgresBackends(config: AppConfig, log: Logger): Promise<Backends> {
  const { default: pg } = await importBackend<{ default: typeof import('pg') }>(
    'pg',
    'CLOAKROOM_DATABASE_URL (PostgreSQL)',
  );
  const pool = new pg.Pool(postgresPoolOptions({ connectionString: config.databaseUrl }));
  guardPool(pool, (error) => {
    log.warn({ err: error.message }, 'PostgreSQL connection lost');
  });
  await sitePostgresMigrations().migrate(pool);
  return {
    db: null,
    users: new PostgresUserStore(pool),
    oneTimeTokens: new PostgresOneTimeTokenStore(pool),
    mfa: new PostgresMfaStore(pool),
    mfaPending: new PostgresPendingSignInStore(pool),
    attempts: new PostgresAttemptStore(pool),
    notes: new PostgresNotes(pool),
    activity: new PostgresActivity(pool),
    store: await PostgresStore.create<AppUser>(pool, { users: POSTGRES_ACCOUNT_USERS_JOIN }),
    tokens: { refresh: new PostgresRefreshTokenStore(pool), clients: new PostgresClientStore(pool) },
    identities: new PostgresIdentityStore(pool),
    federationState: new PostgresFederationStateStore(pool),
    invalidator: () => new PostgresInvalidator(pool),
    checks: [() => pool.query('SELECT 1')],
    redis: null,
    pool,
    closers: [() => pool.end()],
    observe: (store) => store,
    metrics: undefined,
  };
}

/** Sessions and throttling move to Redis; the user comes from the user store (SQLite or PostgreSQL). */
async function useRedis(backends: Backends, config: AppConfig, url: string, log: Logger): Promise<void> {
  const client = await connectRedis(url);
  client.on('error', (error: Error) => {
    log.warn({ err: error.message }, 'Redis connection error');
  });
  // The offline queue is off: wait until the client is ready, so the first requests do not fail.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('Redis did not become ready within 10 s'));
    }, 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const { users } = backends;
  const redisStore = backends.observe(
    new RedisStore<AppUser>(client, {
      loadUser: async (id) => {
        const user = await users.findById(id);
        return user === null ? null : { id: user.id, email: user.email };
      },
    }),
    'redis',
  );
  if (config.nearCache) await useNearCache(backends, redisStore, new RedisInvalidator(client), log);
  else backends.store = redisStore;
  backends.attempts = new RedisAttemptStore(client);
  backends.mfaPending = new RedisPendingSignInStore(client);
  backends.federationState = new RedisFederationStateStore(client);
  backends.checks.push(() => client.ping());
  backends.redis = client;
  backends.closers.push(() => {
    client.disconnect();
  });
}

/**
 * Sessions move to DynamoDB; the user comes from the user store, and sign-in throttling and federation state
 * stay in the database (SQLite or PostgreSQL): DynamoDB holds the sessions only. With the near-cache on, its
 * evictions travel over the database's own channel (PostgreSQL LISTEN/NOTIFY, or the SQLite file between
 * processes of one host), since DynamoDB has no pub/sub (docs/stores.md, "DynamoDB").
 */
async function useDynamoDB(backends: Backends, config: AppConfig, url: string, log: Logger): Promise<void> {
  const { users } = backends;
  const sessions = await openDynamoDBSessions(parseDynamoDBUrl(url), async (id) => {
    const user = await users.findById(id);
    return user === null ? null : { id: user.id, email: user.email };
  });
  backends.checks.push(sessions.check);
  backends.closers.push(sessions.close);
  const store = backends.observe(sessions.store, 'dynamodb');
  if (config.nearCache) await useNearCache(backends, store, backends.invalidator(), log);
  else backends.store = store;
}

/**
 * Puts the near-cache in front of `store` (the backends' session store from then on); it is closed, and
 * stops polling or listening, with the site.
 */
async function useNearCache(
  backends: Backends,
  store: SessionStore<AppUser>,
  invalidator: Invalidator,
  log: Logger,
): Promise<void> {
  const cached = await CachedStore.create(store, {
    invalidator,
    ...(backends.metrics === undefined ? {} : { metrics: backends.metrics }),
    onError: (error) => {
      log.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'near-cache invalidation failed');
    },
  });
  backends.store = cached;
  // Before the database's own closer, which runs later (closers run last first).
  backends.closers.push(() => cached.close());
}

/** Loaded only when SMTP is configured: nodemailer stays out of a site that writes to the outbox. */
async function smtpTransport(url: string): Promise<MailTransport> {
  const { SmtpTransport } = await import('cloakroom/accounts/smtp');
  return new SmtpTransport({ url });
}

async function connectRedis(url: string): Promise<RedisClient> {
  const { Cluster, Redis } = await importBackend<typeof import('ioredis')>(
    'ioredis',
    'CLOAKROOM_STORE (Redis)',
  );
  if (url.startsWith('redis+cluster://')) {
    const nodes = url
      .slice('redis+cluster://'.length)
      .split(',')
      .map((node) => {
        const parsed = new URL(`redis://${node}`);
        return { host: parsed.hostname, port: Number(parsed.port || 6379) };
      });
    return new Cluster(nodes, redisClusterOptions({ maxReconnectDelayMs: 1000 }));
  }
  // Reconnect backoff capped at 1 s, so service is back within about a second of the store.
  return new Redis(url, redisClientOptions({ maxReconnectDelayMs: 1000 }));
}
