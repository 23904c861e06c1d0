// Two processes of the reference site (`cloakroom serve`) on one data folder, so one SQLite file, with the
// near-cache on (CLOAKROOM_NEAR_CACHE=on, no Redis): what PM2 or node:cluster workers on one machine do.
// Needs nothing but SQLite, so it never skips.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { serveSite, siteCall, signOutDelays, stopSite, type SiteProcess } from '../helpers/site-process.js';

const ORIGIN = 'http://localhost:3000';
const PASSWORD = 'two processes, one file';

describe('two processes of the site on one SQLite file, near-cache on', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-mp-sqlite-'));
  let a: SiteProcess | undefined;
  let b: SiteProcess | undefined;
  before(async () => {
    const env = {
      CLOAKROOM_DATA_DIR: dataDir,
      CLOAKROOM_ORIGIN: ORIGIN,
      CLOAKROOM_NEAR_CACHE: 'on',
      CLOAKROOM_LOG_LEVEL: 'warn',
    };
    a = await serveSite(env); // first: creates the data folder's secrets and tables
    b = await serveSite(env);
  });
  after(async () => {
    await Promise.all([stopSite(a), stopSite(b)]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (site: SiteProcess | undefined, path: string, init?: Parameters<typeof siteCall>[3]) => {
    assert.ok(site !== undefined, 'the site did not start');
    return siteCall(site, ORIGIN, path, init);
  };

  // The delay is printed, not bounded (a benchmark figure; load decides it): the test holds the mechanism.
  test('a session made on A works on B; signed out on B, A refuses it: 20 sign-outs (delay reported)', async () => {
    const email = `mps-${randomBytes(4).toString('hex')}@example.com`;
    assert.equal(
      (await call(a, '/api/auth/register', { method: 'POST', json: { email, password: PASSWORD } })).status,
      201,
    );
    assert.ok(a !== undefined && b !== undefined, 'the sites did not start');
    const delays = await signOutDelays(a, b, ORIGIN, { email, password: PASSWORD });
    const worst = delays[delays.length - 1] ?? Number.NaN;
    console.log(
      `# SQLite near-cache revocation delay across two site processes: median ${(delays[10] ?? 0).toFixed(1)} ms, worst ${worst.toFixed(1)} ms (20 trials; from B's 204 to A's first 401, polling A)`,
    );
  });

  test('the near-cache is on: a session row removed behind its back is still served from memory', async () => {
    const email = `mps-${randomBytes(4).toString('hex')}@example.com`;
    const registered = await call(a, '/api/auth/register', {
      method: 'POST',
      json: { email, password: PASSWORD },
    });
    assert.equal(registered.status, 201);
    const cookie = registered.headers.getSetCookie()[0]!.split(';')[0]!;
    const me = (await (await call(b, '/api/me', { cookie })).json()) as { session: { id: string } };
    // Deleted straight from the file: no process is told, so B (which cached it) keeps serving it, which
    // only a cache can do. A revocation through the site is what reaches every process (the test above).
    const db = new Database(join(dataDir, 'cloakroom.db'));
    try {
      assert.equal(db.prepare('DELETE FROM cloakroom_sessions WHERE id = ?').run(me.session.id).changes, 1);
    } finally {
      db.close();
    }
    assert.equal((await call(b, '/api/me', { cookie })).status, 200);
  });

  test('sign out everywhere on A ends the session cached on B', async () => {
    const email = `mps-${randomBytes(4).toString('hex')}@example.com`;
    const registered = await call(b, '/api/auth/register', {
      method: 'POST',
      json: { email, password: PASSWORD },
    });
    assert.equal(registered.status, 201);
    const cookie = registered.headers.getSetCookie()[0]!.split(';')[0]!;
    assert.equal((await call(b, '/api/me', { cookie })).status, 200);
    assert.equal((await call(a, '/api/sessions', { method: 'DELETE', cookie })).status, 204);
    const started = performance.now();
    let refused = false;
    // A bound load cannot break (the eviction usually takes milliseconds), below the cache's 30 s lifetime.
    while (!refused && performance.now() - started < 10_000) {
      refused = (await call(b, '/api/me', { cookie })).status === 401;
    }
    assert.ok(refused, 'B still accepted the session 10 s after sign out everywhere on A');
  });
});
