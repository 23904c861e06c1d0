import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { PasswordHasher } from 'cloakroom/accounts';
import type { RecoveryLimits, ThrottleRule } from 'cloakroom/accounts';
import type { Clock } from 'cloakroom';
import { createApp } from './app.js';
import type { AppConfig } from './config.js';
import { mkdirSync } from 'node:fs';
import { loadOrCreateSecrets } from './secrets.js';
import { createServices, type AppServices } from './services.js';

export interface RunningServer {
  /** Where the server listens, e.g. `http://127.0.0.1:3000` (the public origin may differ). */
  url: string;
  server: Server;
  services: AppServices;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
  throttle?: { account?: ThrottleRule; address?: ThrottleRule; registration?: ThrottleRule };
  /** Tests lift or tighten the account-recovery limits. */
  recoveryLimits?: RecoveryLimits;
  /** Delays between mail retries (default 1 s, 5 s, 30 s). */
  mailRetryDelaysMs?: readonly number[];
  /** How often expired sessions and throttling counters are swept. Default 5 minutes. */
  sweepIntervalMs?: number;
}

/** Opens the data folder, builds the services and serves the site. Resolves once it is listening. */
export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const log =
    options.log ??
    pino({
      level: config.logLevel,
      // Defence in depth: nothing logs these, and if something ever tried, they would be hidden.
      redact: [
        '*.cookie',
        '*.authorization',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.token',
        '*.code',
        '*.recoveryCode',
        '*.secret',
        '*.link',
      ],
    });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secrets = loadOrCreateSecrets(config.dataDir);
  const services = await createServices({
    config,
    sessionKeys: secrets.sessionKeys,
    mfaKeys: secrets.mfaKeys,
    log,
    ...options,
  });
  await services.accounts.warmUp();

  const server = createServer(createApp(services));
  // Against slow clients: whole headers within 10 s, the whole request within 30 s, idle sockets closed.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = 60_000;
  server.maxHeadersCount = 100;

  const sweep = setInterval(
    () => {
      Promise.all([
        services.sessions.sweepExpired(),
        services.accounts.sweepAttempts(),
        services.federation.sweepExpired(),
        services.recovery.sweepTokens(),
      ]).catch((error: unknown) => {
        log.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'sweep failed');
      });
    },
    options.sweepIntervalMs ?? 5 * 60_000,
  );
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server,
    services,
    close: async () => {
      clearInterval(sweep);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      await services.close();
    },
  };
}
