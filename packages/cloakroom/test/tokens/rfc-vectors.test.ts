// Standard examples from the RFCs, run through Cloakroom's strict decoding and verifier: each is a real, validly
// signed JWS, so what the verifier says about it shows which check (after the signature) refuses it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet } from 'jose';
import { decodeJsonSegment } from '../../src/tokens/compact.js';
import { createVerifier, generateSigningKey, InvalidTokenError } from '../../src/tokens/index.js';

// RFC 7515 Appendix A.1: HS256, a header with CRLF and spaces inside.
const RFC7515_A1 =
  'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9' +
  '.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ' +
  '.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC7515_A1_KEY =
  'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';

// RFC 8037 Appendix A.4: Ed25519, payload "Example of Ed25519 signing" (not JSON).
const RFC8037_A4 =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc' +
  '.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';
const RFC8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof InvalidTokenError);
    return error.reason;
  }
}

describe('RFC examples', () => {
  test('RFC 7515 A.1: the header with CRLF decodes strictly; the signature verifies; typ JWT is refused', async () => {
    const [header] = RFC7515_A1.split('.');
    assert.deepEqual(decodeJsonSegment(header!, 'header'), { typ: 'JWT', alg: 'HS256' });
    const verifier = createVerifier({
      issuer: 'joe',
      audience: 'x',
      algorithms: ['HS256'],
      secret: Buffer.from(RFC7515_A1_KEY, 'base64url'),
      clock: { now: () => 1300819380_000 - 60_000 },
    });
    // jose checks the signature before the claims, so wrong_type means the signature passed.
    assert.equal(await reasonOf(verifier.verify(RFC7515_A1)), 'wrong_type');
    const wrongKey = createVerifier({
      issuer: 'joe',
      audience: 'x',
      algorithms: ['HS256'],
      secret: Buffer.alloc(64, 1),
    });
    assert.equal(await reasonOf(wrongKey.verify(RFC7515_A1)), 'signature_invalid');
  });

  test('RFC 8037 A.4: a valid Ed25519 JWS whose payload is not a JWT is refused as malformed', async () => {
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X }] };
    await compactVerify(RFC8037_A4, createLocalJWKSet(jwks)); // jose: the signature is good
    const verifier = createVerifier({ issuer: 'i', audience: 'a', algorithms: ['EdDSA'], jwks });
    assert.equal(await reasonOf(verifier.verify(RFC8037_A4)), 'malformed');
  });

  test('RFC 7638: a generated key is published under the first 16 characters of its thumbprint', async () => {
    const key = await generateSigningKey('EdDSA');
    const { kty, crv, x } = key.publicJwk;
    assert.equal(key.kid, (await calculateJwkThumbprint({ kty, crv, x }, 'sha256')).slice(0, 16));
  });
});
