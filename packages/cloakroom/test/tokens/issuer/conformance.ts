// One conformance suite for the issuer's stores (refresh-token families, registered clients), run against
// every implementation (memory, SQLite, PostgreSQL, Redis): the refresh-token rules on top of them (rotation,
// reuse detection revoking the family, limits, revocation selectors) and the store contract itself
// (atomic rotation with exactly one winner across connections, revocation by session, user and client,
// sweeping, client lookup). Moved from the site's tests/app/tokens/stores.test.ts; its assertions are kept.
import assert from 'node:assert/strict';
import { beforeEach, describe, before, after, test } from 'node:test';
import { authenticateClient, hashClientSecret, registerClient } from '../../../src/tokens/issuer/clients.js';
import { ClientExistsError, RefreshRefusedError } from '../../../src/tokens/issuer/errors.js';
import { RefreshTokens } from '../../../src/tokens/issuer/refresh.js';
import type {
  ClientStore,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../../../src/tokens/issuer/types.js';
import { ManualClock } from '../../helpers/clock.js';

/** The stores under test, opened fresh for one run of the suite. */
export interface IssuerBackend {
  refresh: RefreshTokenStore;
  clients: ClientStore;
  /**
   * The same data through another connection (another client, pool or database handle), as a second
   * process sees it: concurrent rotations are raced across both. Omit for in-process stores.
   */
  peer?: RefreshTokenStore;
  close(): Promise<void>;
}

const DAY = 24 * 3600;

/**
 * Runs the issuer-store conformance suite against the stores `open` returns. `clock` is the suite's clock,
 * which stores that compute TTLs (Redis) must use.
 */
export function runIssuerStoreConformance(
  name: string,
  open: (clock: ManualClock) => Promise<IssuerBackend>,
): void {
  conformance(name, open);
}

function conformance(name: string, open: (clock: ManualClock) => Promise<IssuerBackend>): void {
  describe(name, () => {
    let backend: IssuerBackend;
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
      backend = await open(clock);
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
    // The store contract itself, below RefreshTokens.
    const family = (overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord => ({
      id: `fam-${Math.random().toString(36).slice(2)}`,
      userId: 'user-2',
      clientId: 'session',
      scope: 'a b',
      audience: 'https://site.example/api',
      sessionId: null,
      createdAt: clock.now(),
      absoluteExpiresAt: clock.now() + 30 * DAY * 1000,
      revokedAt: null,
      revokedReason: null,
      ...overrides,
    });
    const token = (familyId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
      id: `tok-${Math.random().toString(36).slice(2)}`,
      familyId,
      secretHash: new Uint8Array(32).fill(7),
      createdAt: clock.now(),
      expiresAt: clock.now() + DAY * 1000,
      usedAt: null,
      ...overrides,
    });

    test('store: a family and its first token are found together, records round-trip exactly', async () => {
      const fam = family({ sessionId: 'sess-x' });
      const first = token(fam.id);
      await backend.refresh.createFamily(fam, first);
      const found = await backend.refresh.find(first.id);
      assert.deepEqual(found, { token: first, family: fam });
      assert.equal(await backend.refresh.find('tok-missing'), null);
    });

    test('store: rotate marks the token used once and stores its successor; a second rotate stores nothing', async () => {
      const fam = family();
      const first = token(fam.id);
      await backend.refresh.createFamily(fam, first);
      const next = token(fam.id);
      assert.equal(await backend.refresh.rotate(first.id, clock.now() + 5, next), true);
      assert.equal((await backend.refresh.find(first.id))?.token.usedAt, clock.now() + 5);
      assert.deepEqual((await backend.refresh.find(next.id))?.token, next);
      const other = token(fam.id);
      assert.equal(await backend.refresh.rotate(first.id, clock.now() + 6, other), false);
      assert.equal(await backend.refresh.find(other.id), null);
      assert.equal((await backend.refresh.find(first.id))?.token.usedAt, clock.now() + 5, 'usedAt kept');
      assert.equal(await backend.refresh.rotate('tok-missing', clock.now(), token(fam.id)), false);
    });

    test('store: concurrent rotations of one token, over two connections: exactly one winner', async () => {
      for (let round = 0; round < 5; round += 1) {
        const fam = family();
        const first = token(fam.id);
        await backend.refresh.createFamily(fam, first);
        const stores = [backend.refresh, backend.peer ?? backend.refresh];
        const successors = Array.from({ length: 8 }, () => token(fam.id));
        const results = await Promise.all(
          successors.map((next, i) => stores[i % 2]!.rotate(first.id, clock.now(), next)),
        );
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${String(results)}`);
        const stored = await Promise.all(successors.map((next) => backend.refresh.find(next.id)));
        assert.deepEqual(
          stored.map((found) => found !== null),
          results,
          'only the winner stored its successor',
        );
      }
    });

    test('store: revoke by family, session, user (except a session), client: only live matches, once', async () => {
      const user = `user-${Math.random().toString(36).slice(2)}`;
      const client = `client-${Math.random().toString(36).slice(2)}`;
      const families = {
        s1: family({ userId: user, sessionId: 's1' }),
        s2: family({ userId: user, sessionId: 's2' }),
        none: family({ userId: user }),
        client: family({ userId: `${user}-b`, clientId: client }),
        clientToo: family({ userId: `${user}-c`, clientId: client, sessionId: 's1' }),
        other: family({ userId: `${user}-d` }),
      };
      const firsts = Object.fromEntries(
        await Promise.all(
          Object.entries(families).map(async ([key, fam]) => {
            const first = token(fam.id);
            await backend.refresh.createFamily(fam, first);
            return [key, first.id] as const;
          }),
        ),
      );
      const reason = async (key: keyof typeof families) =>
        (await backend.refresh.find(firsts[key]!))?.family.revokedReason ?? null;
      const at = clock.now() + 1;
      assert.equal(await backend.refresh.revoke({ familyId: families.other.id }, 'revoked', at), 1);
      assert.equal(
        await backend.refresh.revoke({ familyId: families.other.id }, 'reuse_detected', at + 1),
        0,
      );
      assert.equal(await reason('other'), 'revoked', 'never re-revoked');
      assert.equal((await backend.refresh.find(firsts.other!))?.family.revokedAt, at);
      assert.equal(await backend.refresh.revoke({ sessionId: 's1' }, 'session_ended', at), 2);
      assert.equal(await reason('s1'), 'session_ended');
      assert.equal(await reason('clientToo'), 'session_ended');
      assert.equal(await backend.refresh.revoke({ clientId: client }, 'revoked', at), 1);
      assert.equal(await reason('client'), 'revoked');
      assert.equal(
        await backend.refresh.revoke({ userId: user, exceptSessionId: 's2' }, 'user_sessions_ended', at),
        1,
        'the session-less family; s1 is already revoked',
      );
      assert.equal(await reason('none'), 'user_sessions_ended');
      assert.equal(await reason('s2'), null);
      assert.equal(await backend.refresh.revoke({ userId: user }, 'user_sessions_ended', at), 1);
      assert.equal(await reason('s2'), 'user_sessions_ended');
      assert.equal(await backend.refresh.revoke({ userId: 'nobody' }, 'revoked', at), 0);
      assert.equal(await backend.refresh.revoke({ sessionId: 'no-session' }, 'revoked', at), 0);
      assert.equal(await backend.refresh.revoke({ clientId: 'no-client' }, 'revoked', at), 0);
    });

    test('store: deleteExpired removes families at or before the time (with all their tokens), only those', async () => {
      const end = clock.now() + 40 * DAY * 1000;
      const ending = family({ absoluteExpiresAt: end });
      const later = family({ absoluteExpiresAt: end + 1 });
      const first = token(ending.id);
      const kept = token(later.id);
      await backend.refresh.createFamily(ending, first);
      await backend.refresh.createFamily(later, kept);
      const next = token(ending.id);
      assert.equal(await backend.refresh.rotate(first.id, clock.now(), next), true);
      assert.ok((await backend.refresh.deleteExpired(end)) >= 1);
      assert.equal(await backend.refresh.find(first.id), null);
      assert.equal(await backend.refresh.find(next.id), null);
      assert.deepEqual((await backend.refresh.find(kept.id))?.family, later);
      assert.equal(await backend.refresh.revoke({ familyId: ending.id }, 'revoked', end), 0, 'gone');
    });

    test('store: clients are found by id (null when unknown), listed by id, and an id is taken once', async () => {
      const base = `c-${Math.random().toString(36).slice(2)}`;
      const record = (id: string) => ({
        id,
        secretHash: hashClientSecret(id),
        scopes: ['x', 'y'],
        audiences: ['https://a.example', 'https://b.example'],
        // One client serves two audiences, the other none: both lists round-trip.
        resources: id.endsWith('-a') ? ['https://svc.example', 'https://svc2.example'] : [],
        createdAt: clock.now(),
      });
      await backend.clients.add(record(`${base}-b`));
      await backend.clients.add(record(`${base}-a`));
      assert.deepEqual(await backend.clients.find(`${base}-a`), record(`${base}-a`));
      assert.deepEqual(await backend.clients.find(`${base}-b`), record(`${base}-b`));
      assert.equal(await backend.clients.find(`${base}-zzz`), null);
      const listed = (await backend.clients.list()).map((client) => client.id);
      assert.deepEqual(listed, [...listed].sort());
      assert.ok(listed.indexOf(`${base}-a`) < listed.indexOf(`${base}-b`));
      const error = await backend.clients.add(record(`${base}-a`)).then(
        () => assert.fail('expected client_exists'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ClientExistsError);
      assert.equal(error.code, 'client_exists');
      await backend.clients.remove(`${base}-a`);
      await backend.clients.remove(`${base}-b`);
    });
  });
}
