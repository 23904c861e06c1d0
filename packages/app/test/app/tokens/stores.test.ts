// The issuer's stores (refresh-token families, registered clients) and the refresh-token rules on top of
// them, run against SQLite and PostgreSQL alike: rotation, reuse detection, limits, revocation selectors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { openDatabase } from '../../../src/app/database.js';
import {
  authenticateClient,
  hashClientSecret,
  registerClient,
  verifyClientSecret,
} from '../../../src/app/tokens/clients.js';
import { RefreshRefusedError, RefreshTokens } from '../../../src/app/tokens/refresh.js';
import {
  migratePostgresTokens,
  PostgresClientStore,
  PostgresRefreshTokenStore,
} from '../../../src/app/tokens/store/postgres.js';
import { SqliteClientStore, SqliteRefreshTokenStore } from '../../../src/app/tokens/store/sqlite.js';
import {
  ClientExistsError,
  type ClientStore,
  type RefreshFamilyRecord,
  type RefreshTokenStore,
} from '../../../src/app/tokens/store/types.js';
import { ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import {
  DATABASE_URL,
  describePostgres,
  freshSchema,
  testPool,
} from '../../../../cloakroom/test/stores/postgres-support.js';

interface Backend {
  refresh: RefreshTokenStore;
  clients: ClientStore;
  close(): Promise<void>;
}

const DAY = 24 * 3600;

function conformance(name: string, open: () => Promise<Backend>): void {
  describe(name, () => {
    let backend: Backend;
    const clock = new ManualClock();
    const live = new Set<string>();
    const reused: RefreshFamilyRecord[] = [];
    let tokens: RefreshTokens;
    const grant = (sessionId: string | null = null) => ({
      userId: 'user-1',
      clientId: 'session',
      scope: 'notes:read notes:write',
      audience: 'https://site.example/api',
      sessionId,
    });

    before(async () => {
      backend = await open();
    });
    after(async () => {
      await backend.close();
    });
    beforeEach(() => {
      tokens = new RefreshTokens({
        store: backend.refresh,
        clock,
        idleSeconds: 7 * DAY,
        absoluteSeconds: 30 * DAY,
        isSessionLive: (sessionId) => Promise.resolve(live.has(sessionId)),
        onReuse: (family) => reused.push(family),
      });
    });

    const refusal = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => assert.fail('expected a refusal'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof RefreshRefusedError, String(error));
      return error.reason;
    };

    test('a refresh token is opaque, >= 128 bits of secret, and only its SHA-256 is stored', async () => {
      const token = await tokens.issue(grant());
      assert.match(token, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      const [id, secret] = token.split('.') as [string, string];
      const found = await backend.refresh.find(id);
      assert.ok(found);
      assert.equal(found.token.secretHash.length, 32);
      assert.notDeepEqual(Buffer.from(found.token.secretHash), Buffer.from(secret, 'base64url'));
      assert.equal(found.family.scope, 'notes:read notes:write');
    });

    test('each use rotates: the successor works, and so on', async () => {
      let token = await tokens.issue(grant());
      for (let i = 0; i < 3; i += 1) {
        const used = await tokens.use(token, 'session');
        assert.notEqual(used.refreshToken, token);
        assert.deepEqual(used.grant, grant());
        token = used.refreshToken;
      }
    });

    test('a used token presented again revokes the whole family (successor included) and is recorded', async () => {
      const first = await tokens.issue(grant());
      const { refreshToken: second } = await tokens.use(first, 'session');
      reused.length = 0;
      assert.equal(await refusal(tokens.use(first, 'session')), 'reused');
      assert.equal(reused.length, 1);
      assert.equal(await refusal(tokens.use(second, 'session')), 'revoked');
      const found = await backend.refresh.find(second.split('.')[0]!);
      assert.equal(found?.family.revokedReason, 'reuse_detected');
      assert.equal(found?.family.revokedAt, clock.now());
    });

    test('two concurrent uses of one token: one wins, the other is a reuse that revokes the family', async () => {
      const token = await tokens.issue(grant());
      const results = await Promise.allSettled([tokens.use(token, 'session'), tokens.use(token, 'session')]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const winner = results.find((result) => result.status === 'fulfilled');
      assert.equal(await refusal(tokens.use(winner!.value.refreshToken, 'session')), 'revoked');
    });

    test('wrong secret, unknown id, malformed: refused without touching the family', async () => {
      const token = await tokens.issue(grant());
      const [id] = token.split('.') as [string];
      assert.equal(await refusal(tokens.use(`${id}.${'A'.repeat(43)}`, 'session')), 'wrong_secret');
      assert.equal(await refusal(tokens.use(`${'B'.repeat(22)}.${'A'.repeat(43)}`, 'x')), 'unknown');
      for (const bad of ['', 'abc', `${token}x`, `${token}.x`, token.replace('.', '')]) {
        assert.equal(await refusal(tokens.use(bad, 'session')), 'malformed');
      }
      // Still usable: a wrong guess is not a reuse.
      await tokens.use(token, 'session');
    });

    test('a token bound to another client is refused', async () => {
      const token = await tokens.issue(grant());
      assert.equal(await refusal(tokens.use(token, 'someone-else')), 'client_mismatch');
    });

    test('idle limit: unused for longer than the idle time, the token is dead', async () => {
      const token = await tokens.issue(grant());
      clock.advance(7 * DAY * 1000);
      assert.equal(await refusal(tokens.use(token, 'session')), 'expired');
    });

    test('absolute limit: rotation never extends the family past its end', async () => {
      let token = await tokens.issue(grant());
      for (const days of [6, 6, 6, 6, 5]) {
        clock.advance(days * DAY * 1000);
        ({ refreshToken: token } = await tokens.use(token, 'session'));
      }
      clock.advance(DAY * 1000); // day 30: the family's end, though the token was used a day ago
      assert.equal(await refusal(tokens.use(token, 'session')), 'expired');
    });

    test('notAfter caps the family (a session-bound family never outlives its session)', async () => {
      const token = await tokens.issue(grant(), { notAfter: clock.now() + 60_000 });
      clock.advance(60_000);
      assert.equal(await refusal(tokens.use(token, 'session')), 'expired');
    });

    test('a family whose session has ended is refused and revoked', async () => {
      live.add('session-a');
      const token = await tokens.issue(grant('session-a'));
      const { refreshToken } = await tokens.use(token, 'session');
      live.delete('session-a');
      assert.equal(await refusal(tokens.use(refreshToken, 'session')), 'session_ended');
      const found = await backend.refresh.find(refreshToken.split('.')[0]!);
      assert.equal(found?.family.revokedReason, 'session_ended');
    });

    test('revocation selectors: by session, by user except one session, by user', async () => {
      const user = `user-${Math.random()}`;
      const issue = (sessionId: string | null) => tokens.issue({ ...grant(sessionId), userId: user });
      ['s1', 's2', 's3'].forEach((id) => live.add(id));
      const [a, b, c, d] = await Promise.all([issue('s1'), issue('s2'), issue('s3'), issue(null)]);
      assert.equal(await tokens.revokeFamilies({ sessionId: 's1' }, 'session_ended'), 1);
      assert.equal(await refusal(tokens.use(a, 'session')), 'revoked');
      assert.equal(
        await tokens.revokeFamilies({ userId: user, exceptSessionId: 's2' }, 'user_sessions_ended'),
        2,
        's3 and the session-less family',
      );
      assert.equal(await refusal(tokens.use(c, 'session')), 'revoked');
      assert.equal(await refusal(tokens.use(d, 'session')), 'revoked');
      await tokens.use(b, 'session');
      assert.equal(await tokens.revokeFamilies({ userId: user }, 'user_sessions_ended'), 1);
    });

    test('RFC 7009 revoke: by the token, only for its own client; unknown tokens are just false', async () => {
      const token = await tokens.issue(grant());
      assert.equal(await tokens.revoke(token, 'another-client'), false);
      await tokens
        .use(token, 'session')
        .then(({ refreshToken }) =>
          tokens.revoke(refreshToken, null).then((revoked) => assert.equal(revoked, true)),
        );
      assert.equal(await tokens.revoke('nonsense', null), false);
      assert.equal(await tokens.revoke(`${'C'.repeat(22)}.${'A'.repeat(43)}`, null), false);
    });

    test('sweeping deletes families past their absolute end, with their tokens', async () => {
      const token = await tokens.issue(grant());
      clock.advance(31 * DAY * 1000);
      assert.ok((await tokens.sweepExpired()) >= 1);
      assert.equal(await backend.refresh.find(token.split('.')[0]!), null);
    });

    test('clients: register (secret shown once, stored hashed), authenticate, list, remove', async () => {
      const id = `svc-${Math.random().toString(36).slice(2)}`;
      const { clientId, clientSecret } = await registerClient(
        backend.clients,
        { id, scopes: ['notes:read', 'notes:read'], audiences: ['https://a.example'] },
        clock,
      );
      assert.equal(clientId, id);
      assert.match(clientSecret, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
      const stored = await backend.clients.find(id);
      assert.ok(stored);
      assert.equal(stored.secretHash, hashClientSecret(clientSecret));
      assert.ok(!stored.secretHash.includes(clientSecret));
      assert.deepEqual(stored.scopes, ['notes:read']);
      assert.deepEqual(stored.audiences, ['https://a.example']);
      assert.equal((await authenticateClient(backend.clients, id, clientSecret))?.id, id);
      assert.equal(await authenticateClient(backend.clients, id, `${clientSecret}x`), null);
      assert.equal(await authenticateClient(backend.clients, 'nobody', clientSecret), null);
      assert.equal(await authenticateClient(backend.clients, 'bad id!', clientSecret), null);
      await assert.rejects(
        registerClient(backend.clients, { id, scopes: ['a'], audiences: ['b'] }, clock),
        ClientExistsError,
      );
      assert.ok((await backend.clients.list()).some((client) => client.id === id));
      assert.equal(await backend.clients.remove(id), true);
      assert.equal(await backend.clients.remove(id), false);
      assert.equal(await authenticateClient(backend.clients, id, clientSecret), null);
    });

    test('clients: bad ids, scopes and audiences are refused; the session client id is reserved', async () => {
      for (const client of [
        { id: 'has space', scopes: ['a'], audiences: ['b'] },
        { id: '', scopes: ['a'], audiences: ['b'] },
        { id: 'session', scopes: ['a'], audiences: ['b'] },
        { id: 'ok', scopes: [], audiences: ['b'] },
        { id: 'ok', scopes: ['a'], audiences: [] },
        { id: 'ok', scopes: ['a"b'], audiences: ['b'] },
        { id: 'ok', scopes: ['a'], audiences: ['with space'] },
      ]) {
        await assert.rejects(registerClient(backend.clients, client, clock), TypeError);
      }
    });
  });
}

test('client secret hashes are versioned and compared in constant time', () => {
  const hash = hashClientSecret('s3cret');
  assert.match(hash, /^sha256:[A-Za-z0-9_-]{43}$/);
  assert.equal(verifyClientSecret(hash, 's3cret'), true);
  assert.equal(verifyClientSecret(hash, 's3cret2'), false);
  assert.equal(verifyClientSecret('md5:abc', 's3cret'), false);
  assert.equal(verifyClientSecret('', 's3cret'), false);
});

conformance('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-tokens-'));
  const db = openDatabase(dir);
  return Promise.resolve({
    refresh: new SqliteRefreshTokenStore(db),
    clients: new SqliteClientStore(db),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describePostgres('PostgreSQL', () => {
  conformance('PostgreSQL stores', async () => {
    const admin = testPool();
    const schema = await freshSchema(admin);
    const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${schema.name}` });
    assert.deepEqual(await migratePostgresTokens(pool), [1]);
    assert.deepEqual(await migratePostgresTokens(pool), [], 'migrations run once');
    return {
      refresh: new PostgresRefreshTokenStore(pool),
      clients: new PostgresClientStore(pool),
      close: async () => {
        await pool.end();
        await schema.drop();
        await admin.end();
      },
    };
  });
});
