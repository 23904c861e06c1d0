/**
 * Migration benchmark (`npm run bench:migrate`): what the `cloakroom/migrate` layer costs, in one run, through
 * the Web adapter (`sessionOf` on a `Request`) with in-memory stores:
 *
 * - a request with a valid Cloakroom cookie, migration off (the baseline) and migration on (JWT, iron-session
 *   and express-session sources configured): the ratio should be 1.00, since such a request never reaches
 *   the legacy check;
 * - one exchange of a legacy HS256 JWT cookie for a Cloakroom session (verify, find the user, create the
 *   session, remember the JWT, emit both cookies), measured with a fresh JWT per request; the time to sign
 *   that JWT is measured alone and subtracted in the "exchange only" line.
 *
 * Options:
 *   --quick            3 short rounds: a sanity run of a few seconds
 *   --rounds <n>       timed rounds per measurement (default 7)
 *   --round-ms <ms>    length of one round (default 300)
 *
 * This prints numbers; it is not a test. Exit status 1 only if a request did not give the expected session.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { sessionOf } from 'cloakroom/http';
import {
  createMigration,
  expressSessionSource,
  ironSessionSource,
  jwtSource,
  MemoryMigrationStore,
} from 'cloakroom/migrate';
import { SessionManager } from 'cloakroom/session';
import { MemoryStore } from 'cloakroom/stores/memory';
import { collectGarbage, measureAsync, type Measurement, type RoundOptions } from '../src/bench/measure.js';
import { formatMicros, formatRate, table } from '../src/bench/format.js';
import { helpFromHeader } from './lib/usage.js';

helpFromHeader(import.meta.url);
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'round-ms': { type: 'string' },
  },
});
const quick = args.quick === true;
const rounds: RoundOptions = {
  rounds: args.rounds !== undefined ? Number(args.rounds) : quick ? 3 : 7,
  roundMs: args['round-ms'] !== undefined ? Number(args['round-ms']) : quick ? 150 : 300,
  warmupRounds: 1,
};

const SECRET = new TextEncoder().encode('bench-legacy-jwt-secret-0123456789abcdef');
const ORIGIN = 'http://localhost:3000';
const KEYS = ['bench-session-key-0123456789abcdef0123456789'];
const USER = { id: 'u-bench', email: 'bench@example.com' };

function manager(migrate: boolean): SessionManager<typeof USER> {
  const migration = createMigration<typeof USER>({
    sources: [
      jwtSource({ cookie: 'token', bearer: true, algorithms: ['HS256'], secret: SECRET, userClaim: 'email' }),
      ironSessionSource({ cookie: 'app_session', passwords: { 1: 'x'.repeat(32) }, userField: 'email' }),
      expressSessionSource({
        secrets: ['bench'],
        userField: 'user.email',
        store: { get: (_sid, callback) => callback(null, null), destroy: (_sid, callback) => callback?.() },
      }),
    ],
    store: new MemoryMigrationStore(),
    findUser: ({ subject }) =>
      Promise.resolve(subject === USER.email ? { userId: USER.id, user: USER } : null),
  });
  return new SessionManager<typeof USER>({
    store: new MemoryStore({ loadUser: () => USER }),
    origin: ORIGIN,
    keys: KEYS,
    ...(migrate ? { migration } : {}),
  });
}

const signLegacy = () =>
  new SignJWT({ email: USER.email, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(SECRET);

let failures = 0;
const off = manager(false);
const on = manager(true);
const cookieOf = async (sessions: SessionManager<typeof USER>) =>
  `${sessions.cookieName}=${(await sessions.create(USER.id)).token}; token=${await signLegacy()}`;
// The Cloakroom cookie travels with a (valid) legacy cookie: the request must still not look at it.
const offRequest = new Request(`${ORIGIN}/`, { headers: { cookie: await cookieOf(off) } });
const onRequest = new Request(`${ORIGIN}/`, { headers: { cookie: await cookieOf(on) } });

const tasks: { label: string; batch: (count: number) => Promise<void> }[] = [
  {
    label: 'Cloakroom cookie, migrate off',
    batch: async (count) => {
      for (let i = 0; i < count; i++)
        if ((await sessionOf(off, offRequest)).session.user === null) failures++;
    },
  },
  {
    label: 'Cloakroom cookie, migrate on',
    batch: async (count) => {
      for (let i = 0; i < count; i++) if ((await sessionOf(on, onRequest)).session.user === null) failures++;
    },
  },
  {
    label: 'sign a legacy JWT (subtracted)',
    batch: async (count) => {
      for (let i = 0; i < count; i++) if ((await signLegacy()).length === 0) failures++;
    },
  },
  {
    label: 'sign + exchange a legacy JWT',
    batch: async (count) => {
      for (let i = 0; i < count; i++) {
        const request = new Request(`${ORIGIN}/`, { headers: { cookie: `token=${await signLegacy()}` } });
        if ((await sessionOf(on, request)).session.user === null) failures++;
      }
    },
  },
];

const results = new Map<string, Measurement>();
// Two passes, the second in reverse order; the better median of the two is kept for each row.
for (const order of [tasks, [...tasks].reverse()]) {
  for (const task of order) {
    process.stderr.write(`[bench] ${task.label}\n`);
    collectGarbage();
    const measurement = await measureAsync(task.batch, 50, rounds);
    const previous = results.get(task.label);
    if (previous === undefined || measurement.median > previous.median) results.set(task.label, measurement);
  }
}

const rate = (label: string) => results.get(label)?.median ?? Number.NaN;
const baseline = rate('Cloakroom cookie, migrate off');
console.log(
  table(
    ['request', 'ops/s', 'µs/op', 'x migrate off'],
    tasks.map((task) => [
      task.label,
      formatRate(rate(task.label)),
      formatMicros(rate(task.label)),
      (rate(task.label) / baseline).toFixed(2),
    ]),
  ),
);
const exchangeMicros =
  1e6 / rate('sign + exchange a legacy JWT') - 1e6 / rate('sign a legacy JWT (subtracted)');
console.log(`\nexchange only (sign + exchange, less sign): ${exchangeMicros.toFixed(1)} µs per exchange`);
console.log(
  `Cloakroom cookie with migrate on / off: ${(rate('Cloakroom cookie, migrate on') / baseline).toFixed(2)} (target 1.00: the legacy check is never reached)`,
);
if (failures > 0) {
  console.error(`bench:migrate: ${failures} requests did not give the expected session`);
  process.exit(1);
}
