import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Accounts, MemoryAttemptStore, MemoryUserStore, PasswordHasher } from '../../src/accounts/index.js';
import { createSessionManager, loadRequestSession, MemoryStore, type RequestInfo } from '../../src/index.js';

const ORIGIN = 'https://example.com';
const info: RequestInfo = {
  method: 'POST',
  cookie: null,
  origin: ORIGIN,
  secFetchSite: 'same-origin',
  userAgent: 'test',
  ip: '192.0.2.1',
};

function setup(sessionUser?: (user: { id: string; email: string }) => { id: string; email: string }) {
  const sessions = createSessionManager<{ id: string; email: string }>({
    store: new MemoryStore(),
    origin: ORIGIN,
    keys: ['s'.repeat(32)],
  });
  const accounts = new Accounts({
    users: new MemoryUserStore(),
    attempts: new MemoryAttemptStore(),
    sessions,
    hasher: new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
    sessionUser,
  });
  return { sessions, accounts };
}

test('with sessionUser, the request that registers or signs in knows its user at once', async () => {
  const { sessions, accounts } = setup((user) => ({ id: user.id, email: user.email }));
  const registering = await loadRequestSession(sessions, info, () => undefined);
  const user = await accounts.register(registering, {
    email: 'ada@example.com',
    password: 'a fine passphrase',
  });
  assert.deepEqual(registering.user, user);
  const signingIn = await loadRequestSession(sessions, info, () => undefined);
  await accounts.signIn(signingIn, { email: 'ada@example.com', password: 'a fine passphrase' });
  assert.deepEqual(signingIn.user, user);
});

test('without it, the user is known from the next request on', async () => {
  const { sessions, accounts } = setup();
  const registering = await loadRequestSession(sessions, info, () => undefined);
  await accounts.register(registering, { email: 'bob@example.com', password: 'another passphrase' });
  assert.equal(registering.user, null);
  assert.ok(registering.session);
});
