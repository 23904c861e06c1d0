import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { PasswordHasher } from '../../../cloakroom/src/accounts/password-hash.js';
import type { ThrottleRule } from '../../../cloakroom/src/accounts/throttle.js';
import type { RecoveryLimits } from '../../../cloakroom/src/accounts/recovery.js';
import type { Clock } from '../../../cloakroom/src/clock.js';
import { configFromEnv } from '../../src/app/config.js';
import { startServer, type RunningServer } from '../../src/app/server.js';

/** Cheaper argon2id for tests (the production parameters are tested in the accounts tests). */
export const TEST_HASHER_PARAMETERS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestApp extends RunningServer {
  /** The public origin the site trusts; send it as `Origin` on unsafe requests. */
  origin: string;
  dataDir: string;
  /** Closes the server and removes the data folder. */
  stop(): Promise<void>;
}

/** A free loopback port (there is a small race between closing the probe and using the port). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts the reference site on a fresh data folder. By default it listens on a free port and its origin is
 * `http://127.0.0.1:<port>`, so a browser's own Origin header matches.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    realHasher?: boolean;
    throttle?: { account?: ThrottleRule; address?: ThrottleRule; registration?: ThrottleRule };
    dataDir?: string;
    recoveryLimits?: RecoveryLimits;
    mailRetryDelaysMs?: readonly number[];
    /** Where the site logs; silent by default. */
    log?: Logger;
  } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cloakroom-app-'));
  const port = await freePort();
  const config = configFromEnv({
    PORT: String(port),
    CLOAKROOM_DATA_DIR: dataDir,
    CLOAKROOM_ORIGIN: `http://127.0.0.1:${port}`,
    ...options.env,
  });
  const running = await startServer(config, {
    log: options.log ?? pino({ level: 'silent' }),
    clock: options.clock,
    hasher: options.realHasher ? undefined : new PasswordHasher(TEST_HASHER_PARAMETERS),
    throttle: options.throttle,
    recoveryLimits: options.recoveryLimits,
    mailRetryDelaysMs: options.mailRetryDelaysMs,
  });
  return {
    ...running,
    origin: config.origin,
    dataDir,
    stop: async () => {
      await running.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
