import { resolve } from 'node:path';
import { isLoopbackOrigin, normalizeOrigin } from 'cloakroom/session';
import type { ProviderSettings } from 'cloakroom/federation';
import { trustedProxies, type TrustedProxies } from 'cloakroom/http';
import { readProvidersFile } from './federation/providers-file.js';
import { tokenConfigFromEnv, type TokenConfig } from './tokens/config.js';
import { readMigrateFile, type MigrateConfig } from './migrate/config-file.js';

/** Everything the reference site needs to start; read from the environment by {@link configFromEnv}. */
export interface AppConfig {
  host: string;
  port: number;
  /** Where the SQLite database and the generated secrets live. */
  dataDir: string;
  /** The public origin, used for the cookie's security, the CSRF checks and links. */
  origin: string;
  idleTimeoutSeconds: number | undefined;
  absoluteTimeoutSeconds: number | undefined;
  logLevel: string;
  /**
   * Where sessions (and sign-in throttling) live when not in SQLite: `redis://host:port[/db]`,
   * `rediss://…`, or `redis+cluster://host:port,host:port,…`; or sessions alone in DynamoDB,
   * `dynamodb://<table>?region=<r>&endpoint=<url>` (see {@link parseDynamoDBUrl}). From `CLOAKROOM_STORE`.
   */
  store: string | undefined;
  /**
   * PostgreSQL for users, notes (and sessions, unless `store` says Redis): `postgres://…`. From
   * `CLOAKROOM_DATABASE_URL`. Without it everything stays in SQLite under the data folder.
   */
  databaseUrl: string | undefined;
  /**
   * Keep validated sessions in an in-process near-cache, evicted on every process when a session is
   * revoked: through Redis pub/sub in front of Redis (`store`), LISTEN/NOTIFY in front of PostgreSQL, a table
   * of the SQLite file in front of the embedded store (processes sharing one data folder). From
   * `CLOAKROOM_NEAR_CACHE` (`on`/`off`, default off).
   */
  nearCache: boolean;
  /** Access and refresh tokens (lifetimes, signing algorithm, extra audiences): see docs/tokens.md. */
  tokens: TokenConfig;
  /**
   * OpenID providers to sign in with, from the JSON file named by `CLOAKROOM_OIDC_CONFIG` (see
   * docs/federation.md). Empty without it.
   */
  oidcProviders: ProviderSettings[];
  /**
   * The reverse proxies in front of the site, from `CLOAKROOM_TRUSTED_PROXIES` (comma-separated CIDR
   * ranges). When the socket peer is one of them, the client address is the right-most `X-Forwarded-For` hop
   * that is not (see docs/app.md); `undefined` (the default) ignores the header.
   */
  trustedProxies: TrustedProxies | undefined;
  /**
   * Where account mail (verification and reset links, notices) goes: `smtpUrl` from `CLOAKROOM_SMTP_URL`
   * (`smtp://host:port`, `smtps://…`), the sender from `CLOAKROOM_MAIL_FROM` (default
   * `Cloakroom <no-reply@<origin's host>>`). Without `smtpUrl`, mail is written to the development outbox
   * under the data folder, which `serve` allows on a loopback origin only (see {@link mailProblem}).
   */
  mail: { smtpUrl: string | undefined; from: string };
  /**
   * Legacy sessions (JWT, iron-session, express-session) to exchange for Cloakroom sessions, from the JSON
   * file named by `CLOAKROOM_MIGRATE_CONFIG` (see docs/migrate.md). `undefined` without it.
   */
  migrate: MigrateConfig | undefined;
  /**
   * `GET /metrics` (Prometheus) and the metrics behind it: on with `CLOAKROOM_METRICS=on` (default off: the
   * path is then a 404 and nothing is recorded). `token` from `CLOAKROOM_METRICS_TOKEN`: with it `/metrics`
   * asks for `Authorization: Bearer <token>`; without it, it answers loopback clients only.
   */
  metrics: { enabled: boolean; token: string | undefined };
  /**
   * Spans through `@opentelemetry/api` around validation, sign-in, token issuance and the session store calls:
   * `CLOAKROOM_TRACING=on` (default off). The site installs no SDK: preload one (`node --import`) to export them.
   */
  tracing: boolean;
}

