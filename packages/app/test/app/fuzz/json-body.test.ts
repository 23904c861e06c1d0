// Fuzzing the site's JSON bodies (review finding 8) through the real site in process: the login, registration,
// password and notes routes of the API get any body under any content type. Failures: a 5xx, a stalled
// answer, an error that is not the documented JSON shape, and a session granted to a login (no case knows a
// password) or to a registration whose body did not carry string credentials.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters, fuzzTestTimeout } from '../../../../cloakroom/test/helpers/fuzz.js';
import { anyString } from '../../../../cloakroom/test/property/support.js';
import { startFuzzSite, type FuzzSite } from './site.js';

let site: FuzzSite;
before(async () => {
  site = await startFuzzSite('fuzz-json@example.test');
});
after(() => site.app.stop());

const ROUTES = [
  { method: 'POST', path: '/api/auth/login', signedIn: false },
  { method: 'POST', path: '/api/auth/register', signedIn: false },
  { method: 'POST', path: '/api/auth/password', signedIn: true },
  { method: 'POST', path: '/api/notes', signedIn: true },
  { method: 'PATCH', path: '/api/notes/00000000-0000-4000-8000-000000000000', signedIn: true },
] as const;

const email = fc.oneof(
  fc.emailAddress(),
  anyString,
  fc.constantFrom(' A@B.CO ', 'fuzz-json@example.test', 'a@b', '@', ''),
);
const field = fc.oneof(
  { weight: 3, arbitrary: anyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  fc.integer({ min: 0, max: 70_000 }).map((n) => 'x'.repeat(n)),
);
const credentials = fc.record(
  {
    email: fc.oneof(email, field),
    password: field,
    currentPassword: field,
    newPassword: field,
    title: field,
    body: field,
  },
  { requiredKeys: [] },
);
const bodyText = fc.oneof(
  { weight: 4, arbitrary: credentials.map((value) => JSON.stringify(value)) },
  fc.json({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.constantFrom(
    '{"email":"a@b.co","email":"c@d.co","password":"x"}',
    '{"__proto__":{"admin":true}}',
    'null',
    '',
    '\ufeff{}',
  ),
  anyString,
);
const body = fc.oneof(
  { weight: 6, arbitrary: bodyText },
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 60_000, max: 70_000 }).map((n) => `{"title":"${'y'.repeat(n)}"}`),
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  fc.constantFrom(
    null,
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/jsonx',
    '',
  ),
  anyString.filter((value) => /^[\t\x20-\x7e]*$/.test(value)),
);

test(
  'JSON bodies: no 5xx, no hang, documented errors, no session without credentials',
  { timeout: fuzzTestTimeout(50) },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, contentType, async (route, payload, type) => {
        const answer = await site.send(route.method, route.path, {
          body: payload,
          contentType: type,
          signedIn: route.signedIn,
        });
        assert.ok(answer.status < 500, `${route.path} answered ${answer.status}`);
        if (answer.status >= 400) {
          const error = (JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } }).error;
          assert.equal(typeof error?.code, 'string');
          assert.equal(typeof error?.message, 'string');
        }
        if (route.path === '/api/auth/login') {
          assert.notEqual(answer.status, 200, 'a login without the password was accepted');
          assert.equal(answer.session, undefined, 'a login without the password set a session');
        }
        if (route.path === '/api/auth/register' && (answer.status === 201 || answer.session !== undefined)) {
          const sent = JSON.parse(
            typeof payload === 'string' ? payload : Buffer.from(payload).toString(),
          ) as Record<string, unknown>;
          assert.equal(typeof sent.email, 'string');
          assert.equal(typeof sent.password, 'string');
        }
      }),
      fuzzParameters('json-body (site API)'),
    );
  },
);
