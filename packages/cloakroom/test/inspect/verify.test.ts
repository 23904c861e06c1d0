import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CompactEncrypt, exportJWK, UnsecuredJWT } from 'jose';
import {
  defaultAlgorithms,
  extractToken,
  InspectError,
  loadJwks,
  loadKey,
  verifyToken,
  type VerifyTokenOptions,
} from '../../src/inspect/index.js';
import { listen } from '../helpers/http.js';
import { ed25519, goodClaims, hmacSecret, otherEd25519, publicJwks, sign } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'cloakroom-inspect-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function verify(token: string, options: VerifyTokenOptions) {
  return verifyToken(extractToken(token), options);
}

describe('inspect verification (jose)', () => {
  let server: { url: string; close: () => Promise<void> };
  let hits = 0;

  before(async () => {
    const jwks = JSON.stringify(await publicJwks());
    server = await listen(
      createServer((request, response) => {
        hits++;
        if (request.url === '/jwks.json') {
          response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
        } else {
          response.writeHead(404).end();
        }
      }),
    );
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('valid against a JWKS file; wrong key, expiry, issuer and audience say why not', async () => {
    const source = await loadJwks(file('jwks.json', await publicJwks()));
    const token = await sign(goodClaims(true));
    assert.deepEqual(await verify(token, { source }), {
      status: 'valid',
      code: 'valid',
      reason: null,
      algorithms: ['EdDSA'],
    });
    const expired = await sign({ ...goodClaims(true), exp: Math.floor(Date.now() / 1000) - 10 });
    assert.equal((await verify(expired, { source })).code, 'expired');
    const withIssuer = await verify(token, { source, issuer: 'https://other.example' });
    assert.equal(withIssuer.code, 'claim_invalid');
    assert.match(withIssuer.reason!, /iss/);
    const withAudience = await verify(token, { source, audience: 'https://other.example' });
    assert.equal(withAudience.code, 'claim_invalid');
    assert.match(withAudience.reason!, /aud/);
    assert.equal(
      (
        await verify(token, {
          source,
          issuer: 'https://auth.example.com',
          audience: 'https://api.example.com',
        })
      ).status,
      'valid',
    );
    const unknownKid = await sign(goodClaims(true), { typ: 'at+jwt', kid: 'k2' });
    assert.equal((await verify(unknownKid, { source })).code, 'no_matching_key');
  });

  test('a forged signature (another key, same kid) is invalid', async () => {
    const source = await loadJwks(file('jwks2.json', await publicJwks()));
    const header = await sign(goodClaims(true));
    const forged = `${header.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    const result = await verify(forged, { source });
    assert.equal(result.status, 'invalid');
    assert.equal(result.code, 'signature_invalid');
  });

  test('against a JWKS served over HTTP on loopback (jose createRemoteJWKSet)', async () => {
    const before = hits;
    const source = await loadJwks(`${server.url}/jwks.json`);
    assert.equal(source.type, 'remote-jwks');
    assert.equal((await verify(await sign(goodClaims(true)), { source })).status, 'valid');
    assert.ok(hits > before, 'the key set was fetched');
    const missing = await verify(await sign(goodClaims(true)), {
      source: await loadJwks(`${server.url}/nope`),
    });
    assert.equal(missing.code, 'jwks_unavailable');
    const down = await verify(await sign(goodClaims(true)), {
      source: await loadJwks('http://127.0.0.1:1/jwks.json'),
    });
    assert.equal(down.status, 'invalid');
    assert.equal(down.code, 'jwks_unavailable');
  });

  test('plain http JWKS URLs are refused off loopback', async () => {
    await assert.rejects(loadJwks('http://auth.example.com/jwks.json'), (error: unknown) => {
      return error instanceof InspectError && error.code === 'key_unreadable';
    });
    assert.equal((await loadJwks('https://auth.example.com/jwks.json')).type, 'remote-jwks');
  });

  test('--key: a PEM public key, a PEM private key, a JWK, an oct JWK for HS256', async () => {
    const token = await sign(goodClaims(true));
    const pem = file('public.pem', ed25519.publicKey.export({ type: 'spki', format: 'pem' }));
    assert.equal((await verify(token, { source: await loadKey(pem) })).status, 'valid');
    const privatePem = file('private.pem', ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.equal((await verify(token, { source: await loadKey(privatePem) })).status, 'valid');
    const jwk = file('key.jwk', await exportJWK(ed25519.publicKey));
    assert.equal((await verify(token, { source: await loadKey(jwk) })).status, 'valid');
    const other = file('other.pem', otherEd25519.publicKey.export({ type: 'spki', format: 'pem' }));
    assert.equal((await verify(token, { source: await loadKey(other) })).code, 'signature_invalid');
    const oct = file('oct.jwk', { kty: 'oct', k: Buffer.from(hmacSecret).toString('base64url') });
    const hs256 = await sign(goodClaims(true), { typ: 'at+jwt' }, 'HS256');
    const result = await verify(hs256, { source: await loadKey(oct) });
    assert.equal(result.status, 'valid');
    assert.deepEqual(result.algorithms, ['HS256', 'HS384', 'HS512']);
  });

  test('the algorithm allowlist holds: HS256 or none against a public key, or an alg outside --alg, is refused', async () => {
    const pem = file('public2.pem', ed25519.publicKey.export({ type: 'spki', format: 'pem' }));
    const source = await loadKey(pem);
    const hs256 = await sign(goodClaims(true), { typ: 'at+jwt' }, 'HS256');
    assert.equal((await verify(hs256, { source })).code, 'alg_not_allowed');
    const eddsa = await sign(goodClaims(true));
    assert.equal((await verify(eddsa, { source, algorithms: ['ES256'] })).code, 'alg_not_allowed');
    const unsecured = new UnsecuredJWT(goodClaims(true)).encode();
    assert.equal((await verify(unsecured, { source })).code, 'alg_not_allowed');
  });

  test('the default allowlist follows the keys: the key types of a JWKS, never none, HS* only for secrets', async () => {
    const rsa = await exportJWK(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    const p256 = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    assert.deepEqual(defaultAlgorithms({ type: 'jwks', jwks: { keys: [rsa, p256] } }), [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
    ]);
    assert.deepEqual(defaultAlgorithms({ type: 'key', key: { ...p256, alg: 'ES256' } }), ['ES256']);
    const remote = defaultAlgorithms({ type: 'remote-jwks', url: new URL('https://auth.example.com/jwks') });
    assert.ok(!remote.some((alg) => alg.startsWith('HS') || alg.toLowerCase() === 'none'));
  });

  test('a JWE and a Cloakroom session are not verifiable with a public key: unsupported, said so', async () => {
    const source = await loadJwks(file('jwks3.json', await publicJwks()));
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
      .encrypt(new Uint8Array(16));
    assert.equal((await verify(jwe, { source })).status, 'unsupported');
  });

  test('unreadable key material is refused with key_unreadable and no content in the message', async () => {
    const isKeyError = (error: unknown) => error instanceof InspectError && error.code === 'key_unreadable';
    await assert.rejects(loadKey(join(dir, 'missing.pem')), isKeyError);
    await assert.rejects(
      loadKey(file('garbage.pem', '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----')),
      isKeyError,
    );
    await assert.rejects(loadKey(file('garbage.json', '{"not":"a key"}')), isKeyError);
    await assert.rejects(loadJwks(file('nokeys.json', '{"secret":"s3cr3t"}')), (error: unknown) => {
      return isKeyError(error) && !(error as Error).message.includes('s3cr3t');
    });
  });
});
