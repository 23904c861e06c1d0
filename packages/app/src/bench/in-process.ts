/**
 * Scenario 2: one request's credential check, in this process, one at a time: Cloakroom's validation on
 * each store (each bringing the user), jose's JWT verification per algorithm alone and followed by the
 * user load from the same SQLite database, and the JWT inside a signed cookie (two signatures). The
 * baseline is the least any site does: read the user from an in-process Map, awaited. It is measured
 * before and after the scenarios; ratios divide by the median of all its rounds.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { SqliteStore } from 'cloakroom/stores/sqlite';
import { MemoryStore } from 'cloakroom/stores/memory';
import type { SessionManager } from 'cloakroom/session';
import { collectGarbage, Cursor, measureAsync, median, type RoundOptions } from './measure.js';
import type { Progress } from './progress.js';
import type { InProcessScenario, Measurement } from './results.js';
import { signCookieValue } from './sizes.js';
import {
  benchManager,
  benchUserId,
  createBenchSessions,
  JWT_ALGORITHMS,
  jwtKeys,
  liveClaims,
  USER_COUNT,
  USERS_TABLE,
  type BenchUser,
  type UserDatabase,
} from './world.js';

/** Operations per timed batch. */
const BATCH = 64;

export interface InProcessContext {
  users: UserDatabase;
  /** A connected client, or why Redis is unavailable (its scenarios are then skipped with that reason). */
  redis: Redis | Error;
  /** Key prefix of this run in Redis. */
  prefix: string;
  rounds: RoundOptions;
  /** Sessions (and JWTs) per scenario, spread over the users: each check presents the next one. */
  credentials: number;
  progress: Progress;
}

type Check = () => Promise<boolean>;

interface Planned {
  id: string;
  label: string;
  group: InProcessScenario['group'];
  /** Builds the operation (setup is not timed); an Error skips the scenario with its message. */
  prepare: () => Promise<Check | Error>;
}

const COOKIE_SECRET = 'a cookie secret of the site, 32+ chars';

function validation(manager: SessionManager<BenchUser>, tokens: string[]): Check {
  const cursor = new Cursor(tokens);
  return async () => {
    const result = await manager.validate(cursor.next());
    return result.valid && result.user.email.length > 0;
  };
}

function plan(context: InProcessContext, cleanups: (() => Promise<void>)[]): Planned[] {
  const { users } = context;
  const { credentials } = context;
  const ids = Array.from({ length: credentials }, (_, i) => benchUserId(i % USER_COUNT));
  const planned: Planned[] = [
    {
      id: 'cloakroom-memory',
      label: 'Cloakroom, memory store (+ user from a Map)',
      group: 'cloakroom',
      prepare: async () => {
        const store = new MemoryStore<BenchUser>({ loadUser: (id) => users.users.get(id) ?? null });
        const manager = benchManager(store);
        return validation(manager, await createBenchSessions(manager, credentials));
      },
    },
    {
      id: 'cloakroom-sqlite',
      label: 'Cloakroom, SQLite store (user joined)',
      group: 'cloakroom',
      prepare: async () => {
        const store = new SqliteStore<BenchUser>(users.db, {
          users: { table: USERS_TABLE, columns: ['id', 'email', 'name'] },
        });
        const manager = benchManager(store);
        return validation(manager, await createBenchSessions(manager, credentials));
      },
    },
  ];
  for (const cached of [false, true]) {
    planned.push({
      id: cached ? 'cloakroom-near-cache' : 'cloakroom-redis',
      label: cached
        ? 'Cloakroom, Redis + near-cache (user snapshot)'
        : 'Cloakroom, Redis store (user snapshot)',
      group: 'cloakroom',
      prepare: async () => {
        const redis = context.redis;
        if (redis instanceof Error) return redis;
        const { RedisStore } = await import('cloakroom/stores/redis');
        const redisStore = new RedisStore<BenchUser>(redis, { prefix: context.prefix, users: true });
        await Promise.all([...users.users.values()].map((user) => redisStore.setUser(user.id, user)));
        let store: import('cloakroom/stores').SessionStore<BenchUser> = redisStore;
        if (cached) {
          const { CachedStore, RedisInvalidator } = await import('cloakroom/stores/cached');
          const near = await CachedStore.create(redisStore, {
            invalidator: new RedisInvalidator(redis, { channel: `${context.prefix}invalidate` }),
            max: credentials * 2,
          });
          cleanups.push(() => near.close());
          store = near;
        }
        const manager = benchManager(store);
        const tokens = await createBenchSessions(manager, credentials);
        const check = validation(manager, tokens);
        for (let i = 0; i < tokens.length; i++) await check(); // warms the near-cache
        return check;
      },
    });
  }
  for (const alg of JWT_ALGORITHMS) {
    for (const withUser of [false, true]) {
      planned.push({
        id: `jwt-${alg.toLowerCase()}${withUser ? '-user' : ''}`,
        label: withUser ? `jose JWT ${alg} + user from SQLite` : `jose JWT ${alg} verification alone`,
        group: withUser ? 'jwt + user' : 'jwt',
        prepare: async () => {
          const keys = await jwtKeys(alg);
          const { SignJWT } = await import('jose');
          const tokens = await Promise.all(
            ids.map((id) =>
              new SignJWT(liveClaims(id)).setProtectedHeader({ alg, typ: 'JWT' }).sign(keys.sign),
            ),
          );
          const cursor = new Cursor(tokens);
          return async () => {
            const { payload } = await jwtVerify(cursor.next(), keys.verify, { algorithms: [alg] });
            if (!withUser) return typeof payload.sub === 'string';
            const user = users.loadUser(payload.sub ?? '');
            return user !== null;
          };
        },
      });
    }
  }
  planned.push({
    id: 'jwt-signed-cookie',
    label: 'HS256 JWT inside a signed cookie (two signatures)',
    group: 'double signature',
    prepare: async () => {
      const keys = await jwtKeys('HS256');
      const { SignJWT } = await import('jose');
      const cookies = await Promise.all(
        ids.map(async (id) =>
          signCookieValue(
            await new SignJWT(liveClaims(id))
              .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
              .sign(keys.sign),
            COOKIE_SECRET,
          ),
        ),
      );
      const cursor = new Cursor(cookies);
      return async () => {
        const cookie = cursor.next();
        const dot = cookie.lastIndexOf('.');
        const value = cookie.slice(2, dot);
        const expected = Buffer.from(signCookieValue(value, COOKIE_SECRET));
        const given = Buffer.from(cookie);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
        const { payload } = await jwtVerify(value, keys.verify, { algorithms: ['HS256'] });
        return typeof payload.sub === 'string';
      };
    },
  });
  return planned;
}

