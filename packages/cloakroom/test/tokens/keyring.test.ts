import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  KEYRING_FILE,
  loadOrCreateKeyring,
  memoryKeyringStorage,
  signAccessToken,
  type SigningAlgorithm,
} from '../../src/tokens/index.js';
import { ManualClock, MINUTE, SECOND } from '../helpers/clock.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloakroom-keyring-'));
  dirs.push(dir);
  return join(dir, 'data');
}
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

describe('signing keyring', () => {
  test('is created on first use in the data dir: one current and one next key, file 0600, dir 0700', async () => {
    const dir = await tempDir();
    const keyring = await loadOrCreateKeyring({ dir });
    const states = keyring.list().map((key) => [key.state, key.alg]);
    assert.deepEqual(states, [
      ['current', 'EdDSA'],
      ['next', 'EdDSA'],
    ]);
    assert.equal((await stat(join(dir, KEYRING_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(dir), [KEYRING_FILE], 'no temporary file is left behind');
    const again = await loadOrCreateKeyring({ dir });
    assert.equal(again.signingKey().kid, keyring.signingKey().kid, 'a second load reads the same keys');
  });

  test('publishes only public members, the next key included, never d', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256'] satisfies SigningAlgorithm[]) {
      const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage(), alg });
      const { keys } = keyring.publicJwks();
      assert.equal(keys.length, 2);
      for (const jwk of keys) {
        assert.equal(jwk.alg, alg);
        assert.equal(jwk.use, 'sig');
        for (const member of PRIVATE_MEMBERS) assert.equal(member in jwk, false, `${alg} leaks ${member}`);
      }
      assert.equal(keys[0]!.kid, keyring.signingKey().kid);
      assert.equal(keyring.signingKey().key.extractable, false);
    }
  });

  test('rotation: next signs, current retires and stays published until its tokens expired, then drops', async () => {
    const clock = new ManualClock();
    const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage(), clock });
    const [first, second] = keyring.list().map((key) => key.kid);
    const kid = await keyring.rotate();
    assert.equal(kid, second);
    assert.equal(keyring.signingKey().kid, second);
    const listed = keyring.list();
    assert.deepEqual(
      listed.map((key) => key.state),
      ['current', 'next', 'retired'],
    );
    const retired = listed[2]!;
    assert.equal(retired.kid, first);
    assert.equal(retired.retiredAt, clock.now());
    // Kept for the longest token lifetime (1 h) plus the verifiers' 60 s tolerance.
    assert.equal(retired.dropsAt, clock.now() + 3600 * SECOND + MINUTE);
    assert.ok(keyring.publicJwks().keys.some((key) => key.kid === first));

    clock.advance(3600 * SECOND + MINUTE - 1);
    assert.ok(
      keyring.publicJwks().keys.some((key) => key.kid === first),
      'still published just before',
    );
    clock.advance(1);
    assert.ok(!keyring.publicJwks().keys.some((key) => key.kid === first), 'dropped once its tokens expired');
    await keyring.rotate();
    assert.equal(keyring.list().length, 3, 'current, next, and the key retired just now');
    assert.ok(!keyring.list().some((key) => key.kid === first));
  });

  test('publicJwks() returns the same object until the set changes', async () => {
    const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage() });
    const jwks = keyring.publicJwks();
    assert.equal(keyring.publicJwks(), jwks);
    await keyring.rotate();
    assert.notEqual(keyring.publicJwks(), jwks);
  });

  test('a rotation by another process is picked up by reload() and built upon by rotate()', async () => {
    const dir = await tempDir();
    const server = await loadOrCreateKeyring({ dir });
    const cli = await loadOrCreateKeyring({ dir });
    const rotatedTo = await cli.rotate();
    assert.notEqual(server.signingKey().kid, rotatedTo);
    assert.equal(await server.reload(), true);
    assert.equal(server.signingKey().kid, rotatedTo);
    assert.equal(await server.reload(), false);
    await server.rotate();
    assert.equal((await loadOrCreateKeyring({ dir })).list().length, 4, 'both rotations are kept');
    assert.equal((await stat(join(dir, KEYRING_FILE))).mode & 0o777, 0o600, 'still 0600 after a rewrite');
    assert.deepEqual(await readdir(dir), [KEYRING_FILE]);
  });

  test('two processes starting at once end up with one keyring', async () => {
    const dir = await tempDir();
    const rings = await Promise.all([1, 2, 3].map(() => loadOrCreateKeyring({ dir })));
    const kids = new Set(rings.map((ring) => ring.signingKey().kid));
    assert.equal(kids.size, 1);
    assert.deepEqual(await readdir(dir), [KEYRING_FILE]);
  });

  test('new keys take the configured algorithm; existing keys keep theirs', async () => {
    const storage = memoryKeyringStorage();
    await loadOrCreateKeyring({ storage, alg: 'EdDSA' });
    const keyring = await loadOrCreateKeyring({ storage, alg: 'ES256' });
    await keyring.rotate();
    assert.deepEqual(
      keyring.list().map((key) => key.alg),
      ['EdDSA', 'ES256', 'EdDSA'],
    );
  });

  test('a damaged keyring file is an error, never silently replaced', async () => {
    const dir = await tempDir();
    await loadOrCreateKeyring({ dir });
    const path = join(dir, KEYRING_FILE);
    const original = await readFile(path, 'utf8');
    await writeFile(path, original.slice(0, 100));
    await assert.rejects(loadOrCreateKeyring({ dir }), /keyring document is invalid/);
    const twoCurrent = JSON.parse(original) as { keys: { state: string }[] };
    twoCurrent.keys[1]!.state = 'current';
    await writeFile(path, JSON.stringify(twoCurrent));
    await assert.rejects(loadOrCreateKeyring({ dir }), /exactly one current key/);
    assert.notEqual(await readFile(path, 'utf8'), original, 'the file was left for the operator to inspect');
  });

  test('options are checked', async () => {
    await assert.rejects(loadOrCreateKeyring({}), TypeError);
    await assert.rejects(
      loadOrCreateKeyring({ storage: memoryKeyringStorage(), alg: 'HS256' as 'EdDSA' }),
      TypeError,
    );
    await assert.rejects(
      loadOrCreateKeyring({ storage: memoryKeyringStorage(), maxTokenLifetimeSeconds: 7200 }),
      TypeError,
    );
  });
});

