// Fuzzing the OpenID Connect callback (review finding 8): completeSignIn(query, handle) against a fake provider,
// with genuine callbacks bent (state, code, iss, error, duplicates, junk) and queries of any text. Failures:
// anything but FederationError, a case past the time limit, and a sign-in from a callback that does not carry
// exactly this browser's state and the code the provider issued for it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { FederationError, MemoryFederationStateStore, OidcRelyingParty } from '../../src/federation/index.js';
import { FakeOidcProvider } from '../helpers/fake-oidc-provider.js';
import { fuzzParameters, fuzzTestTimeout } from '../helpers/fuzz.js';
import { anyString, base64url } from '../property/support.js';

let provider: FakeOidcProvider;
let rp: OidcRelyingParty;
before(async () => {
  provider = await FakeOidcProvider.start();
  provider.userinfo = (sub) => ({ sub, email: 'grace@example.com', email_verified: true });
  rp = new OidcRelyingParty({
    id: 'fake',
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    redirectUri: 'http://127.0.0.1:9/auth/oidc/fake/callback',
    store: new MemoryFederationStateStore(),
  });
});
after(() => provider.close());

type Edit = (params: URLSearchParams, genuine: { state: string; code: string }) => void;
const text = fc.oneof(anyString, base64url(43), fc.constantFrom('', ' ', '%', 'null', '[]'));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.constantFrom('state', 'code', 'iss', 'session_state').map(
    (name): Edit =>
      (params) =>
        params.delete(name),
  ),
  fc.tuple(fc.constantFrom('state', 'code', 'iss'), text).map(
    ([name, value]): Edit =>
      (params) =>
        params.set(name, value),
  ),
  fc.tuple(fc.constantFrom('state', 'code', 'iss'), text).map(
    ([name, value]): Edit =>
      (params) =>
        params.append(name, value),
  ),
  fc.constantFrom('state', 'code').map(
    (name): Edit =>
      (params, genuine) =>
        params.append(name, genuine[name]),
  ),
  fc.tuple(fc.constantFrom('error', 'error_description', 'response', 'id_token', 'access_token'), text).map(
    ([name, value]): Edit =>
      (params) =>
        params.set(name, value),
  ),
  fc.constant<Edit>((params, genuine) => params.set('state', `${genuine.state.slice(0, -1)}A`)),
  fc.constant<Edit>((params, genuine) => params.set('state', genuine.state.toUpperCase())),
  fc.constant<Edit>((params) => params.set('iss', `${provider.issuer}/`)),
);
const handleChoice = fc.constantFrom('genuine', 'null', 'other', 'mutated');

test(
  "OIDC callback query: only FederationError, and a sign-in only for this browser's genuine callback",
  { timeout: fuzzTestTimeout(50) },
  async () => {
    let signedIn = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(edit, { maxLength: 3 }),
        fc.option(anyString, { freq: 8 }),
        handleChoice,
        async (viaProvider, edits, rawQuery, handleKind) => {
          const start = await rp.startSignIn();
          const state = new URL(start.url).searchParams.get('state') ?? '';
          // A real code costs a round trip to the fake provider; most cases bend a made-up one.
          const code = viaProvider
            ? ((await provider.authorize(start.url)).searchParams.get('code') ?? '')
            : 'made-up-code';
          const params = new URLSearchParams({ code, state, iss: provider.issuer });
          for (const apply of edits) apply(params, { state, code });
          const query = rawQuery ?? params.toString();
          const handle =
            handleKind === 'genuine'
              ? start.handle
              : handleKind === 'null'
                ? null
                : handleKind === 'other'
                  ? (await rp.startSignIn()).handle
                  : `${start.handle.slice(0, -1)}A`;
          try {
            await rp.completeSignIn(query, handle);
            const sent = new URLSearchParams(query);
            assert.equal(handle, start.handle, "signed in with another browser's handle");
            assert.deepEqual(sent.getAll('state'), [state], 'signed in without exactly this state');
            assert.deepEqual(sent.getAll('code'), [code], 'signed in without exactly the issued code');
            assert.ok(viaProvider, 'signed in with a code the provider never issued');
            signedIn++;
          } catch (error) {
            assert.ok(error instanceof FederationError, String(error));
          }
        },
      ),
      fuzzParameters('oidc-callback (completeSignIn)'),
    );
    assert.ok(signedIn > 0, 'no case signed in: the generator never reached the end of the flow');
  },
);
