// `cloakroom admin sessions | revoke | revoke-all | stats | sweep` against a running site, on SQLite, Redis,
// PostgreSQL and Redis behind the near-cache: what a signed-in client sees after each command (with the
// near-cache, the site holds that client's session in memory, and the admin process's eviction must reach it),
// the --json shapes, the exit codes, and the refusal of destructive commands without --yes when stdin is not
// a terminal.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { TestApp } from '../helpers/app.js';
import { ApiClient, uniqueEmail } from '../app/api/client.js';
import { mint, oauthPost } from '../app/tokens/support.js';
import {
  admin,
  adminJson,
  adminOnTerminal,
  assertMe,
  assertRefused,
  backends,
  REDIS_URL,
  startSite,
  type Backend,
} from './admin-support.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface SessionsOutput {
  user: { id: string; email: string; emailVerified: boolean; locked: boolean; lockedAt: string | null };
  sessions: {
    id: string;
    createdAt: string;
    lastSeenAt: string;
    expiresAt: string;
    absoluteExpiresAt: string;
    ip: string | null;
    userAgent: string | null;
  }[];
}

interface StatsOutput {
  store: string;
  nearCache: boolean;
  supported: boolean;
  sessions: { live: number; expired: number } | null;
}

/** The user's `session.revoked` events the admin process recorded in the site's activity log. */
async function adminRevocations(app: TestApp, userId: string) {
  const rows = await app.services.activity.repository.list(userId, { since: 0, before: null, limit: 50 });
  return rows
    .filter((row) => row.type === 'session.revoked')
    .map((row) => ({
      sessionId: row.sessionId,
      ...(JSON.parse(row.details) as { by?: string; count?: number }),
    }))
    .filter((event) => event.by === 'admin');
}

/** A user signed in from two clients ("laptop" and "phone"). */
async function twoClients(app: TestApp) {
  const email = uniqueEmail('admin');
  const laptop = new ApiClient(app);
  const user = await laptop.register(email);
  const phone = new ApiClient(app);
  await phone.login(email);
  return { email, user, laptop, phone };
}

/** Leaves an expired session behind in the site's store, as a user who never came back would. */
async function leaveExpiredSession(app: TestApp, backend: Backend, userId: string): Promise<void> {
  const past = Date.now() - 60_000;
  if (backend.store === 'redis') {
    // What Redis keeps of a session its TTL removed: its id in the user's index, scored by its expiry.
    const tag = createHash('sha256').update(userId).digest('base64url').slice(0, 2);
    const redis = new Redis(REDIS_URL);
    try {
      await redis.zadd(`cr:{${tag}}:x:${userId}`, past, `${tag}expired-${Date.now()}`);
    } finally {
      redis.disconnect();
    }
    return;
  }
  await app.services.sessions.config.store.create({
    id: `expired-${Date.now()}`,
    userId,
    secretHash: new Uint8Array(32),
    createdAt: past - 3_600_000,
    lastSeenAt: past - 60_000,
    expiresAt: past,
    absoluteExpiresAt: past + 3_600_000,
    userAgent: null,
    ip: null,
    version: 1,
    authTime: past - 3_600_000,
    amr: ['pwd'],
  });
}

