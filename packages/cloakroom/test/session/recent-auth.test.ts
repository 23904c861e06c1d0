// The library pieces of recent authentication: isRecentAuth, mergeAmr, the createSession `auth` option and
// the guard's argument checks. The HTTP behaviour of requireRecentAuth is in the adapter conformance suite.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSessionManager,
  isRecentAuth,
  mergeAmr,
  MemoryStore,
  ReauthenticationRequiredError,
  recentAuthGuard,
} from '../../src/index.js';
import { checkAmr, MAX_AMR_VALUES } from '../../src/stores/index.js';
import { MINUTE, ManualClock } from '../helpers/clock.js';

const ORIGIN = 'https://app.example';
const KEY = 'recent-auth-signing-key-0123456789abcdef';

function setUp() {
  const clock = new ManualClock(Date.now());
  const manager = createSessionManager({
    store: new MemoryStore({ clock }),
    origin: ORIGIN,
    keys: [KEY],
    clock,
  });
  return { clock, manager };
}

describe('isRecentAuth', () => {
  test('within maxAgeSeconds is recent, one millisecond past it is not', () => {
    const session = { authTime: 1_000_000 };
    assert.equal(isRecentAuth(session, 600, 1_000_000), true);
    assert.equal(isRecentAuth(session, 600, 1_000_000 + 600_000), true);
    assert.equal(isRecentAuth(session, 600, 1_000_000 + 600_001), false);
    assert.equal(isRecentAuth(null, 600, 1_000_000), false);
  });

  test('a maxAgeSeconds that is not a positive number is caller misuse', () => {
    for (const bad of [0, -1, Number.NaN, Infinity, '600' as unknown as number]) {
      assert.throws(() => isRecentAuth({ authTime: 0 }, bad, 0), TypeError);
      assert.throws(() => recentAuthGuard(bad), TypeError);
    }
  });
});

describe('mergeAmr', () => {
  test('adds mfa once two factor kinds are present, and only then', () => {
    assert.deepEqual(mergeAmr(['pwd'], ['otp']), ['pwd', 'otp', 'mfa']);
    assert.deepEqual(mergeAmr(['pwd'], ['hwk']), ['pwd', 'hwk', 'mfa']);
    assert.deepEqual(mergeAmr(['pwd'], ['pwd']), ['pwd']);
    assert.deepEqual(mergeAmr(['fed'], ['pwd']), ['fed', 'pwd'], 'fed is no factor kind of its own');
    assert.deepEqual(mergeAmr(['otp'], ['hwk']), ['otp', 'hwk'], 'two possession factors are one kind');
    assert.deepEqual(mergeAmr(['pwd', 'otp', 'mfa'], ['otp']), ['pwd', 'otp', 'mfa'], 'no second mfa');
    assert.deepEqual(mergeAmr([], ['constructor', 'toString']), ['constructor', 'toString']);
  });
});

describe('checkAmr', () => {
  test('keeps valid values once each, frozen; refuses anything else', () => {
    const checked = checkAmr(['pwd', 'otp', 'pwd']);
    assert.deepEqual(checked, ['pwd', 'otp']);
    assert.ok(Object.isFrozen(checked));
    assert.equal(checkAmr(Array.from({ length: MAX_AMR_VALUES }, (_, i) => `m${i}`)).length, 8);
    for (const bad of [
      null,
      'pwd',
      [''],
      ['a b'],
      ['x'.repeat(33)],
      [7],
      Array.from({ length: 9 }, (_, i) => `m${i}`),
    ])
      assert.throws(() => checkAmr(bad), TypeError, JSON.stringify(bad));
  });
});

describe('createSession auth option and reauthentication', () => {
  test('records amr and authTime (default now); a time in the future or a bad amr is a TypeError', async () => {
    const { clock, manager } = setUp();
    const plain = await manager.create('ada');
    assert.deepEqual([plain.session.authTime, [...plain.session.amr]], [clock.now(), []]);
    const earlier = clock.now() - 5 * MINUTE;
    const given = await manager.create('ada', {}, { auth: { amr: ['fed'], time: earlier } });
    assert.deepEqual([given.session.authTime, [...given.session.amr]], [earlier, ['fed']]);
    await assert.rejects(
      manager.create('ada', {}, { auth: { amr: ['pwd'], time: clock.now() + 1 } }),
      TypeError,
    );
    await assert.rejects(manager.create('ada', {}, { auth: { amr: ['p w d'] } }), TypeError);
    await assert.rejects(
      manager.create('ada', {}, { auth: { amr: 'pwd' as unknown as string[] } }),
      TypeError,
    );
  });

  test('rotation keeps authTime and amr; re-authentication sets authTime to now and merges amr', async () => {
    const { clock, manager } = setUp();
    const signedIn = await manager.create('bob', {}, { auth: { amr: ['pwd'] } });
    clock.advance(20 * MINUTE);
    const rotated = await manager.rotate(signedIn.session);
    assert.ok(rotated !== null);
    assert.equal(rotated.session.authTime, signedIn.session.authTime);
    assert.deepEqual([...rotated.session.amr], ['pwd']);
    const again = await manager.rotate(rotated.session, {}, { auth: { amr: ['swk'] } });
    assert.ok(again !== null);
    assert.equal(again.session.authTime, clock.now());
    assert.deepEqual([...again.session.amr], ['pwd', 'swk', 'mfa']);
    assert.notEqual(again.token, rotated.token);
  });

  test('ReauthenticationRequiredError carries its code, status and the age limit, and no session detail', () => {
    const error = new ReauthenticationRequiredError(300);
    assert.equal(error.code, 'reauthentication_required');
    assert.equal(error.maxAgeSeconds, 300);
    assert.doesNotMatch(error.message, /\d{6,}/);
  });
});