/** A configuration value that cannot be used; the message names the variable, never a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads `HOST` (default 127.0.0.1), `PORT` (3000), `CLOAKROOM_DATA_DIR` (./data), `CLOAKROOM_ORIGIN`
 * (http://localhost:$PORT), `CLOAKROOM_SESSION_IDLE_SECONDS`, `CLOAKROOM_SESSION_ABSOLUTE_SECONDS` and
 * `CLOAKROOM_LOG_LEVEL` (info). `overrides` (from command-line flags) win over the environment.
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  const port = overrides.port ?? integer(env.PORT, 'PORT', 3000, 0, 65535);
  const originText = overrides.origin ?? env.CLOAKROOM_ORIGIN ?? `http://localhost:${port}`;
  let origin: string;
  try {
    origin = normalizeOrigin(originText, 'CLOAKROOM_ORIGIN');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (origin.startsWith('http:') && !isLoopbackOrigin(origin)) {
    throw new ConfigError(
      'CLOAKROOM_ORIGIN must be https unless it is a loopback origin (localhost, 127.0.0.1, [::1])',
    );
  }
  const store = storeUrl(overrides.store ?? nonEmpty(env.CLOAKROOM_STORE));
  const nearCache = overrides.nearCache ?? flag(env.CLOAKROOM_NEAR_CACHE, 'CLOAKROOM_NEAR_CACHE');
  const proxies =
    overrides.trustedProxies ??
    proxyList(nonEmpty(env.CLOAKROOM_TRUSTED_PROXIES), 'CLOAKROOM_TRUSTED_PROXIES');
  return {
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port,
    dataDir: resolve(overrides.dataDir ?? env.CLOAKROOM_DATA_DIR ?? 'data'),
    origin,
    idleTimeoutSeconds:
      overrides.idleTimeoutSeconds ??
      optionalInteger(env.CLOAKROOM_SESSION_IDLE_SECONDS, 'CLOAKROOM_SESSION_IDLE_SECONDS'),
    absoluteTimeoutSeconds:
      overrides.absoluteTimeoutSeconds ??
      optionalInteger(env.CLOAKROOM_SESSION_ABSOLUTE_SECONDS, 'CLOAKROOM_SESSION_ABSOLUTE_SECONDS'),
    logLevel: overrides.logLevel ?? env.CLOAKROOM_LOG_LEVEL ?? 'info',
    store,
    databaseUrl: databaseUrl(overrides.databaseUrl ?? nonEmpty(env.CLOAKROOM_DATABASE_URL)),
    nearCache,
    trustedProxies: proxies,
    mail: overrides.mail ?? mailConfig(env, origin),
    oidcProviders: overrides.oidcProviders ?? oidcProviders(nonEmpty(env.CLOAKROOM_OIDC_CONFIG)),
    migrate: overrides.migrate ?? migrateConfig(nonEmpty(env.CLOAKROOM_MIGRATE_CONFIG)),
    metrics: overrides.metrics ?? metricsConfig(env),
    tracing: overrides.tracing ?? flag(env.CLOAKROOM_TRACING, 'CLOAKROOM_TRACING'),
    tokens:
      overrides.tokens ??
      tokenConfigFromEnv(env, (message) => {
        throw new ConfigError(message);
      }),
  };
}

function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return number;
}

function optionalInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  return integer(value, name, 0, 1, 10 * 365 * 24 * 3600);
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

function storeUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith('dynamodb:')) {
    parseDynamoDBUrl(value);
    return value;
  }
  if (!/^(redis|rediss|redis\+cluster):\/\/[^\s]+$/.test(value)) {
    // The message never repeats the value: it may hold a password.
    throw new ConfigError(
      'CLOAKROOM_STORE must be a redis://, rediss://, redis+cluster:// or dynamodb:// URL',
    );
  }
  return value;
}

/** Where the site's DynamoDB table is: `CLOAKROOM_STORE=dynamodb://<table>?region=<r>&endpoint=<url>`. */
export interface DynamoDBLocation {
  table: string;
  /** From `region=`; else the SDK's chain (AWS_REGION, the shared config, the instance's metadata). */
  region: string | undefined;
  /** From `endpoint=` (DynamoDB Local, dynalite, a VPC endpoint); else the region's public endpoint. */
  endpoint: string | undefined;
}

/**
 * Reads `dynamodb://<table>?region=<r>&endpoint=<url>` (both parameters optional). Credentials always come
 * from the SDK's standard chain (environment, shared files, the instance or task role): a URL holding a user
 * name, a password or any other parameter is refused, so no key ends up in an environment dump or a log.
 */