for (const backend of await backends('test/cli/admin-sessions.test.ts')) {
  describe(`cloakroom admin: sessions on ${backend.name}`, { skip: backend.skip }, () => {
    let app: TestApp;
    before(async () => {
      app = await startSite(backend);
    });
    after(async () => {
      await app.stop();
    });

    test("sessions lists the user's live sessions by email or by id, in text and in JSON", async () => {
      const { email, user } = await twoClients(app);
      const listed = (await adminJson(app, backend, ['sessions', email])) as SessionsOutput;
      assert.deepEqual(listed.user, {
        id: user.id,
        email,
        emailVerified: false,
        locked: false,
        lockedAt: null,
      });
      assert.equal(listed.sessions.length, 2);
      for (const session of listed.sessions) {
        assert.deepEqual(Object.keys(session).sort(), [
          'absoluteExpiresAt',
          'createdAt',
          'expiresAt',
          'id',
          'ip',
          'lastSeenAt',
          'userAgent',
        ]);
        for (const time of [session.createdAt, session.lastSeenAt, session.expiresAt])
          assert.match(time, ISO);
        assert.equal(session.ip, '127.0.0.1');
      }
      const byId = (await adminJson(app, backend, ['sessions', user.id])) as SessionsOutput;
      assert.deepEqual(byId.sessions.map((s) => s.id).sort(), listed.sessions.map((s) => s.id).sort());
      // An address is found as sign-in finds it: case and surrounding spaces do not matter.
      const text = await admin(app, backend, ['sessions', ` ${email.toUpperCase()} `]);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^${email} \\(user ${user.id}, email not verified\\)$`, 'm'));
      assert.match(text.stdout, /^2 live sessions:$/m);
      for (const session of listed.sessions) assert.match(text.stdout, new RegExp(`^  ${session.id}  `, 'm'));
    });

    test('revoke ends one session: its client is refused at once, the other client is not', async () => {
      const { email, laptop, phone } = await twoClients(app);
      const listed = (await adminJson(app, backend, ['sessions', email])) as SessionsOutput;
      const me = (await laptop.get('/api/me')).body as { session: { id: string } };
      const current = me.session.id;
      assert.ok(listed.sessions.some((s) => s.id === current));

      const revoked = (await adminJson(app, backend, ['revoke', current, '--yes'])) as Record<
        string,
        unknown
      >;
      assert.deepEqual(revoked, { revoked: true, sessionId: current, userId: listed.user.id });
      await assertMe(laptop, 401, 'laptop');
      await assertMe(phone, 200, 'phone');
      const events = await adminRevocations(app, listed.user.id);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0]?.sessionId, current);
      assert.equal(events[0]?.count, 1);

      // Gone now: not found, exit 3.
      assertRefused(
        await admin(app, backend, ['revoke', current, '--yes']),
        3,
        /no live session with the id/,
      );
    });

    test("revoke-all, with a second client signed in: that client's next request is 401, its refresh token dead", async () => {
      const { email, user, laptop, phone } = await twoClients(app);
      const tokens = await mint(phone);
      await assertMe(phone, 200, 'phone');

      const result = (await adminJson(app, backend, ['revoke-all', email, '--yes'])) as Record<
        string,
        unknown
      >;
      assert.deepEqual(result, {
        userId: user.id,
        email,
        sessionsRevoked: 2,
        refreshFamiliesRevoked: 1,
      });
      await assertMe(phone, 401, 'phone');
      await assertMe(laptop, 401, 'laptop');
      assert.deepEqual(
        (await adminRevocations(app, user.id)).map((event) => event.count),
        [2],
        'one session.revoked event, by admin, for both sessions',
      );
      const refreshed = await oauthPost(app, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.status, 400, refreshed.text);
      assert.equal(refreshed.body.error, 'invalid_grant');

      const text = await admin(app, backend, ['sessions', email]);
      assert.match(text.stdout, /^No live session\.$/m);
      const again = await admin(app, backend, ['revoke-all', user.id, '--yes']);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /: 0 sessions and 0 refresh-token families revoked\.$/m);
    });

    test('destructive commands without --yes, stdin not a terminal: exit 2, nothing changed', async () => {
      const { email, phone } = await twoClients(app);
      const listed = (await adminJson(app, backend, ['sessions', email])) as SessionsOutput;
      const id = listed.sessions[0]!.id;
      for (const args of [
        ['revoke', id],
        ['revoke-all', email],
        ['sweep'],
        ['revoke-all', email, '--json'],
      ]) {
        assertRefused(await admin(app, backend, args), 2, /stdin is not a terminal, so pass --yes/);
      }
      await assertMe(phone, 200, 'phone');
      assert.equal(
        ((await adminJson(app, backend, ['sessions', email])) as SessionsOutput).sessions.length,
        2,
      );
    });

    test('an unknown user or session: exit 3 with one line naming what was asked', async () => {
      assertRefused(
        await admin(app, backend, ['sessions', 'nobody@example.test']),
        3,
        /^cloakroom: no account with the id or email "nobody@example.test"$/m,
      );
      assertRefused(await admin(app, backend, ['revoke-all', 'no-such-id', '--yes']), 3, /no account/);
      assertRefused(await admin(app, backend, ['revoke', 'AAAAnotasession', '--yes']), 3, /no live session/);
    });

    test('stats counts live and expired sessions; sweep removes the expired ones now', async () => {
      const { user } = await twoClients(app);
      const before = (await adminJson(app, backend, ['stats'])) as StatsOutput;
      assert.equal(before.store, backend.store);
      assert.equal(before.nearCache, backend.nearCache);
      assert.equal(before.supported, true);
      assert.ok(before.sessions !== null && before.sessions.live >= 2, JSON.stringify(before));

      await leaveExpiredSession(app, backend, user.id);
      const withExpired = (await adminJson(app, backend, ['stats'])) as StatsOutput;
      assert.equal(withExpired.sessions?.expired, (before.sessions?.expired ?? 0) + 1);
      assert.equal(withExpired.sessions?.live, before.sessions?.live);
      const text = await admin(app, backend, ['stats']);
      const cached = backend.nearCache ? ' behind the near-cache' : '';
      assert.match(text.stdout, new RegExp(`^Sessions \\(${backend.store}${cached}\\):$`, 'm'));
      assert.match(text.stdout, /^ {2}expired, awaiting sweep +\d+$/m);

      const swept = (await adminJson(app, backend, ['sweep', '--yes'])) as { removed: number };
      // Redis counts the sessions it removed; the one left here was already gone (by its TTL), and the
      // sweep pruned its index entry, which the statistics below no longer see.
      if (backend.store !== 'redis') assert.ok(swept.removed >= 1, JSON.stringify(swept));
      else assert.equal(typeof swept.removed, 'number');
      const after = (await adminJson(app, backend, ['stats'])) as StatsOutput;
      assert.equal(after.sessions?.expired, 0);
      assert.equal(after.sessions?.live, before.sessions?.live);
    });
  });
}

describe('cloakroom admin: usage and configuration errors', () => {
  const sqlite: Backend = { name: 'sqlite', store: 'sqlite', nearCache: false, env: {}, skip: false };
  let app: TestApp;
  before(async () => {
    app = await startSite(sqlite);
  });
  after(async () => {
    await app.stop();
  });

  test('on a terminal, a destructive command asks: "n" cancels (exit 5, nothing changed), "y" goes on', async () => {
    const { email, phone } = await twoClients(app);
    const no = await adminOnTerminal(app, sqlite, ['revoke-all', email], 'n');
    assert.equal(no.status, 5, no.output);
    assert.match(
      no.output,
      new RegExp(`Sign ${email} out everywhere \\(2 live sessions, and every refresh token\\)\\? \\[y/N\\]`),
    );
    assert.match(no.output, /cloakroom: cancelled: nothing changed/);
    await assertMe(phone, 200, 'phone');
    const yes = await adminOnTerminal(app, sqlite, ['revoke-all', email], 'y');
    assert.equal(yes.status, 0, yes.output);
    assert.match(yes.output, /Signed .* out everywhere: 2 sessions and 0 refresh-token families revoked\./);
    await assertMe(phone, 401, 'phone');
  });

  test('Ctrl+C or Ctrl+D at the prompt cancels like "n": exit 5, nothing changed', async () => {
    const { email, phone } = await twoClients(app);
    for (const key of ['\x03', '\x04']) {
      const result = await adminOnTerminal(app, sqlite, ['revoke-all', email], key);
      assert.equal(result.status, 5, result.output);
      assert.match(result.output, /cloakroom: cancelled: nothing changed/);
    }
    await assertMe(phone, 200, 'phone');
  });

  test('a missing argument, an unknown command or option: exit 2, with the usage', async () => {
    for (const args of [['revoke'], ['frobnicate'], ['stats', '--colour']]) {
      const result = await admin(app, sqlite, args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
  });

  test('a folder that is not a server data folder: exit 2, naming the flag', async () => {
    const result = await admin(app, sqlite, ['stats', '--data-dir', `${app.dataDir}/nothing-here`]);
    assertRefused(result, 2, /is not the data folder of a Cloakroom server.*--data-dir/);
  });

  test('a database that does not answer: exit 4, store unavailable', async () => {
    const result = await admin(
      app,
      { ...sqlite, env: { CLOAKROOM_DATABASE_URL: 'postgres://127.0.0.1:1/none' } },
      ['stats'],
    );
    assertRefused(result, 4, /^cloakroom: store unavailable: /);
  });
});
