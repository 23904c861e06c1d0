// Sign-in starts are counted per client address in the shared throttling store: each start stores a
// pre-login record, so one address cannot fill the store. SiteFederation on memory stores.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { MemoryAttemptStore, MemoryUserStore } from '../../../../cloakroom/src/accounts/stores/memory.js';
import { MemoryIdentityStore } from '../../../../cloakroom/src/accounts/stores/identities/memory.js';
import { SiteFederation } from '../../../src/app/federation/service.js';
import { MemoryFederationStateStore } from '../../../../cloakroom/src/federation/index.js';
import { SessionManager } from '../../../../cloakroom/src/session/manager.js';
import { MemoryStore } from '../../../../cloakroom/src/stores/memory.js';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';

let provider: FakeOidcProvider;
before(async () => {
  provider = await FakeOidcProvider.start();
});
after(() => provider.close());

test('starts beyond the per-address limit are refused (429 too_many_starts); other addresses go on', async () => {
  const origin = 'http://127.0.0.1:3000';
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
    origin,
    users: new MemoryUserStore(),
    identities: new MemoryIdentityStore(),
    state: new MemoryFederationStateStore(),
    attempts: new MemoryAttemptStore(),
    startsPerAddress: 3,
    sessions: new SessionManager({ store: new MemoryStore(), origin, keys: ['k'.repeat(43)] }),
    log: pino({ level: 'silent' }),
  });
  for (let i = 0; i < 3; i++) await federation.start('fake', { ip: '192.0.2.1' });
  await assert.rejects(federation.start('fake', { ip: '192.0.2.1' }), (error: unknown) => {
    assert.equal((error as { reason?: unknown }).reason, 'too_many_starts');
    assert.equal((error as { status?: unknown }).status, 429);
    return true;
  });
  await federation.start('fake', { ip: '192.0.2.2' });
});