describe('signAccessToken', () => {
  const ISSUER = 'http://localhost:3000';

  test('signs an RFC 9068 token with the current key: typ at+jwt, kid, all required claims', async () => {
    const clock = new ManualClock();
    const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage(), clock });
    const signed = await signAccessToken({
      keyring,
      issuer: ISSUER,
      subject: 'u_8Jc2kQm3Xv0aLpRz',
      audience: 'http://localhost:3000/api',
      clientId: 'web',
      scope: ['notes:read', 'notes:write'],
      sessionId: 'Fq3vD0mYx9aKcLr2',
      clock,
    });
    const header = decodeProtectedHeader(signed.token);
    assert.deepEqual(header, { alg: 'EdDSA', kid: keyring.signingKey().kid, typ: 'at+jwt' });
    const { payload } = await jwtVerify(signed.token, createLocalJWKSet(keyring.publicJwks()), {
      currentDate: new Date(clock.now()),
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: 'http://localhost:3000/api',
    });
    assert.deepEqual(Object.keys(payload).sort(), [
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'scope',
      'sid',
      'sub',
    ]);
    assert.equal(payload.scope, 'notes:read notes:write');
    assert.equal(payload.exp! - payload.iat!, 300, 'five minutes by default');
    assert.equal(signed.expiresIn, 300);
    assert.equal(payload.jti, signed.jti);
    assert.equal(Buffer.from(signed.jti, 'base64url').length, 16);
    assert.ok(signed.token.length <= 512, `the default token is ${signed.token.length} bytes`);
  });

  test('records the actor chain of a token exchange', async () => {
    const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage() });
    const { token } = await signAccessToken({
      keyring,
      issuer: ISSUER,
      subject: 'u1',
      audience: 'svc-b',
      clientId: 'svc-a',
      scope: 'read',
      actor: { sub: 'svc-a', act: { sub: 'web' } },
    });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keyring.publicJwks()));
    assert.deepEqual(payload.act, { sub: 'svc-a', act: { sub: 'web' } });
  });

  test('refuses lifetimes over one hour (or over the keyring limit) and bad claims', async () => {
    const keyring = await loadOrCreateKeyring({
      storage: memoryKeyringStorage(),
      maxTokenLifetimeSeconds: 600,
    });
    const base = { keyring, issuer: ISSUER, subject: 'u', audience: 'api', clientId: 'c', scope: 'a' };
    await assert.rejects(signAccessToken({ ...base, lifetimeSeconds: 601 }), TypeError);
    await assert.rejects(signAccessToken({ ...base, lifetimeSeconds: 0 }), TypeError);
    await assert.rejects(signAccessToken({ ...base, subject: '' }), TypeError);
    await assert.rejects(signAccessToken({ ...base, audience: [] }), TypeError);
    await assert.rejects(signAccessToken({ ...base, scope: 'a "b' }), TypeError);
    const ok = await signAccessToken({ ...base, lifetimeSeconds: 600 });
    assert.equal(ok.expiresIn, 600);
  });
});
