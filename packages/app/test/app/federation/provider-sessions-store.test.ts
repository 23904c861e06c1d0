// The provider-session links on memory stores: a rotation moves a session's link to its successor before
// the swap, a failed swap keeps the old link, an unlinked session's rotation writes nothing, and a logout
// still finds a single entry written before the links became sets.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { MemoryUserStore } from '../../../../cloakroom/src/accounts/stores/memory.js';
import { MemoryIdentityStore } from '../../../../cloakroom/src/accounts/stores/identities/memory.js';
import { MemoryFederationStateStore } from '../../../../cloakroom/src/federation/index.js';
import { SessionManager } from '../../../../cloakroom/src/session/manager.js';
import { MemoryStore } from '../../../../cloakroom/src/stores/memory.js';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';
import {
  followProviderSessions,
  linkProviderSession,
  providerSessionKey,
} from '../../../src/app/federation/provider-sessions.js';
import { SiteFederation } from '../../../src/app/federation/service.js';
import type { AppUser } from '../../../src/app/http/env.js';

const ORIGIN = 'http://127.0.0.1:3000';
const KEYS = ['k'.repeat(43)];
const clock = { now: () => Date.now() };

function setup() {
  const state = new MemoryFederationStateStore();
  const inner = new MemoryStore<AppUser>();
  const sessions = new SessionManager<AppUser>({
    store: followProviderSessions(inner, state, clock),
    origin: ORIGIN,
    keys: KEYS,
  });
  return { state, inner, sessions };
}

describe('provider-session links follow rotations', () => {
  test('a rotated session joins its provider session: logout would take both ids', async () => {
    const { state, sessions } = setup();
    const issued = await sessions.create('ada');
    const key = providerSessionKey('https://idp.example', 'sid-1');
    await linkProviderSession(state, key, issued.session, clock.now());
    const rotated = await sessions.rotate(issued.session);
    assert.ok(rotated !== null);
    assert.deepEqual(
      (await state.takeMembers(key, clock.now())).sort(),
      [issued.session.id, rotated.session.id].sort(),
    );
  });

  test('the successor carries the link on: a second rotation joins the same set', async () => {
    const { state, sessions } = setup();
    const issued = await sessions.create('ada');
    const key = providerSessionKey('https://idp.example', 'sid-2');
    await linkProviderSession(state, key, issued.session, clock.now());
    const first = await sessions.rotate(issued.session);
    const second = first === null ? null : await sessions.rotate(first.session);
    assert.ok(second !== null);
    assert.ok((await state.takeMembers(key, clock.now())).includes(second.session.id));
  });

  test('a swap that finds the session gone keeps the old link and revives nothing', async () => {
    const { state, inner, sessions } = setup();
    const issued = await sessions.create('ada');
    const key = providerSessionKey('https://idp.example', 'sid-3');
    await linkProviderSession(state, key, issued.session, clock.now());
    await inner.delete(issued.session.id); // signed out meanwhile, behind the wrapper's back
    assert.equal(await sessions.rotate(issued.session), null);
    assert.equal(await state.take(`sid-of:${issued.session.id}`, clock.now()), key, 'the old link is back');
  });

  test('a session no provider signed in rotates without a write to the federation store', async () => {
    const { state, sessions } = setup();
    const issued = await sessions.create('ada');
    const rotated = await sessions.rotate(issued.session);
    assert.ok(rotated !== null);
    assert.equal(await state.take(`sid-of:${rotated.session.id}`, clock.now()), null);
  });
});

describe('back-channel logout reads a single entry written before the sets', () => {
  let provider: FakeOidcProvider;
  before(async () => {
    provider = await FakeOidcProvider.start();
  });
  after(() => provider.close());

  test('the session it names ends', async () => {
    const { state, sessions } = setup();
    const federation = new SiteFederation({
      providers: [
        {
          id: 'fake',
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          scopes: ['openid', 'email'],
          label: 'Fake',
        },
      ],
      origin: ORIGIN,
      users: new MemoryUserStore(),
      identities: new MemoryIdentityStore(),
      state,
      sessions,
      log: pino({ level: 'silent' }),
    });
    const issued = await sessions.create('ada');
    const now = clock.now();
    // The layout of the previous version: one session id under the provider-session key.
    await state.put(
      providerSessionKey(provider.issuer, 'old-sid'),
      issued.session.id,
      issued.session.absoluteExpiresAt,
      now,
    );
    const seconds = Math.floor(now / 1000);
    const token = await provider.sign(
      {
        iss: provider.issuer,
        aud: provider.clientId,
        iat: seconds,
        jti: randomUUID(),
        sid: 'old-sid',
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      },
      { typ: 'logout+jwt' },
      'RS256',
    );
    assert.equal(await federation.backchannelLogout('fake', token), 1);
    assert.equal((await sessions.validate(issued.token)).valid, false);
  });
});
