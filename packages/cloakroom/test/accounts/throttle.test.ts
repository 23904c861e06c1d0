// Sign-in throttling: the retry arithmetic, the default rules (growing delays well before the hourly cap),
// the SignInThrottle over a store with an injected clock, and the attempt stores themselves (memory and
// SQLite: counting, window restart, sweeping, and atomic counting by two processes at once).
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryAttemptStore } from '../../src/accounts/stores/memory.js';
import { SqliteAttemptStore } from '../../src/accounts/stores/sqlite.js';
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  SignInThrottle,
  retryAfterMs,
  type ThrottleRule,
} from '../../src/accounts/throttle.js';
import type { AttemptRecord, AttemptStore } from '../../src/accounts/types.js';
import { HOUR, ManualClock, MINUTE, SECOND } from '../helpers/clock.js';

const T0 = Date.UTC(2026, 0, 1);
const RULE: ThrottleRule = { limit: 10, windowSeconds: 3600, freeFailures: 3, maxDelaySeconds: 60 };

const record = (failures: number, lastFailureAt = T0, windowStartedAt = T0): AttemptRecord => ({
  failures,
  windowStartedAt,
  lastFailureAt,
});

/** What a store holds after one more failure at `now` (in the same window). */
function counted(previous: AttemptRecord | null, now: number): AttemptRecord {
  if (previous === null) return record(1, now, now);
  return { ...previous, failures: previous.failures + 1, lastFailureAt: now };
}

describe('retryAfterMs', () => {
  test('no record, or fewer failures than the free ones: no wait', () => {
    assert.equal(retryAfterMs(null, RULE, T0), 0);
    assert.equal(retryAfterMs(record(1), RULE, T0), 0);
    assert.equal(retryAfterMs(record(2), RULE, T0), 0);
  });

  test('after the free failures, the delay doubles from 1 s, counted from the last failure', () => {
    assert.equal(retryAfterMs(record(3), RULE, T0), 1 * SECOND);
    assert.equal(retryAfterMs(record(4), RULE, T0), 2 * SECOND);
    assert.equal(retryAfterMs(record(5), RULE, T0), 4 * SECOND);
    assert.equal(retryAfterMs(record(6), RULE, T0), 8 * SECOND);
    assert.equal(retryAfterMs(record(6), RULE, T0 + 3 * SECOND), 5 * SECOND, 'time already waited counts');
    assert.equal(retryAfterMs(record(6), RULE, T0 + 8 * SECOND), 0);
    assert.equal(retryAfterMs(record(6, T0 + MINUTE), RULE, T0 + MINUTE + 1), 8 * SECOND - 1);
  });

  test('the delay is capped at maxDelaySeconds', () => {
    assert.equal(retryAfterMs(record(9), RULE, T0), 60 * SECOND, '2^6 = 64 s, capped at 60');
    const wide = { ...RULE, limit: 1000 };
    assert.equal(retryAfterMs(record(500), wide, T0), 60 * SECOND, 'no overflow for large counts');
  });

  test('at the limit, the wait is until the window ends, however long ago the last failure was', () => {
    assert.equal(retryAfterMs(record(10), RULE, T0), HOUR);
    assert.equal(retryAfterMs(record(10), RULE, T0 + 59 * MINUTE), MINUTE);
    assert.equal(retryAfterMs(record(11), RULE, T0 + 30 * MINUTE), 30 * MINUTE);
  });

  test('once the window is over, nothing is owed', () => {
    assert.equal(retryAfterMs(record(10), RULE, T0 + HOUR), 0);
    assert.equal(retryAfterMs(record(9, T0 + HOUR - 1), RULE, T0 + HOUR), 0, 'a delay ends with its window');
  });
});

describe('the default rules', () => {
  test('per account: 100 failures an hour at most, 5 free, delays doubling to 15 minutes', () => {
    assert.deepEqual(ACCOUNT_RULE, {
      limit: 100,
      windowSeconds: 3600,
      freeFailures: 5,
      maxDelaySeconds: 900,
    });
    const delays = [5, 6, 7, 8, 14, 15, 16, 99].map((failures) =>
      retryAfterMs(record(failures), ACCOUNT_RULE, T0),
    );
    assert.deepEqual(
      delays.map((ms) => ms / SECOND),
      [1, 2, 4, 8, 512, 900, 900, 900],
    );
    assert.equal(retryAfterMs(record(100), ACCOUNT_RULE, T0), HOUR);
  });

  test('the growing delays hold an attacker far below the cap: fewer than 25 guesses in an hour', () => {
    let now = T0;
    let current: AttemptRecord | null = null;
    let guesses = 0;
    while (now < T0 + HOUR) {
      const wait = retryAfterMs(current, ACCOUNT_RULE, now);
      if (wait > 0) {
        now += wait; // the fastest possible attacker retries the moment it is allowed
        continue;
      }
      guesses += 1;
      current = counted(current, now);
    }
    assert.ok(guesses < 25, `${guesses} guesses`);
    assert.ok(guesses > 5);
  });

  test('per address: generous for shared addresses (50 free, 1 minute at most, 1,000 an hour)', () => {
    assert.deepEqual(ADDRESS_RULE, {
      limit: 1000,
      windowSeconds: 3600,
      freeFailures: 50,
      maxDelaySeconds: 60,
    });
    assert.equal(retryAfterMs(record(49), ADDRESS_RULE, T0), 0);
    assert.equal(retryAfterMs(record(50), ADDRESS_RULE, T0), SECOND);
    assert.equal(retryAfterMs(record(999), ADDRESS_RULE, T0), MINUTE);
    assert.equal(retryAfterMs(record(1000), ADDRESS_RULE, T0), HOUR);
  });
});