async function measureCheck(check: Check, rounds: RoundOptions): Promise<Measurement> {
  let failures = 0;
  collectGarbage();
  const measurement = await measureAsync(
    async (count) => {
      for (let i = 0; i < count; i++) if (!(await check())) failures++;
    },
    BATCH,
    rounds,
  );
  if (failures > 0) throw new Error(`${String(failures)} checks failed: the figures would be meaningless`);
  return measurement;
}

/** Number of progress steps `runInProcess` takes. */
export const IN_PROCESS_STEPS = 2 + 4 + JWT_ALGORITHMS.length * 2 + 1;

export async function runInProcess(context: InProcessContext): Promise<InProcessScenario[]> {
  const cleanups: (() => Promise<void>)[] = [];
  const userMap = context.users.users;
  const ids = [...userMap.keys()];
  const baselineCursor = new Cursor(ids);
  // eslint-disable-next-line @typescript-eslint/require-await -- an awaited read, like a store call
  const baseline: Check = async () => userMap.get(baselineCursor.next()) !== undefined;
  const baselineRounds: number[] = [];
  const baselineRuns: Measurement[] = [];

  const measureBaseline = async (when: string): Promise<void> => {
    context.progress.step(`in-process: baseline (${when})`);
    const measurement = await measureCheck(baseline, context.rounds);
    baselineRuns.push(measurement);
    baselineRounds.push(...measurement.rounds);
  };

  const scenarios: InProcessScenario[] = [];
  try {
    await measureBaseline('start');
    for (const planned of plan(context, cleanups)) {
      context.progress.step(`in-process: ${planned.label}`);
      const scenario: InProcessScenario = {
        id: planned.id,
        label: planned.label,
        group: planned.group,
        status: 'ran',
      };
      try {
        const check = await planned.prepare();
        if (check instanceof Error) {
          scenario.status = 'skipped';
          scenario.reason = check.message;
          context.progress.note(`skipped ${planned.label}: ${check.message}`);
        } else {
          scenario.measurement = await measureCheck(check, context.rounds);
        }
      } catch (error) {
        scenario.status = 'failed';
        scenario.reason = (error as Error).message;
        context.progress.note(`failed ${planned.label}: ${(error as Error).message}`);
      }
      scenarios.push(scenario);
    }
    await measureBaseline('end');
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }

  const baselineMedian = median(baselineRounds);
  const first = baselineRuns[0];
  const last = baselineRuns[baselineRuns.length - 1];
  const baselineMeasurement: Measurement = {
    rounds: baselineRounds,
    median: baselineMedian,
    cpuRounds: baselineRuns.flatMap((run) => run.cpuRounds),
    cpuMedian: median(baselineRuns.flatMap((run) => run.cpuRounds)),
    operations: baselineRuns.reduce((sum, run) => sum + run.operations, 0),
    otherCores:
      first?.otherCores == null || last?.otherCores == null ? null : (first.otherCores + last.otherCores) / 2,
  };
  const result: InProcessScenario[] = [
    {
      id: 'baseline',
      label: 'Baseline: user from an in-process Map (awaited)',
      group: 'baseline',
      status: 'ran',
      measurement: baselineMeasurement,
      ratio: 1,
      microsPerOperation: 1e6 / baselineMedian,
    },
  ];
  for (const scenario of scenarios) {
    if (scenario.measurement !== undefined) {
      scenario.ratio = scenario.measurement.median / baselineMedian;
      scenario.microsPerOperation = 1e6 / scenario.measurement.median;
    }
    result.push(scenario);
  }
  return result;
}
