/**
 * The reference site as an HTTP scenario: the site's own request listener (router, security headers,
 * request log at `silent`, `/api/me` reading the user store) on SQLite, with its observability off
 * (`site-sqlite`) or on (`site-sqlite-observed`: `CLOAKROOM_METRICS=on` with the prom-client registry, the
 * store wrapped in `instrumentStore`, HTTP metrics per route, and `CLOAKROOM_TRACING=on` through
 * `@opentelemetry/api` with no SDK registered). The site's security event stream is there in both (the
 * activity log subscribes); `GET /api/me` emits no event. The bench asks for `GET /me`: the listener
 * answers it as `/api/me`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteUserStore } from 'cloakroom/accounts/sqlite';
import { createApp } from '../../app/app.js';
import { configFromEnv } from '../../app/config.js';
import { loadOrCreateSecrets } from '../../app/secrets.js';
import { createServices } from '../../app/services.js';
import { SEED_USER_ID } from '../world.js';

export async function referenceSite(observed: boolean): Promise<{
  listener: RequestListener;
  cookie: string;
  close(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-site-'));
  const config = configFromEnv({
    CLOAKROOM_DATA_DIR: dataDir,
    CLOAKROOM_ORIGIN: 'http://127.0.0.1:3000',
    CLOAKROOM_LOG_LEVEL: 'silent',
    ...(observed ? { CLOAKROOM_METRICS: 'on', CLOAKROOM_TRACING: 'on' } : {}),
  });
  const secrets = loadOrCreateSecrets(dataDir);
  const services = await createServices({
    config,
    sessionKeys: secrets.sessionKeys,
    mfaKeys: secrets.mfaKeys,
    log: pino({ level: 'silent' }),
  });
  if (services.db === null) throw new Error('the bench site runs on SQLite');
  await new SqliteUserStore(services.db).create({
    id: SEED_USER_ID,
    email: `${SEED_USER_ID}@example.com`,
    passwordHash: null,
    createdAt: Date.now(),
  });
  const { token } = await services.sessions.create(SEED_USER_ID, { userAgent: 'bench', ip: '127.0.0.1' });
  const app = createApp(services);
  return {
    listener: (req, res) => {
      if (req.url === '/me') req.url = '/api/me';
      app(req, res);
    },
    cookie: `${services.sessions.cookieName}=${token}`,
    close: async () => {
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