describe('SignInThrottle', () => {
  const setup = (store: AttemptStore = new MemoryAttemptStore()) => {
    const clock = new ManualClock(T0);
    const account: ThrottleRule = { limit: 5, windowSeconds: 600, freeFailures: 2, maxDelaySeconds: 30 };
    const address: ThrottleRule = { limit: 8, windowSeconds: 900, freeFailures: 8, maxDelaySeconds: 1 };
    const registration = address;
    return {
      clock,
      store,
      throttle: new SignInThrottle(store, clock, { account, address, registration }),
    };
  };
  /**
   * One failed attempt the way Accounts makes it (begin counts it; a wrong password adds nothing); resolves to
   * the wait it was refused with, or 0.
   */
  const fail = (throttle: SignInThrottle, email: string, ip: string | null) => throttle.begin(email, ip);

  test('growing delays per account, then the cap until the window ends, then a fresh window', async () => {
    const { clock, throttle } = setup();
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    assert.equal(await throttle.retryAfter('a@example.com', null), SECOND);
    assert.equal(await throttle.begin('a@example.com', null), SECOND, 'refused, and not counted');
    clock.advance(SECOND);
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    assert.equal(await throttle.retryAfter('a@example.com', null), 2 * SECOND);
    clock.advance(2 * SECOND);
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    clock.advance(4 * SECOND);
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    // Five failures: the cap, until ten minutes after the first.
    assert.equal(await throttle.retryAfter('a@example.com', null), 10 * MINUTE - 7 * SECOND);
    clock.advance(10 * MINUTE - 7 * SECOND - 1);
    assert.equal(await throttle.retryAfter('a@example.com', null), 1);
    clock.advance(1);
    assert.equal(await throttle.retryAfter('a@example.com', null), 0);
    assert.equal(await fail(throttle, 'a@example.com', null), 0);
    assert.equal(await fail(throttle, 'a@example.com', null), 0, 'a new window: free failures again');
    // Another account is not affected.
    assert.equal(await throttle.retryAfter('b@example.com', null), 0);
  });

  test('per address across accounts; a success clears the account, not the address', async () => {
    const { throttle } = setup();
    const ip = '203.0.113.7';
    for (let i = 0; i < 6; i++) assert.equal(await fail(throttle, `user${i}@example.com`, ip), 0);
    assert.equal(await fail(throttle, 'mine@example.com', ip), 0);
    // Seven failures from the address. A success for one account clears that account's count only.
    assert.equal(await throttle.begin('mine@example.com', ip), 0);
    await throttle.recordSuccess('mine@example.com', ip);
    assert.equal(await throttle.retryAfter('mine@example.com', null), 0);
    assert.equal(await fail(throttle, 'someone@example.com', ip), 0);
    // The eighth failure from the address reaches its cap: had the success cleared it, this would be 1.
    assert.equal(await throttle.retryAfter('someone@example.com', ip), 15 * MINUTE);
    assert.equal(
      await throttle.retryAfter('someone@example.com', '203.0.113.8'),
      0,
      'another address is free',
    );
    assert.equal(
      await throttle.begin('mine@example.com', ip),
      15 * MINUTE,
      'every account, from that address',
    );
  });

  test('begin counts the attempt before the password is checked, so parallel attempts see each other', async () => {
    const { throttle } = setup();
    const waits = await Promise.all(Array.from({ length: 6 }, () => throttle.begin('a@example.com', null)));
    assert.deepEqual(
      waits.map((wait) => wait > 0),
      [false, false, true, true, true, true],
      'two free attempts, then the others wait',
    );
  });

  test('keys are hashed: the store holds no email or address in clear', async () => {
    const db = new Database(':memory:');
    const { throttle } = setup(new SqliteAttemptStore(db));
    await fail(throttle, 'ada@example.com', '198.51.100.4');
    const keys = (db.prepare('SELECT key FROM cloakroom_attempts').all() as { key: string }[]).map(
      (row) => row.key,
    );
    assert.equal(keys.length, 2);
    for (const key of keys) {
      assert.ok(!key.includes('ada') && !key.includes('example') && !key.includes('198.51'), key);
      assert.match(key, /^[ai]:[A-Za-z0-9_-]{43}$/);
    }
    db.close();
  });

  test('sweep drops the counters whose windows are over', async () => {
    const { clock, throttle } = setup();
    await fail(throttle, 'old@example.com', '192.0.2.1');
    clock.advance(15 * MINUTE);
    await fail(throttle, 'new@example.com', null);
    assert.equal(
      await throttle.sweep(),
      2,
      'the old account and address counters (15 minutes is the longest window)',
    );
    assert.equal(await throttle.retryAfter('new@example.com', null), 0);
    assert.equal(await throttle.sweep(), 0);
  });
});

