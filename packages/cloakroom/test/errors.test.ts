// Every error Cloakroom exports has a stable code from the one union, a documented HTTP answer, and is still
// exported by every public entry that exported it before the errors moved into their features.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as root from '../src/index.js';
import * as accountsEntry from '../src/accounts/index.js';
import * as csrfEntry from '../src/csrf/index.js';
import * as federationEntry from '../src/federation/index.js';
import * as inspectEntry from '../src/inspect/index.js';
import * as sessionEntry from '../src/session/index.js';
import * as storesEntry from '../src/stores/index.js';
import * as cachedEntry from '../src/stores/cached/index.js';
import * as tokensEntry from '../src/tokens/index.js';
import { CloakroomError, httpErrorOf, type CloakroomErrorCode } from '../src/errors.js';
import { createSessionManager } from '../src/session/manager.js';
import { CachedStore } from '../src/stores/cached/store.js';
import type { Invalidator } from '../src/stores/cached/invalidator.js';
import { MemoryStore } from '../src/stores/memory.js';
import { ManualClock } from './stores/conformance.js';

const SECRET = 'sk_live_do-not-print-me';

/** One instance of every exported error class, with the code and HTTP answer it must keep. */
const CASES: { error: CloakroomError; code: CloakroomErrorCode; status: number }[] = [
  {
    error: new root.InvalidRequestError('email must be a string', 'email'),
    code: 'invalid_request',
    status: 400,
  },
  { error: new root.CsrfRejectedError('untrusted_origin'), code: 'csrf_rejected', status: 403 },
  { error: new root.UnauthenticatedError(), code: 'unauthenticated', status: 401 },
  {
    error: new root.ReauthenticationRequiredError(600),
    code: 'reauthentication_required',
    status: 401,
  },
  { error: new root.StoreUnavailableError('get', new Error(SECRET)), code: 'store_unavailable', status: 503 },
  { error: new root.InvalidationPublishError(new Error(SECRET)), code: 'store_unavailable', status: 503 },
  {
    error: new root.WeakPasswordError('too_short', 'Use at least 8 characters.'),
    code: 'weak_password',
    status: 400,
  },
  { error: new root.EmailTakenError(), code: 'email_taken', status: 409 },
  { error: new root.InvalidCredentialsError(), code: 'invalid_credentials', status: 401 },
  { error: new root.TooManyAttemptsError(30), code: 'too_many_attempts', status: 429 },
  {
    error: new root.InvalidTokenError('expired', 'the token has expired'),
    code: 'invalid_token',
    status: 401,
  },
  { error: new root.InsufficientScopeError(['notes:write']), code: 'insufficient_scope', status: 403 },
  {
    error: new root.KeySetUnavailableError('the JWKS request timed out'),
    code: 'jwks_unavailable',
    status: 503,
  },
  { error: new root.MissingTokenError(), code: 'unauthenticated', status: 401 },
  {
    error: new root.FederationError('state_mismatch', 'state differs'),
    code: 'federation_failed',
    status: 400,
  },
  { error: new root.InspectError('no_token', 'the input is empty'), code: 'no_token', status: 400 },
  { error: new root.InspectError('malformed_token', 'bad header'), code: 'malformed_token', status: 400 },
  { error: new root.InspectError('key_unreadable', 'not PEM'), code: 'key_unreadable', status: 400 },
];

