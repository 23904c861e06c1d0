// The issuer's errors: every one a CloakroomError with a stable code, the OAuth ones answering RFC 6749's
// shape; and a failing store is `store_unavailable`, never a refusal (which would read as a bad token) nor a
// crash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloakroomError } from '../../../src/errors.js';
import {
  ClientExistsError,
  invalidClient,
  invalidGrant,
  OAuthError,
  RefreshRefusedError,
} from '../../../src/tokens/issuer/errors.js';
import { RefreshTokens } from '../../../src/tokens/issuer/refresh.js';
import { authenticateClient } from '../../../src/tokens/issuer/clients.js';
import type { ClientStore, RefreshTokenStore } from '../../../src/tokens/issuer/types.js';
import { ManualClock } from '../../helpers/clock.js';

test('OAuth errors: code = the RFC 6749 error, with its status, headers and fixed body', () => {
  const grant = invalidGrant('refresh token');
  assert.ok(grant instanceof CloakroomError && grant instanceof OAuthError);
  assert.equal(grant.code, 'invalid_grant');
  assert.equal(grant.status, 400);
  assert.deepEqual(grant.body(), {
    error: 'invalid_grant',
    error_description: 'The refresh token is invalid, expired or revoked.',
  });
  const client = invalidClient();
  assert.equal(client.code, 'invalid_client');
  assert.equal(client.status, 401);
  assert.equal(client.headers['www-authenticate'], 'Basic realm="cloakroom", charset="UTF-8"');
  assert.equal(new OAuthError('temporarily_unavailable', 'x').status, 503);
  assert.equal(grant.name, 'OAuthError');
});

test('RefreshRefusedError is invalid_grant with its reason; ClientExistsError is client_exists', () => {
  const refused = new RefreshRefusedError('reused');
  assert.ok(refused instanceof CloakroomError);
  assert.equal(refused.code, 'invalid_grant');
  assert.equal(refused.reason, 'reused');
  const exists = new ClientExistsError('reports');
  assert.ok(exists instanceof CloakroomError);
  assert.equal(exists.code, 'client_exists');
  assert.equal(exists.message, 'a client with the id "reports" is already registered');
});

const down = () => Promise.reject(new Error('connection refused'));
const failingRefresh: RefreshTokenStore = {
  createFamily: down,
  find: down,
  rotate: down,
  revoke: down,
  deleteExpired: down,
};
const failingClients: ClientStore = { add: down, find: down, list: down, remove: down };

test('a failing store is store_unavailable everywhere, never a refusal', async () => {
  const tokens = new RefreshTokens({
    store: failingRefresh,
    clock: new ManualClock(),
    idleSeconds: 60,
    absoluteSeconds: 120,
    isSessionLive: () => Promise.resolve(true),
  });
  const grant = { userId: 'u', clientId: 'session', scope: 'a', audience: 'b', sessionId: null };
  const token = `${'A'.repeat(22)}.${'B'.repeat(43)}`;
  const unavailable = { code: 'store_unavailable' };
  await assert.rejects(tokens.issue(grant), unavailable);
  await assert.rejects(tokens.use(token, 'session'), unavailable);
  await assert.rejects(tokens.revoke(token, null), unavailable);
  await assert.rejects(tokens.revokeFamilies({ userId: 'u' }, 'revoked'), unavailable);
  await assert.rejects(tokens.sweepExpired(), unavailable);
  await assert.rejects(authenticateClient(failingClients, 'reports', 'secret'), unavailable);
});
