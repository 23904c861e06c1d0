import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadOrCreateKeyring, memoryKeyringStorage, signAccessToken } from '../../src/tokens/index.js';
import { extractToken, verifyToken } from '../../src/inspect/index.js';
import { ids, inspect } from './support.js';

// Cloakroom's own access tokens, issued by cloakroom/tokens, should pass the audit Cloakroom applies to others.
describe("inspect on Cloakroom's own access tokens", () => {
  test('an issued EdDSA access token: no finding above info, and it verifies against the published JWKS', async () => {
    const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage() });
    const issued = await signAccessToken({
      keyring,
      issuer: 'https://auth.example.com',
      subject: 'user-42',
      audience: 'https://api.example.com',
      clientId: 'web',
      scope: ['notes:read'],
    });
    const report = await inspect(issued.token);
    assert.deepEqual(
      report.findings.filter((finding) => finding.severity !== 'info'),
      [],
    );
    assert.ok(!ids(report).includes('typ_not_at_jwt'));
    const verification = await verifyToken(extractToken(issued.token), {
      source: { type: 'jwks', jwks: keyring.publicJwks() },
      issuer: 'https://auth.example.com',
      audience: 'https://api.example.com',
    });
    assert.equal(verification.status, 'valid', verification.reason ?? '');
  });
});
