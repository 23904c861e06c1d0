// Two processes of the reference site (`cloakroom serve`, as `npm start` runs it) on one Redis and one
// PostgreSQL, as several processes behind a load balancer would run. PostgreSQL gets a fresh schema (through
// the connection's search_path) and is dropped afterwards. Without Redis or PostgreSQL the file is skipped
// with a message, except on CI, where it fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { serveSite, siteCall, signOutDelays, stopSite, type SiteProcess } from '../helpers/site-process.js';
import { forgetLoopbackRegistrations } from '../helpers/redis-throttle.js';

const PG_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORIGIN = 'http://localhost:3000';

async function reachable(): Promise<string | null> {
  const pool = new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  const redis = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await pool.query('SELECT 1');
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
    await pool.end();
  }
}

const unreachable = await reachable();
if (unreachable !== null && process.env.CI === 'true') {
  throw new Error(`PostgreSQL or Redis not reachable on CI: ${unreachable}`);
}
const skip = unreachable === null ? false : `PostgreSQL or Redis not reachable (${unreachable})`;
if (skip !== false) console.warn(`# SKIPPED test/app/multi-process.test.ts: ${skip}`);

/** Two site processes sharing a fresh PostgreSQL schema, one Redis and one data folder (for the secrets). */
function pairOfSites(extra: Record<string, string> = {}) {
  const schema = `cr_mp_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-mp-'));
  const admin = new pg.Pool({ connectionString: PG_URL });
  const sites: {
    a?: SiteProcess;
    b?: SiteProcess;
    /** Runs SQL on the sites' tables behind their backs (`cloakroom_…` names, qualified with the schema). */
    sql?: (text: string, values: unknown[]) => Promise<pg.QueryResult>;
  } = {};
  sites.sql = (text, values) => admin.query(text.replace(/\bcloakroom_/g, `${schema}.cloakroom_`), values);
  before(async () => {
    await forgetLoopbackRegistrations(REDIS_URL);
    await admin.query(`CREATE SCHEMA ${schema}`);
    const env = {
      CLOAKROOM_DATA_DIR: dataDir,
      CLOAKROOM_ORIGIN: ORIGIN,
      CLOAKROOM_STORE: REDIS_URL,
      CLOAKROOM_DATABASE_URL: `${PG_URL}?options=-c%20search_path%3D${schema}`,
      CLOAKROOM_LOG_LEVEL: 'warn',
      ...extra,
    };
    sites.a = await serveSite(env); // first: creates the shared secrets and migrates
    sites.b = await serveSite(env);
  });
  after(async () => {
    await Promise.all([stopSite(sites.a), stopSite(sites.b)]);
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return sites;
}

const call = (
  site: SiteProcess,
  path: string,
  init: { method?: string; cookie?: string; json?: unknown } = {},
) => siteCall(site, ORIGIN, path, init);

const PASSWORD = 'two processes, one site';

async function register(site: SiteProcess): Promise<{ email: string; cookie: string }> {
  const email = `mp-${randomBytes(4).toString('hex')}@example.com`;
  const registered = await call(site, '/api/auth/register', {
    method: 'POST',
    json: { email, password: PASSWORD },
  });
  assert.equal(registered.status, 201);
  return { email, cookie: registered.headers.getSetCookie()[0]!.split(';')[0]! };
}

describe('two processes of the site on one Redis and one PostgreSQL', { skip }, () => {
  const sites = pairOfSites();

  test('a session made on A works on B, data written on one is read on the other, revoked on B it is refused on A', async () => {
    const { a, b } = sites as Required<typeof sites>;
    const { email, cookie } = await register(a);

    const me = await call(b, '/api/me', { cookie });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { user: { email: string } }).user.email, email);

    const created = await call(b, '/api/notes', {
      method: 'POST',
      cookie,
      json: { title: 'from B', body: '' },
    });
    assert.equal(created.status, 201);
    const listed = (await (await call(a, '/api/notes', { cookie })).json()) as { notes: { title: string }[] };
    assert.deepEqual(
      listed.notes.map((n) => n.title),
      ['from B'],
    );

    assert.equal((await call(b, '/api/auth/logout', { method: 'POST', cookie })).status, 204);
    assert.equal((await call(a, '/api/me', { cookie })).status, 401);
  });

  test('both processes report healthy stores', async () => {
    for (const site of [sites.a!, sites.b!]) {
      assert.deepEqual(await (await fetch(`${site.url}/healthz`)).json(), { ok: true });
    }
  });
});

describe('the same, with the near-cache on (CLOAKROOM_NEAR_CACHE=on)', { skip }, () => {
  const sites = pairOfSites({ CLOAKROOM_NEAR_CACHE: 'on' });

  test('a revocation on B reaches A: 20 sign-outs, the delay reported (a figure, not a bound)', async () => {
    const { a, b } = sites as Required<typeof sites>;
    const { email } = await register(a);
    const delays = await signOutDelays(a, b, ORIGIN, { email, password: PASSWORD });
    const median = delays[Math.floor(delays.length / 2)]!;
    const worst = delays[delays.length - 1]!;
    console.log(
      `# near-cache revocation delay across two processes: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (20 trials; time from B's 204 to A's first 401, polling A)`,
    );
  });
});

describe(
  'near-cache on PostgreSQL alone (CLOAKROOM_NEAR_CACHE=on, no Redis: LISTEN/NOTIFY)',
  { skip },
  () => {
    const sites = pairOfSites({ CLOAKROOM_NEAR_CACHE: 'on', CLOAKROOM_STORE: '' });

    test('the near-cache is on: a session row removed behind its back is still served from memory', async () => {
      const { a, b } = sites as Required<typeof sites>;
      const { cookie } = await register(a);
      const me = (await (await call(b, '/api/me', { cookie })).json()) as { session: { id: string } };
      // No process is told of this delete, so only a cache can still serve the session.
      const deleted = await sites.sql!('DELETE FROM cloakroom_sessions WHERE id = $1', [me.session.id]);
      assert.equal(deleted.rowCount, 1);
      assert.equal((await call(b, '/api/me', { cookie })).status, 200);
    });

    test('a revocation on B reaches A: 20 sign-outs, the delay reported (a figure, not a bound)', async () => {
      const { a, b } = sites as Required<typeof sites>;
      const { email } = await register(a);
      const delays = await signOutDelays(a, b, ORIGIN, { email, password: PASSWORD });
      const worst = delays[delays.length - 1]!;
      console.log(
        `# PostgreSQL near-cache revocation delay across two processes: median ${delays[10]!.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (20 trials)`,
      );
    });
  },
);
