// The per-address throttle under a parallel burst (review finding 4): wrong-password attempts against many
// accounts from one address, all started at once, must not slip past the address limit because each read the
// count before any of them was recorded. Proved by counting argon2 calls, on the memory and SQLite stores.
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryAttemptStore } from '../../src/accounts/stores/memory.js';
import { SqliteAttemptStore } from '../../src/accounts/stores/sqlite.js';
import type { ThrottleRule } from '../../src/accounts/throttle.js';
import type { AttemptStore } from '../../src/accounts/types.js';
import type { CloakroomError } from '../../src/errors.js';
import { harness } from './support.js';

const ATTEMPTS = 200;
const LIMIT = 10;
const ADDRESS: ThrottleRule = { limit: LIMIT, windowSeconds: 3600, freeFailures: LIMIT, maxDelaySeconds: 1 };
const IP = '203.0.113.9';

const stores: [string, () => { attempts: AttemptStore; close: () => void }][] = [
  ['memory', () => ({ attempts: new MemoryAttemptStore(), close: () => {} })],
  [
    'SQLite',
    () => {
      const db = new Database(':memory:');
      return { attempts: new SqliteAttemptStore(db), close: () => db.close() };
    },
  ],
];

for (const [name, make] of stores) {
  describe(`the address throttle under a parallel burst (${name} attempt store)`, () => {
    test(`${ATTEMPTS} parallel wrong-password attempts at a limit of ${LIMIT}: at most ${LIMIT} reach argon2`, async () => {
      const { attempts, close } = make();
      const h = await harness({ attempts, throttle: { address: ADDRESS } });
      const codes = await Promise.all(
        Array.from({ length: ATTEMPTS }, async (_, i) => {
          const { session } = await h.request({ ip: IP });
          return h.accounts.signIn(session, { email: `user${i}@example.com`, password: `guess ${i}` }).then(
            () => 'signed in',
            (error: CloakroomError) => error.code,
          );
        }),
      );
      assert.ok(h.hasher.verifications <= LIMIT, `${h.hasher.verifications} attempts reached argon2`);
      assert.equal(codes.filter((code) => code === 'invalid_credentials').length, h.hasher.verifications);
      assert.equal(
        codes.filter((code) => code === 'too_many_attempts').length,
        ATTEMPTS - h.hasher.verifications,
      );
      close();
    });

    test('a successful sign-in does not count against the address', async () => {
      const { attempts, close } = make();
      const h = await harness({ attempts, throttle: { address: ADDRESS } });
      await h.accounts.register((await h.request({ ip: '198.51.100.1' })).session, {
        email: 'ada@example.com',
        password: 'correct horse battery',
      });
      // Many more successes from the address than its limit: none of them is refused.
      for (let i = 0; i < LIMIT * 2; i++) {
        const { session } = await h.request({ ip: IP });
        await h.accounts.signIn(session, { email: 'ada@example.com', password: 'correct horse battery' });
      }
      // The address's failures are all still free.
      h.hasher.reset();
      const codes = await Promise.all(
        Array.from({ length: LIMIT }, async (_, i) => {
          const { session } = await h.request({ ip: IP });
          return h.accounts.signIn(session, { email: `user${i}@example.com`, password: 'wrong' }).then(
            () => 'signed in',
            (error: CloakroomError) => error.code,
          );
        }),
      );
      assert.deepEqual(new Set(codes), new Set(['invalid_credentials']));
      close();
    });
  });
}
