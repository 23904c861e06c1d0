// Property tests for the OAuth endpoints' parsers: whatever arrives, the form reader, the Basic credentials
// reader, the scope parser and the refresh-token reader either succeed or refuse with their own error, never
// anything else (which would become a 500), and never echo the input in the error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { basicCredentials, readForm } from '../../../src/tokens/issuer/form.js';
import { OAuthError, RefreshRefusedError } from '../../../src/tokens/issuer/errors.js';
import { RefreshTokens } from '../../../src/tokens/issuer/refresh.js';
import { parseScope, grantScope } from '../../../src/tokens/issuer/scope.js';
import type { RefreshTokenStore } from '../../../src/tokens/issuer/types.js';
import { params } from '../../property/support.js';
import { fuzzParameters } from '../../helpers/fuzz.js';

const MARK = 'Zq9Secret';
const hostile = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '%', '%%', '%E0%A4%A', '&&&', '==', '+', 'a=b&a=c', 'Basic', 'Basic ', 'Bearer x'),
);

function onlyOAuthErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OAuthError, `unexpected ${String(error)}`);
    assert.ok(!error.message.includes(MARK), 'the input is never echoed');
  }
}

test('readForm: any body and content type gives a form or an OAuthError', () => {
  fc.assert(
    fc.property(hostile, fc.option(hostile), (body, type) => {
      onlyOAuthErrors(() => readForm({ body: body + MARK, contentType: type, authorization: null }));
      onlyOAuthErrors(() =>
        readForm({
          body: `${body}=${MARK}&${body}=${MARK}`,
          contentType: 'application/x-www-form-urlencoded',
          authorization: null,
        }),
      );
    }),
    fuzzParameters('oauth-form (token endpoint body)'),
  );
});

test('readForm: a repeated parameter is always refused, an empty one is absent', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z_]{1,12}$/),
      fc.string({ minLength: 1, maxLength: 20 }),
      (name, value) => {
        const type = 'application/x-www-form-urlencoded';
        const encoded = encodeURIComponent(value);
        assert.throws(
          () =>
            readForm({
              body: `${name}=${encoded}&${name}=${encoded}`,
              contentType: type,
              authorization: null,
            }),
          OAuthError,
        );
        assert.equal(readForm({ body: `${name}=`, contentType: type, authorization: null }).has(name), false);
        assert.equal(
          readForm({ body: `${name}=${encoded}`, contentType: type, authorization: null }).get(name),
          value,
        );
      },
    ),
    params(300),
  );
});

test('basicCredentials: any header gives credentials, null, or an OAuthError; valid ones round-trip', () => {
  fc.assert(
    fc.property(hostile, (header) => {
      onlyOAuthErrors(() => basicCredentials(header + MARK));
      onlyOAuthErrors(() => basicCredentials(`Basic ${Buffer.from(header + MARK).toString('base64')}`));
    }),
    fuzzParameters('oauth-basic (Authorization: Basic)'),
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9._~-]{1,64}$/), fc.string({ maxLength: 60 }), (id, secret) => {
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      const header = `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
      assert.deepEqual(basicCredentials(header), { id, secret });
    }),
    params(300),
  );
});

test('parseScope and grantScope never widen and refuse only with invalid_scope', () => {
  fc.assert(
    fc.property(hostile, fc.array(fc.stringMatching(/^[a-z:]{1,10}$/), { maxLength: 5 }), (text, allowed) => {
      try {
        const granted = grantScope(parseScope(text), allowed);
        assert.ok(granted.every((scope) => allowed.includes(scope)));
        assert.ok(granted.length > 0);
      } catch (error) {
        assert.ok(error instanceof OAuthError);
        assert.equal(error.error, 'invalid_scope');
      }
    }),
    params(500),
  );
});

test('a presented refresh token that is not ours is refused before any store read, unless well-formed', async () => {
  let reads = 0;
  const store = {
    find: () => {
      reads += 1;
      return Promise.resolve(null);
    },
  } as unknown as RefreshTokenStore;
  const tokens = new RefreshTokens({
    store,
    clock: { now: () => 0 },
    idleSeconds: 60,
    absoluteSeconds: 120,
    isSessionLive: () => Promise.resolve(true),
  });
  await fc.assert(
    fc.asyncProperty(hostile, async (presented) => {
      const before = reads;
      const error = await tokens.use(presented, 'session').then(
        () => null,
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof RefreshRefusedError);
      const wellFormed = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/.test(presented);
      assert.equal(reads - before, wellFormed ? 1 : 0);
    }),
    params(300),
  );
});