for (const [name, make] of [
  ['MemoryAttemptStore', () => ({ store: new MemoryAttemptStore(), close: () => {} })],
  [
    'SqliteAttemptStore',
    () => {
      const db = new Database(':memory:');
      return { store: new SqliteAttemptStore(db), close: () => db.close() };
    },
  ],
] as const) {
  describe(name, () => {
    const WINDOW = 10 * MINUTE;

    test('counts failures in a window and restarts the window when it is over', async () => {
      const { store, close } = make();
      assert.equal(await store.get('k'), null);
      assert.deepEqual(await store.recordFailure('k', T0, WINDOW), record(1, T0, T0));
      assert.deepEqual(await store.recordFailure('k', T0 + 5, WINDOW), record(2, T0 + 5, T0));
      assert.deepEqual(
        await store.recordFailure('k', T0 + WINDOW - 1, WINDOW),
        record(3, T0 + WINDOW - 1, T0),
      );
      assert.deepEqual(await store.get('k'), record(3, T0 + WINDOW - 1, T0));
      // At exactly the end of the window, a new one starts.
      assert.deepEqual(
        await store.recordFailure('k', T0 + WINDOW, WINDOW),
        record(1, T0 + WINDOW, T0 + WINDOW),
      );
      assert.equal(await store.get('other'), null, 'keys are independent');
      close();
    });

    test('clear and deleteExpired', async () => {
      const { store, close } = make();
      await store.recordFailure('a', T0, WINDOW);
      await store.recordFailure('b', T0 + MINUTE, WINDOW);
      await store.recordFailure('c', T0 + 2 * MINUTE, WINDOW);
      await store.clear('a');
      await store.clear('missing');
      assert.equal(await store.get('a'), null);
      assert.equal(await store.deleteExpired(T0 + MINUTE), 1, 'windows started at or before the time go');
      assert.equal(await store.get('b'), null);
      assert.notEqual(await store.get('c'), null);
      assert.equal(await store.deleteExpired(T0), 0);
      close();
    });

    test('forgiveFailure takes back one failure in a running window, never below 0 nor in an ended one', async () => {
      const { store, close } = make();
      await store.forgiveFailure('k', T0, WINDOW);
      assert.equal(await store.get('k'), null, 'nothing to forgive: nothing created');
      await store.recordFailure('k', T0, WINDOW);
      await store.recordFailure('k', T0 + 5, WINDOW);
      await store.forgiveFailure('k', T0 + 6, WINDOW);
      assert.deepEqual(await store.get('k'), record(1, T0 + 5, T0));
      await store.forgiveFailure('k', T0 + 7, WINDOW);
      await store.forgiveFailure('k', T0 + 8, WINDOW);
      assert.deepEqual(await store.get('k'), record(0, T0 + 5, T0), 'never below 0');
      await store.recordFailure('k', T0 + 9, WINDOW);
      await store.forgiveFailure('k', T0 + WINDOW, WINDOW);
      assert.deepEqual(await store.get('k'), record(1, T0 + 9, T0), 'the window is over: nothing changes');
      close();
    });

    test('a returned record is a copy: changing it changes nothing stored', async () => {
      const { store, close } = make();
      const counted = await store.recordFailure('k', T0, WINDOW);
      counted.failures = 99;
      const read = await store.get('k');
      read!.failures = 42;
      assert.equal((await store.get('k'))!.failures, 1);
      close();
    });
  });
}

describe('SqliteAttemptStore across processes', () => {
  test('two processes counting under one key at the same time lose no count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloakroom-attempts-'));
    try {
      const file = join(dir, 'attempts.db');
      const setupDb = new Database(file);
      setupDb.pragma('journal_mode = WAL');
      new SqliteAttemptStore(setupDb);
      setupDb.close();

      const script = fileURLToPath(new URL('./fixtures/count-attempts.ts', import.meta.url));
      const PER_PROCESS = 400;
      const children = [0, 1].map(() =>
        spawn(process.execPath, ['--import', 'tsx', script, file, String(PER_PROCESS), String(T0)], {
          stdio: ['pipe', 'pipe', 'inherit'],
        }),
      );
      const said = (child: (typeof children)[number], word: string) =>
        new Promise<void>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if (output.includes(word)) resolve();
          });
          child.once('exit', (code) => {
            if (!output.includes(word)) reject(new Error(`child exited (${code}) before saying ${word}`));
          });
        });
      await Promise.all(children.map((child) => said(child, 'ready')));
      const done = Promise.all(children.map((child) => said(child, 'done')));
      for (const child of children) child.stdin.write('go\n');
      await done;

      const db = new Database(file);
      const store = new SqliteAttemptStore(db);
      assert.deepEqual(await store.get('shared'), record(2 * PER_PROCESS, T0, T0));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
