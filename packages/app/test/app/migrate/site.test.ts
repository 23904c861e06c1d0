// The reference site with CLOAKROOM_MIGRATE_CONFIG: legacy JWT, iron-session and express-session (connect-redis
// on the local Redis) credentials of existing accounts are exchanged on /api/me and on pages; copies are
// refused with 401 unauthenticated; `cloakroom migrate status` reads the counters from the site's store; a bad
// file stops the site at start with the field named.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sign } from 'cookie-signature';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { sealData } from 'iron-session';
import { SignJWT } from 'jose';
import { createClient } from 'redis';
import { ConfigError, configFromEnv } from '../../../src/app/config.js';
import { program } from '../../../src/cli/main.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, COOKIE, uniqueEmail } from '../api/client.js';

const JWT_SECRET = 'legacy-jwt-secret-0123456789abcdef';
const IRON_PASSWORD = 'iron-password-0123456789abcdefghijklmnop';
const EXPRESS_SECRET = 'legacy-express-secret';

describe('reference site: CLOAKROOM_MIGRATE_CONFIG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-migrate-'));
  const prefix = `migrate-site:${randomUUID()}:sess:`;
  let app: TestApp;
  let redis: ReturnType<typeof createClient>;
  let email: string;

  before(async () => {
    const config = {
      acceptUntil: '2999-06-30T00:00:00Z',
      sources: [
        {
          kind: 'jwt',
          cookie: 'token',
          bearer: true,
          algorithms: ['HS256'],
          secret: JWT_SECRET,
          issuer: 'https://legacy.example',
          audience: 'web',
          emailClaim: 'email',
        },
        { kind: 'iron-session', cookie: 'app_session', passwords: { 1: IRON_PASSWORD }, emailField: 'email' },
        {
          kind: 'express-session',
          cookie: 'connect.sid',
          secrets: [EXPRESS_SECRET],
          redisUrl: 'redis://127.0.0.1:6379/2',
          prefix,
          emailField: 'user.email',
        },
      ],
    };
    writeFileSync(join(dir, 'migrate.json'), JSON.stringify(config));
    app = await startTestApp({ env: { CLOAKROOM_MIGRATE_CONFIG: join(dir, 'migrate.json') } });
    email = uniqueEmail('legacy');
    await new ApiClient(app).register(email);
    redis = createClient({ url: 'redis://127.0.0.1:6379/2' });
    await redis.connect();
  });

  after(async () => {
    await app.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  const legacyJwt = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ email, iss: 'https://legacy.example', aud: 'web', jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));

  async function me(cookie: string) {
    const response = await fetch(`${app.url}/api/me`, { headers: { cookie } });
    const text = await response.text();
    return { response, body: JSON.parse(text) as { user?: { email: string }; error?: { code: string } } };
  }

  function setCookies(response: Response): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      out[pair.slice(0, pair.indexOf('='))] = line;
    }
    return out;
  }

  test('a legacy JWT cookie: 200 with the user, the Cloakroom cookie set, the legacy one expired; a copy is 401', async () => {
    const token = await legacyJwt();
    const { response, body } = await me(`token=${token}`);
    assert.equal(response.status, 200);
    assert.equal(body.user?.email, email);
    const set = setCookies(response);
    assert.ok(set[COOKIE]?.startsWith(`${COOKIE}=`) && !set[COOKIE].startsWith(`${COOKIE}=;`));
    assert.match(set.token ?? '', /^token=;.*Max-Age=0/i);
    const cloakroom = (set[COOKIE] ?? '').split(';', 1)[0] ?? '';
    assert.equal((await me(cloakroom)).response.status, 200, 'the new cookie signs in');
    const copy = await me(`token=${token}`);
    assert.equal(copy.response.status, 401);
    assert.equal(copy.body.error?.code, 'unauthenticated');
  });

  test('an iron-session cookie on a page signs in on Cloakroom with no prompt', async () => {
    const sealed = await sealData({ email }, { password: { 1: IRON_PASSWORD } });
    const response = await fetch(`${app.url}/notes`, {
      headers: { cookie: `app_session=${sealed}` },
      redirect: 'manual',
    });
    assert.equal(response.status, 200);
    assert.ok((await response.text()).includes(email), 'the page shows the signed-in user');
    const set = setCookies(response);
    assert.ok(set[COOKIE] !== undefined && !/^[^=]+=;/.test(set[COOKIE]));
    assert.match(set.app_session ?? '', /Max-Age=0/i);
    assert.equal((await me(`app_session=${sealed}`)).response.status, 401);
  });

  test('an express-session cookie (connect-redis) is exchanged and the legacy session destroyed', async () => {
    const store = new ConnectRedisStore({ client: redis, prefix });
    const sid = randomUUID();
    await store.set(sid, {
      cookie: { originalMaxAge: 3600_000, expires: new Date(Date.now() + 3600_000) },
      user: { email },
    });
    const cookie = `connect.sid=${encodeURIComponent(`s:${sign(sid, EXPRESS_SECRET)}`)}`;
    const { response, body } = await me(cookie);
    assert.equal(response.status, 200);
    assert.equal(body.user?.email, email);
    assert.equal(await redis.exists(`${prefix}${sid}`), 0);
    assert.equal((await me(cookie)).response.status, 401);
  });

  test('bad legacy credentials are anonymous (401), never a session; unknown users too', async () => {
    for (const cookie of [
      `token=${await legacyJwt({ email: 'nobody@example.test' })}`,
      `token=${await legacyJwt({ iss: 'https://evil.example' })}`,
      `token=garbage`,
      `app_session=Fe26.2*1*x*y*z*1*a*b~2`,
      `connect.sid=s%3Aforged.sig`,
    ]) {
      const { response, body } = await me(cookie);
      assert.equal(response.status, 401, cookie.split('=')[0]);
      assert.equal(body.error?.code, 'unauthenticated');
      assert.equal(setCookies(response)[COOKIE], undefined);
    }
  });

  test('cloakroom migrate status prints the counters kept in the site store', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await program().parseAsync([
        'node',
        'cloakroom',
        'migrate',
        'status',
        '--json',
        '--data-dir',
        app.dataDir,
      ]);
    } finally {
      console.log = log;
    }
    const status = JSON.parse(lines.join('\n')) as {
      sources: Record<string, { exchanged: number; refused: Record<string, number> }>;
    };
    assert.ok((status.sources.jwt?.exchanged ?? 0) >= 1);
    assert.ok((status.sources.jwt?.refused.replayed ?? 0) >= 1);
    assert.ok((status.sources['iron-session']?.exchanged ?? 0) >= 1);
    assert.ok((status.sources['express-session']?.exchanged ?? 0) >= 1);
    assert.ok((status.sources.jwt?.refused.unknown_user ?? 0) >= 1);
  });

  test('a bad file stops the site at start, naming the field', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        sources: [{ kind: 'jwt', cookie: 'token', algorithms: ['none'], secret: 'x'.repeat(20) }],
      }),
    );
    assert.throws(
      () => configFromEnv({ CLOAKROOM_MIGRATE_CONFIG: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /CLOAKROOM_MIGRATE_CONFIG: sources\[0\]\.algorithms\[0\]/.test(error.message),
    );
    writeFileSync(
      bad,
      JSON.stringify({
        sources: [{ kind: 'jwt', cookie: 'token', algorithms: ['RS256'], secret: 'x'.repeat(20) }],
      }),
    );
    assert.throws(
      () => configFromEnv({ CLOAKROOM_MIGRATE_CONFIG: bad }),
      /sources\[0\]: a secret verifies only HS/,
    );
    writeFileSync(bad, JSON.stringify({ acceptUntil: 'soon', sources: [] }));
    assert.throws(() => configFromEnv({ CLOAKROOM_MIGRATE_CONFIG: bad }), /acceptUntil/);
  });
});