export function parseDynamoDBUrl(value: string): DynamoDBLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('CLOAKROOM_STORE is not a valid dynamodb://<table>?region=<r>&endpoint=<url> URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      "CLOAKROOM_STORE must not hold credentials: DynamoDB's come from the AWS SDK's standard chain " +
        '(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance or task role)',
    );
  }
  const table = decodeURIComponent(url.hostname);
  if (
    url.protocol !== 'dynamodb:' ||
    !/^[A-Za-z0-9_.-]{3,255}$/.test(table) ||
    url.port !== '' ||
    !['', '/'].includes(url.pathname)
  ) {
    throw new ConfigError(
      'CLOAKROOM_STORE must be dynamodb://<table>?region=<r>&endpoint=<url>, with a table name of 3-255 characters (A-Z a-z 0-9 _ - .)',
    );
  }
  for (const name of url.searchParams.keys()) {
    if (name !== 'region' && name !== 'endpoint') {
      throw new ConfigError(
        `CLOAKROOM_STORE: unknown parameter "${name.slice(0, 40)}" (only region and endpoint; credentials come from the AWS SDK's chain)`,
      );
    }
  }
  const region = url.searchParams.get('region') ?? undefined;
  if (region !== undefined && !/^[a-z0-9-]{1,40}$/.test(region)) {
    throw new ConfigError('CLOAKROOM_STORE: region must be an AWS region name such as eu-west-1');
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined) {
    let parsed: URL | null;
    try {
      parsed = new URL(endpoint);
    } catch {
      parsed = null;
    }
    if (
      parsed === null ||
      !['http:', 'https:'].includes(parsed.protocol) ||
      parsed.username !== '' ||
      parsed.password !== ''
    ) {
      throw new ConfigError('CLOAKROOM_STORE: endpoint must be an http(s) URL without credentials');
    }
  }
  return { table, region, endpoint };
}

function databaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^postgres(ql)?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError('CLOAKROOM_DATABASE_URL must be a postgres:// URL');
  }
  return value;
}

function mailConfig(env: Record<string, string | undefined>, origin: string): AppConfig['mail'] {
  const smtpUrl = nonEmpty(env.CLOAKROOM_SMTP_URL);
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s/]+\/?$/.test(smtpUrl)) {
    // The message never repeats the value: it may hold a password.
    throw new ConfigError(
      'CLOAKROOM_SMTP_URL must be an smtp:// or smtps:// URL (smtp://user:pass@host:port)',
    );
  }
  const from = nonEmpty(env.CLOAKROOM_MAIL_FROM) ?? `Cloakroom <no-reply@${new URL(origin).hostname}>`;
  if (/[\r\n]/.test(from)) throw new ConfigError('CLOAKROOM_MAIL_FROM must be one line');
  return { smtpUrl, from };
}

/**
 * Why `serve` must not start with this mail setting, or `null`: a public (non-loopback) origin needs SMTP,
 * since the development outbox is only readable on loopback and users would never get their links.
 */
export function mailProblem(config: AppConfig): string | null {
  if (config.mail.smtpUrl !== undefined || isLoopbackOrigin(config.origin)) return null;
  return (
    `${config.origin} is not a loopback origin, so account mail (verification and password-reset links) ` +
    'needs a mail server: set CLOAKROOM_SMTP_URL (smtp://host:port or smtps://user:pass@host:port) and ' +
    'CLOAKROOM_MAIL_FROM'
  );
}

function oidcProviders(path: string | undefined): ProviderSettings[] {
  if (path === undefined) return [];
  try {
    return readProvidersFile(path);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function migrateConfig(path: string | undefined): MigrateConfig | undefined {
  if (path === undefined) return undefined;
  try {
    return readMigrateFile(path);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function proxyList(value: string | undefined, name: string): TrustedProxies | undefined {
  if (value === undefined) return undefined;
  try {
    return trustedProxies(value);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}

function metricsConfig(env: Record<string, string | undefined>): AppConfig['metrics'] {
  const enabled = flag(env.CLOAKROOM_METRICS, 'CLOAKROOM_METRICS');
  const token = nonEmpty(env.CLOAKROOM_METRICS_TOKEN);
  // The message never repeats the value.
  if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    throw new ConfigError('CLOAKROOM_METRICS_TOKEN must be 16-512 printable characters without spaces');
  }
  return { enabled, token };
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '') return false;
  if (/^(on|1|true|yes)$/i.test(value)) return true;
  if (/^(off|0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be on or off`);
}