describe('errors', () => {
  for (const { error, code, status } of CASES) {
    test(`${error.name} has code ${code} and answers ${status}`, () => {
      assert.ok(error instanceof CloakroomError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, code);
      const answer = httpErrorOf(error);
      assert.equal(answer?.status, status);
      assert.equal(answer.body.error.code, code);
      assert.ok(!answer.body.error.message.includes(SECRET));
      assert.ok(!error.message.includes(SECRET), 'a cause never reaches the message');
    });
  }

  test('the three errors that had no code now have one', () => {
    assert.equal(new tokensEntry.MissingTokenError().code, 'unauthenticated');
    assert.equal(new cachedEntry.InvalidationPublishError(new Error('down')).code, 'store_unavailable');
    assert.equal(new inspectEntry.InspectError('key_unreadable', 'not PEM').code, 'key_unreadable');
  });

  test('names are the class names (logs print them)', () => {
    assert.equal(new root.MissingTokenError().name, 'MissingTokenError');
    assert.equal(new root.InvalidationPublishError(null).name, 'InvalidationPublishError');
    assert.equal(new root.InspectError('no_token', 'empty').name, 'InspectError');
    assert.equal(new root.TooManyAttemptsError(1).name, 'TooManyAttemptsError');
  });

  test('Retry-After comes with too_many_attempts and nothing else', () => {
    assert.deepEqual(httpErrorOf(new root.TooManyAttemptsError(29.2))?.headers, { 'retry-after': '30' });
    assert.deepEqual(httpErrorOf(new root.StoreUnavailableError('get', null))?.headers, {});
    assert.equal(httpErrorOf(new Error('plain')), null);
  });

  test('a failed invalidation is a store failure, kept as itself by the session layer', async () => {
    const clock = new ManualClock();
    const cause = new Error('pub/sub down');
    const invalidator: Invalidator = {
      publish: () => Promise.reject(cause),
      subscribe: () => Promise.resolve(() => Promise.resolve()),
    };
    const store = await CachedStore.create(new MemoryStore({ clock }), { invalidator, clock });
    const sessions = createSessionManager({
      store,
      origin: 'https://app.example',
      keys: ['k'.repeat(32)],
      clock,
    });
    const { session } = await sessions.create('user-1');
    await assert.rejects(sessions.revoke(session.id), (error: unknown) => {
      assert.ok(error instanceof root.InvalidationPublishError);
      assert.ok(error instanceof root.StoreUnavailableError);
      assert.equal(error.cause, cause);
      assert.deepEqual(httpErrorOf(error)?.body, {
        error: { code: 'store_unavailable', message: 'The session store is unavailable. Try again shortly.' },
      });
      return true;
    });
  });

  test('every public entry still exports the errors it exported, as the same classes as the root', () => {
    assert.equal(csrfEntry.CsrfRejectedError, root.CsrfRejectedError);
    assert.equal(cachedEntry.InvalidationPublishError, root.InvalidationPublishError);
    assert.equal(federationEntry.FederationError, root.FederationError);
    assert.equal(inspectEntry.InspectError, root.InspectError);
    assert.equal(tokensEntry.InvalidTokenError, root.InvalidTokenError);
    assert.equal(tokensEntry.InsufficientScopeError, root.InsufficientScopeError);
    assert.equal(tokensEntry.KeySetUnavailableError, root.KeySetUnavailableError);
    assert.equal(tokensEntry.MissingTokenError, root.MissingTokenError);
    // Now also from the feature that owns them.
    assert.equal(accountsEntry.WeakPasswordError, root.WeakPasswordError);
    assert.equal(accountsEntry.EmailTakenError, root.EmailTakenError);
    assert.equal(accountsEntry.InvalidCredentialsError, root.InvalidCredentialsError);
    assert.equal(accountsEntry.TooManyAttemptsError, root.TooManyAttemptsError);
    assert.equal(sessionEntry.UnauthenticatedError, root.UnauthenticatedError);
    assert.equal(storesEntry.StoreUnavailableError, root.StoreUnavailableError);
    assert.equal(typeof root.CloakroomError, 'function');
    assert.equal(typeof root.httpErrorOf, 'function');
  });

  test('bearer answers are unchanged by MissingTokenError becoming a CloakroomError', () => {
    assert.deepEqual(tokensEntry.bearerErrorOf(new root.MissingTokenError()), {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      body: { error: { code: 'unauthenticated', message: 'An access token is required.' } },
    });
  });
});
