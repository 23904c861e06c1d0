import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompactEncrypt, importJWK } from 'jose';
import {
  createNestedVerifier,
  createVerifier,
  encryptToken,
  generateEncryptionKey,
  InvalidTokenError,
  type EncryptionKey,
  type NestedTokenVerifier,
} from '../../src/tokens/index.js';
import { AUDIENCE, ISSUER, memoryKeyring } from './support.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
}

describe('nested tokens (JWE)', async () => {
  const { keyring, clock, sign } = await memoryKeyring();
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    jwks: keyring,
    clock,
  });
  const audienceKey: EncryptionKey = await generateEncryptionKey('ECDH-ES+A256KW');
  const nested: NestedTokenVerifier = createNestedVerifier({
    verifier,
    decryptionKeys: [audienceKey.privateJwk],
    keyManagementAlgorithms: ['ECDH-ES+A256KW'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });

  test('sign then encrypt to the audience; decrypt then verify', async () => {
    const signed = await sign();
    const jwe = await encryptToken(signed, { key: audienceKey.publicJwk });
    assert.equal(jwe.split('.').length, 5);
    assert.ok(!jwe.includes(signed.split('.')[1]!), 'the claims are not readable');
    const header = JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { alg: header.alg, enc: header.enc, cty: header.cty, kid: header.kid },
      { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', kid: audienceKey.kid },
    );
    assert.equal((await nested.verify(jwe)).claims.sub, 'user-1');
  });

  test('the encryption key is separate from signing keys and publishes no private member', () => {
    assert.equal(audienceKey.publicJwk.use, 'enc');
    assert.equal('d' in audienceKey.publicJwk, false);
    assert.ok(!keyring.publicJwks().keys.some((key) => key.kid === audienceKey.kid));
  });

  test('RSA-OAEP-256 works when allowed', async () => {
    const rsa = await generateEncryptionKey('RSA-OAEP-256');
    const rsaNested = createNestedVerifier({
      verifier,
      decryptionKeys: [rsa.privateJwk],
      keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    assert.equal(
      (await rsaNested.verify(await encryptToken(await sign(), { key: rsa.publicJwk }))).claims.sub,
      'user-1',
    );
    // ...and not when the allowlist says otherwise.
    const jwe = await encryptToken(await sign(), { key: rsa.publicJwk });
    assert.equal(await reasonOf(nested.verify(jwe)), 'algorithm_not_allowed');
  });

  test('refuses zip, PBES2, RSA1_5, dir, unlisted enc, a wrong cty, unknown kids, tampering and bad inner tokens', async () => {
    const signed = await sign();
    const recipient = await importJWK(audienceKey.publicJwk, 'ECDH-ES+A256KW');
    const good = await encryptToken(signed, { key: audienceKey.publicJwk });
    const [, ek, iv, ct, tag] = good.split('.') as [string, string, string, string, string];
    const withHeader = (header: Record<string, unknown>) => [b64(header), ek, iv, ct, tag].join('.');
    const base = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', kid: audienceKey.kid };

    const zipped = await new CompactEncrypt(new TextEncoder().encode(signed))
      .setProtectedHeader({ ...base, zip: 'DEF' })
      .encrypt(recipient);
    const cases: [string, string, string][] = [
      ['zip (real, made by jose)', zipped, 'forbidden_header'],
      [
        'PBES2',
        withHeader({ ...base, alg: 'PBES2-HS256+A128KW', p2s: 'AAAA', p2c: 100_000_000 }),
        'algorithm_not_allowed',
      ],
      ['RSA1_5', withHeader({ ...base, alg: 'RSA1_5' }), 'algorithm_not_allowed'],
      ['dir', withHeader({ ...base, alg: 'dir' }), 'algorithm_not_allowed'],
      ['enc A128CBC-HS256 unlisted', withHeader({ ...base, enc: 'A128CBC-HS256' }), 'algorithm_not_allowed'],
      ['cty missing', withHeader({ ...base, cty: undefined }), 'wrong_type'],
      ['embedded jwk', withHeader({ ...base, jwk: audienceKey.publicJwk }), 'forbidden_header'],
      ['unknown kid', withHeader({ ...base, kid: '../../etc/passwd' }), 'unknown_key'],
      ['header altered (AAD)', withHeader({ ...base, typ: 'JWT' }), 'decryption_failed'],
      [
        'ciphertext altered',
        [good.split('.')[0], ek, iv, `${ct.slice(0, -2)}AA`, tag].join('.'),
        'decryption_failed',
      ],
      ['a plain JWS', signed, 'malformed'],
      ['oversized', `${good}${'A'.repeat(9000)}`, 'malformed'],
      [
        'duplicate header member',
        [
          Buffer.from(
            `{"alg":"ECDH-ES+A256KW","enc":"A256GCM","cty":"JWT","kid":"${audienceKey.kid}","enc":"A128GCM"}`,
          ).toString('base64url'),
          ek,
          iv,
          ct,
          tag,
        ].join('.'),
        'duplicate_member',
      ],
    ];
    const other = await generateEncryptionKey('ECDH-ES+A256KW');
    cases.push([
      'encrypted to another audience',
      await encryptToken(signed, { key: { ...other.publicJwk, kid: audienceKey.kid } }),
      'decryption_failed',
    ]);
    cases.push([
      'inner token invalid',
      await encryptToken(`${signed.slice(0, -3)}AAA`, { key: audienceKey.publicJwk }),
      'signature_invalid',
    ]);
    cases.push(['inner not a JWT', await encryptToken('hello', { key: audienceKey.publicJwk }), 'malformed']);
    const wrong: string[] = [];
    for (const [name, token, reason] of cases) {
      const got = await reasonOf(nested.verify(token));
      if (got !== reason) wrong.push(`${name}: ${got}, expected ${reason}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('allowlists are explicit and can never name zip-era or password-based algorithms', () => {
    const base = { verifier, decryptionKeys: [audienceKey.privateJwk] };
    for (const alg of ['PBES2-HS256+A128KW', 'RSA1_5', 'dir', 'A128KW', 'RSA-OAEP']) {
      assert.throws(
        () =>
          createNestedVerifier({
            ...base,
            keyManagementAlgorithms: [alg as 'ECDH-ES'],
            contentEncryptionAlgorithms: ['A256GCM'],
          }),
        TypeError,
        alg,
      );
    }
    assert.throws(
      () =>
        createNestedVerifier({
          ...base,
          keyManagementAlgorithms: ['ECDH-ES'],
          contentEncryptionAlgorithms: [],
        }),
      TypeError,
    );
    assert.throws(
      () =>
        createNestedVerifier({
          ...base,
          decryptionKeys: [audienceKey.publicJwk],
          keyManagementAlgorithms: ['ECDH-ES'],
          contentEncryptionAlgorithms: ['A256GCM'],
        }),
      TypeError,
      'a public key cannot decrypt',
    );
  });

  test('encryptToken refuses a private key and disallowed algorithms', async () => {
    const signed = await sign();
    await assert.rejects(encryptToken(signed, { key: audienceKey.privateJwk }), TypeError);
    await assert.rejects(
      encryptToken(signed, { key: audienceKey.publicJwk, alg: 'RSA1_5' as 'ECDH-ES' }),
      TypeError,
    );
  });
});
