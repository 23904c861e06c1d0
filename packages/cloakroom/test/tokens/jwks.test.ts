import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { importJWK, SignJWT, type JWK } from 'jose';
import {
  createVerifier,
  InvalidTokenError,
  KeySetUnavailableError,
  type SigningKeyring,
  type VerifierOptions,
} from '../../src/tokens/index.js';
import { MINUTE, SECOND, type ManualClock } from '../helpers/clock.js';
import { listen } from '../helpers/http.js';
import { AUDIENCE, ISSUER, memoryKeyring } from './support.js';

/** A JWKS endpoint serving a keyring, counting its requests; `mode` breaks it on demand. */
function jwksServer(keyring: () => SigningKeyring) {
  const state = {
    requests: 0,
    mode: 'ok' as 'ok' | 'huge' | 'huge-chunked' | 'hang' | 'redirect' | 'not-json',
  };
  const server = createServer((_req, res: ServerResponse) => {
    state.requests++;
    switch (state.mode) {
      case 'ok':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(keyring().publicJwks()));
        return;
      case 'huge':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(200_000) }));
        return;
      case 'huge-chunked':
        res.setHeader('content-type', 'application/json');
        for (let i = 0; i < 100; i++) res.write(' '.repeat(4096));
        res.end('{"keys":[]}');
        return;
      case 'hang':
        return; // never answers
      case 'redirect':
        res.writeHead(302, { location: 'http://127.0.0.1:9/jwks.json' }).end();
        return;
      case 'not-json':
        res.end('<html>');
        return;
    }
  });
  return { server, state };
}

describe('remote JWKS', () => {
  let keyring: SigningKeyring;
  let clock: ManualClock;
  let sign: () => Promise<string>;
  let storage: Awaited<ReturnType<typeof memoryKeyring>>['storage'];
  let url: string;
  let close: () => Promise<void>;
  let state: ReturnType<typeof jwksServer>['state'];

  before(async () => {
    ({ keyring, clock, sign, storage } = await memoryKeyring());
    const served = jwksServer(() => keyring);
    state = served.state;
    ({ url, close } = await listen(served.server));
  });
  after(() => close());

  function remoteVerifier(remote: VerifierOptions['remote'] = {}) {
    return createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      jwks: `${url}/.well-known/jwks.json`,
      remote: { timeoutMs: 500, ...remote },
      cache: false,
      clock,
    });
  }

  test('rotation seen by a verifier with a cached JWKS: next published, then signing, then retired', async () => {
    state.mode = 'ok';
    state.requests = 0;
    const verifier = remoteVerifier({ cooldownMs: 3_600_000 });
    const before = await sign();
    await verifier.verify(before);
    assert.equal(state.requests, 1, 'one fetch');

    // The next key was in that first JWKS, so once it signs the verifier needs no new fetch.
    await keyring.rotate();
    const after = await sign();
    assert.equal((await verifier.verify(after)).header.kid, keyring.signingKey().kid);
    assert.equal(state.requests, 1, 'the new signing key was already known');
    // Tokens of the retired key still verify while they live.
    await verifier.verify(before);

    // Retired long enough: every token it signed has expired, and the key leaves the JWKS.
    const retiredKid = keyring.list().find((key) => key.state === 'retired')!.kid;
    clock.advance(3600 * SECOND + MINUTE);
    assert.ok(!keyring.publicJwks().keys.some((key) => key.kid === retiredKid));
    const served = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    assert.ok(!served.keys.some((key) => key.kid === retiredKid), 'the endpoint no longer publishes it');
    const fresh = remoteVerifier();
    await fresh.verify(await sign());
    // Even a token made now with the dropped key's private half (as if it had leaked) finds no key.
    const document = JSON.parse(storage.text!) as { keys: { kid: string; privateJwk: JWK }[] };
    const dropped = document.keys.find((key) => key.kid === retiredKid)!;
    const late = await new SignJWT({ client_id: 'web', scope: 'notes:read' })
      .setProtectedHeader({ alg: 'EdDSA', kid: retiredKid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + 300)
      .setJti('late')
      .sign(await importJWK(dropped.privateJwk, 'EdDSA'));
    const refused = await fresh.verify(late).catch((error: unknown) => error);
    assert.ok(refused instanceof InvalidTokenError && refused.reason === 'unknown_key');
    assert.ok((await fresh.verify(before).catch((error: unknown) => error)) instanceof InvalidTokenError);
  });

  test('an unknown kid refetches at most once per cooldown', async () => {
    state.mode = 'ok';
    const verifier = remoteVerifier({ cooldownMs: 3_600_000 });
    await verifier.verify(await sign());
    state.requests = 0;
    // Two rotations: the signing key was not in the JWKS the verifier fetched.
    await keyring.rotate();
    await keyring.rotate();
    const unknown = await sign();
    for (let i = 0; i < 3; i++) {
      const error = await verifier.verify(unknown).catch((e: unknown) => e);
      assert.ok(error instanceof InvalidTokenError && error.reason === 'unknown_key');
    }
    assert.equal(state.requests, 0, 'cooling down: no refetch');

    const eager = remoteVerifier({ cooldownMs: 0 });
    state.requests = 0;
    await eager.verify(unknown);
    assert.equal(state.requests, 1);
    await keyring.rotate();
    await keyring.rotate();
    await eager.verify(await sign());
    assert.equal(state.requests, 2, 'an unknown kid after the cooldown refetches once');
  });

  test('the JWKS response is size-capped, timed out, and must be a 200 JSON key set: else 503', async () => {
    const token = await sign();
    for (const mode of ['huge', 'huge-chunked', 'hang', 'redirect', 'not-json'] as const) {
      state.mode = mode;
      const error = await remoteVerifier({ maxBytes: 64 * 1024, timeoutMs: 200 })
        .verify(token)
        .catch((e: unknown) => e);
      assert.ok(error instanceof KeySetUnavailableError, `${mode}: ${String(error)}`);
      assert.equal(error.code, 'jwks_unavailable');
    }
    state.mode = 'ok';
  });

  test('a live key source (the issuer verifying its own tokens) sees rotations at once', async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      jwks: keyring,
      clock,
    });
    for (let i = 0; i < 3; i++) {
      await keyring.rotate();
      await keyring.rotate();
      assert.equal((await verifier.verify(await sign())).header.kid, keyring.signingKey().kid);
    }
  });

  test('reloadKeys() refetches at once and forgets cached verifications', async () => {
    state.mode = 'ok';
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      jwks: `${url}/.well-known/jwks.json`,
      remote: { cooldownMs: 3_600_000 },
      clock,
    });
    const token = await sign();
    await verifier.verify(token);
    assert.equal(verifier.cacheSize, 1);
    state.requests = 0;
    await verifier.reloadKeys();
    assert.equal(state.requests, 1);
    assert.equal(verifier.cacheSize, 0);
    state.mode = 'hang';
    await assert.rejects(
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['EdDSA'],
        jwks: `${url}/.well-known/jwks.json`,
        remote: { timeoutMs: 100 },
      }).reloadKeys(),
      KeySetUnavailableError,
    );
    state.mode = 'ok';
  });

  test('the fetch can be injected; the token never chooses the URL', async () => {
    const requested: string[] = [];
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      jwks: 'https://issuer.internal/jwks',
      remote: {
        fetch: (target) => {
          requested.push(target);
          return Promise.resolve(Response.json(keyring.publicJwks()));
        },
      },
      clock,
    });
    await verifier.verify(await sign());
    assert.deepEqual(requested, ['https://issuer.internal/jwks']);
  });
});
