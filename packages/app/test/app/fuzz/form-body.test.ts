// Fuzzing the site's form bodies (review finding 8) through the real site in process: the sign-in,
// registration, password and notes forms get any body under any content type. Failures: a 5xx, a stalled
// answer, and a session granted to a sign-in (no case knows a password) or to a registration whose form did
// not carry an email and a password.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters, fuzzTestTimeout } from '../../../../cloakroom/test/helpers/fuzz.js';
import { anyString } from '../../../../cloakroom/test/property/support.js';
import { startFuzzSite, type FuzzSite } from './site.js';

let site: FuzzSite;
before(async () => {
  site = await startFuzzSite('fuzz-form@example.test');
});
after(() => site.app.stop());

const ROUTES = [
  { path: '/sign-in', signedIn: false },
  { path: '/register', signedIn: false },
  { path: '/password', signedIn: true },
  { path: '/notes', signedIn: true },
  { path: '/notes/00000000-0000-4000-8000-000000000000', signedIn: true },
  { path: '/notes/not-a-note/delete', signedIn: true },
] as const;

const name = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('email', 'password', 'currentPassword', 'newPassword', 'title', 'body'),
  },
  fc.constantFrom('EMAIL', 'email[]', 'e%6dail', '', '=', '&', '__proto__', 'constructor'),
  anyString,
);
const value = fc.oneof(
  { weight: 3, arbitrary: anyString },
  fc.emailAddress(),
  fc.integer({ min: 0, max: 70_000 }).map((n) => 'z'.repeat(n)),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '+', '%2B', '%F0%9F%92%A9', '\r\n'),
);
/** Percent-encodes what can be (a lone surrogate cannot: then the text goes as it is, which a client could). */
function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}
const encode = fc.constantFrom(
  percentEncode,
  (text: string) => text,
  (text: string) => text.replaceAll(' ', '+'),
);
const pair = fc
  .tuple(name, value, encode, encode)
  .map(([n, v, encodeName, encodeValue]) => `${encodeName(n)}=${encodeValue(v)}`);
const body = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(fc.oneof(pair, name), { maxLength: 8 })
      .chain((pairs) => fc.constantFrom('&', '&&', ';').map((sep) => pairs.join(sep))),
  },
  anyString,
  fc.uint8Array({ maxLength: 200 }),
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  fc.constantFrom(
    null,
    'application/x-www-form-urlencoded; charset=utf-8',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/json',
    '',
  ),
  anyString.filter((text) => /^[\t\x20-\x7e]*$/.test(text)),
);

test(
  'form bodies: no 5xx, no hang, no session without credentials',
  { timeout: fuzzTestTimeout(50) },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, contentType, async (route, payload, type) => {
        const answer = await site.send('POST', route.path, {
          body: payload,
          contentType: type,
          signedIn: route.signedIn,
        });
        assert.ok(answer.status < 500, `${route.path} answered ${answer.status}`);
        if (route.path === '/sign-in')
          assert.equal(answer.session, undefined, 'a sign-in without the password set a session');
        if (route.path === '/register' && answer.session !== undefined) {
          const form = new URLSearchParams(
            typeof payload === 'string' ? payload : Buffer.from(payload).toString(),
          );
          assert.ok(
            form.get('email') !== null && form.get('password') !== null,
            'a registration without credentials',
          );
        }
      }),
      fuzzParameters('form-body (site pages)'),
    );
  },
);
