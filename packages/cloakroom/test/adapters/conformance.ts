// The one conformance suite every HTTP adapter runs (web, node:http, Express, Fastify, Hono, and the Next.js
// helpers): the same scenarios, through real HTTP, against a small app each adapter serves in its own idiom.
// A new adapter gets every scenario by adding one fixture (see `AdapterFixture` and fixtures/) and listing it
// in conformance.test.ts.
//
// The suite owns the session manager: a memory store behind a wrapper that counts the reads and renewals
// reaching it and can be switched to fail, and a clock that moves only when told. Each adapter's app only
// routes requests to the adapter; every assertion is about what a browser sees (status, body, Set-Cookie)
// and what the store holds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSessionManager, MemoryStore, type Session, type SessionManager } from '../../src/index.js';
import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  StoredSession,
} from '../../src/stores/types.js';
import { MINUTE, ManualClock } from '../helpers/clock.js';

/** The user the conformance apps sign in: the memory store's default `{ id }`. */
export interface ConformanceUser {
  id: string;
}

/** A running conformance app. */
export interface StartedApp {
  /** Base URL on the loopback interface, without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/**
 * One adapter under test. `start` serves these routes through the adapter, with `manager`, over HTTP on
 * 127.0.0.1 (the suite sends `Cookie`, `Origin` and `Sec-Fetch-Site` itself, so no cookie jar is involved):
 *
 * | route                       | does                                     | answers                                   |
 * | --------------------------- | ---------------------------------------- | ----------------------------------------- |
 * | `GET /me`                   | reads the request's session              | 200 `{"user":{"id"},"session":{…}}`, or 401 `{"user":null}` |
 *
 * A session in an answer is `sessionView(session)`: `{ id, authTime, amr }`; `amr` in a query is `amrOf`'s.
 * | `POST /sign-in?user=<id>&amr=<a,b>` | `signIn(id, undefined, { amr })`  | 200 `{"session":{"id"}}`                  |
 * | `POST /rotate`              | `rotate()`                               | 200 `{"session":{"id"}}`, or 401 `{"user":null}` |
 * | `POST /reauthenticate?amr=<a,b>` | `reauthenticate({ amr })`           | 200 `{"session":{…}}`, or 401 `{"user":null}` |
 * | `POST /sensitive`           | behind the adapter's `requireRecentAuth()` | 200 `{"done":true}`, or its 401 error  |
 * | `POST /sign-out`            | `signOut()`                              | 204                                       |
 * | `POST /sign-out-everywhere` | `signOutEverywhere()`                    | 200 `{"ended":<number>}`                  |
 *
 * A route never catches Cloakroom's errors itself: a refused sign-in or a store outage thrown inside a route
 * must reach the client through the adapter's own error path (Express's `cloakroomErrors()`, Fastify's error
 * handler, Hono's middleware, …), since that path is part of what is tested. Request bodies are never read.
 *
 * A framework that isolates modules (a bundler, a separate worker) and so cannot take `manager` as an
 * argument may hand it over through `globalThis` before starting; it must run in this process.
 */
export interface AdapterFixture {
  /** The adapter's name, which starts every scenario's name in the test output. */
  readonly name: string;
  start(manager: SessionManager<ConformanceUser>): Promise<StartedApp>;
}

/** The `amr` list of a query parameter: comma-separated values, none when absent or empty. */
export function amrOf(value: string | null): string[] {
  return value === null || value === '' ? [] : value.split(',');
}

/** What the conformance apps answer for a session. */
export function sessionView(session: Session): { id: string; authTime: number; amr: readonly string[] } {
  return { id: session.id, authTime: session.authTime, amr: session.amr };
}

/** The origin every conformance app serves: https, so the cookie is `__Host-` prefixed and `Secure`. */
export const ORIGIN = 'https://app.example';
const KEY = 'conformance-signing-key-0123456789abcdef';
const IDLE_MINUTES = 60;
const TOUCH_MINUTES = 10;

/**
 * The store the suite watches: a memory store (with its per-user index) whose reads and renewals are
 * counted, and whose every operation fails while `failing` is set, as a store whose server is down does.
 * It does not offer `immediate`, so every read goes through `get`, where a failure is injected.
 */
export class WatchedStore implements SessionStore<ConformanceUser> {
  failing = false;
  gets = 0;
  touches = 0;
  readonly index: SessionIndex;
  readonly #inner: MemoryStore<ConformanceUser>;

  constructor(inner: MemoryStore<ConformanceUser>) {
    this.#inner = inner;
    this.index = {
      listByUser: (userId) => this.#call(() => inner.listByUser(userId)),
      deleteByUser: (userId, options) => this.#call(() => inner.deleteByUser(userId, options)),
      deleteExpired: (now) => this.#call(() => inner.deleteExpired(now)),
    };
  }

  #call<T>(operation: () => Promise<T>): Promise<T> {
    return this.failing ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : operation();
  }

  get(id: string): Promise<StoredSession<ConformanceUser> | null> {
    this.gets++;
    return this.#call(() => this.#inner.get(id));
  }

  create(session: SessionRecord): Promise<void> {
    return this.#call(() => this.#inner.create(session));
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    this.touches++;
    return this.#call(() => this.#inner.touch(id, touch));
  }

  replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    return this.#call(() => this.#inner.replace(id, version, next));
  }

  delete(id: string): Promise<void> {
    return this.#call(() => this.#inner.delete(id));
  }
}

interface Answer {
  status: number;
  body: unknown;
  /** The session cookie's `Set-Cookie` lines (the suite checks there is at most one). */
  setCookies: string[];
  cacheControl: string | null;
}

interface SessionBody {
  user?: { id?: string } | null;
  session?: { id?: string; authTime?: number; amr?: string[] } | null;
  ended?: number;
  error?: { code?: string; message?: string };
}

/** Runs every scenario against `fixture`, one named test each, under `<name> adapter conformance`. */
export function runAdapterConformance(fixture: AdapterFixture): void {
  describe(`${fixture.name} adapter conformance`, () => {
    const clock = new ManualClock(Date.now());
    const store = new WatchedStore(new MemoryStore<ConformanceUser>({ clock }));
    const manager = createSessionManager<ConformanceUser>({
      store,
      origin: ORIGIN,
      keys: [KEY],
      clock,
      idleTimeoutSeconds: IDLE_MINUTES * 60,
      touchIntervalSeconds: TOUCH_MINUTES * 60,
    });
    const name = manager.cookieName;
    let app: StartedApp;

    before(async () => {
      app = await fixture.start(manager);
    });
    after(() => app.close());

    async function send(
      method: 'GET' | 'POST',
      path: string,
      cookie: string | null,
      headers: Record<string, string> = {},
    ): Promise<Answer> {
      const sent: Record<string, string> = { ...headers };
      if (cookie !== null) sent.cookie = cookie;
      const response = await fetch(app.url + path, { method, headers: sent, redirect: 'manual' });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        // kept as text: the assertions say what was expected
      }
      return {
        status: response.status,
        body,
        setCookies: response.headers.getSetCookie().filter((line) => line.startsWith(`${name}=`)),
        cacheControl: response.headers.get('cache-control'),
      };
    }

    /** A same-origin browser request. */
    const sameOrigin = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };
    const post = (path: string, cookie: string | null = null, headers: Record<string, string> = sameOrigin) =>
      send('POST', path, cookie, headers);
    const me = (cookie: string | null) => send('GET', '/me', cookie);

    /** The `Cookie` header a browser sends back after `answer`, from its one session `Set-Cookie`. */
    function cookieFrom(answer: Answer): string {
      assert.equal(answer.setCookies.length, 1, `one session Set-Cookie: ${answer.setCookies.join(' | ')}`);
      const pair = answer.setCookies[0]!.split(';')[0]!;
      assert.notEqual(pair, `${name}=`, 'the cookie is set, not cleared');
      return pair;
    }

    function assertCleared(answer: Answer): void {
      assert.equal(answer.setCookies.length, 1, `one session Set-Cookie: ${answer.setCookies.join(' | ')}`);
      assert.match(answer.setCookies[0]!, new RegExp(`^${name}=;`));
      assert.match(answer.setCookies[0]!, /Max-Age=0/);
    }

    function assertSignedIn(answer: Answer, userId: string): SessionBody {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const body = answer.body as SessionBody;
      assert.equal(body.user?.id, userId);
      return body;
    }

    function assertAnonymous(answer: Answer): void {
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal((answer.body as SessionBody).user, null);
    }

    function assertError(answer: Answer, status: number, code: string): void {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      const error = (answer.body as SessionBody).error;
      assert.equal(error?.code, code);
      assert.equal(typeof error.message, 'string');
      assert.equal(answer.cacheControl, 'no-store');
      assert.deepEqual(answer.setCookies, [], 'an error answer sets no session cookie');
    }

    async function signIn(userId: string, cookie: string | null = null): Promise<string> {
      const answer = await post(`/sign-in?user=${encodeURIComponent(userId)}`, cookie);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return cookieFrom(answer);
    }

    /** The token a `Cookie` header carries, for looking the session up directly. */
    const tokenOf = (cookie: string): string => cookie.slice(name.length + 1);

    test('sign-in sets a hardened cookie, once, and ends the previous session', async () => {
      const first = await post('/sign-in?user=ada');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const line = first.setCookies[0] ?? '';
      assert.match(line, /^__Host-cloakroom=[\w-]+\.[\w-]+\.[\w-]+;/);
      for (const attribute of [/; HttpOnly/, /; Secure/, /; SameSite=Lax/, /; Path=\//, /; Max-Age=\d+/])
        assert.match(line, attribute);
      assert.equal(first.cacheControl, 'no-store', 'a response that sets the cookie is not cacheable');
      const planted = cookieFrom(first);
      const sessionId = (first.body as SessionBody).session?.id;
      assert.equal(typeof sessionId, 'string');

      // Signing in over a cookie: the old session ends, and exactly one Set-Cookie goes out.
      const second = await post('/sign-in?user=bob', planted);
      const fresh = cookieFrom(second);
      assert.notEqual(fresh, planted);
      assertAnonymous(await me(planted));
      assertSignedIn(await me(fresh), 'bob');
      assert.deepEqual(await manager.validate(tokenOf(planted)), { valid: false, reason: 'not_found' });

      // And over a stale cookie (already signed out): the clearing and the new cookie collapse into one.
      await post('/sign-out', fresh);
      const third = await post('/sign-in?user=bob', fresh);
      assertSignedIn(await me(cookieFrom(third)), 'bob');
    });

    test('a valid cookie gives the user and its session, and writes no cookie', async () => {
      const signedIn = await post('/sign-in?user=carol');
      const cookie = cookieFrom(signedIn);
      const answer = await me(cookie);
      const body = assertSignedIn(answer, 'carol');
      assert.equal(body.session?.id, (signedIn.body as SessionBody).session?.id);
      assert.deepEqual(answer.setCookies, [], 'reading a session sends no Set-Cookie');
      assertAnonymous(await me(null));
    });

    test('the idle timeout slides, with store writes throttled to one per touch interval', async () => {
      const cookie = await signIn('dave');
      const touches = () => store.touches;
      const before = touches();
      clock.advance((TOUCH_MINUTES / 2) * MINUTE);
      assertSignedIn(await me(cookie), 'dave');
      assertSignedIn(await me(cookie), 'dave');
      assert.equal(touches(), before, 'no write within the touch interval');

      clock.advance((TOUCH_MINUTES / 2 + 1) * MINUTE); // past the interval: one renewal
      const renewed = await me(cookie);
      assertSignedIn(renewed, 'dave');
      assertSignedIn(await me(cookie), 'dave');
      assert.equal(touches(), before + 1, 'one write for the interval');
      assert.deepEqual(renewed.setCookies, [], 'renewal is on the server; the cookie is not rewritten');

      // 61 minutes after sign-in, 50 after the renewal: alive only because the expiry slid.
      clock.advance((IDLE_MINUTES - TOUCH_MINUTES) * MINUTE);
      assertSignedIn(await me(cookie), 'dave');
      assert.equal(touches(), before + 2);

      // Unused for a whole idle timeout: expired, and the dead cookie is cleared.
      clock.advance((IDLE_MINUTES + 1) * MINUTE);
      const expired = await me(cookie);
      assertAnonymous(expired);
      assertCleared(expired);
    });

    test('rotation gives a new cookie for the same user and kills the old one', async () => {
      const old = await signIn('erin');
      const oldId = assertSignedIn(await me(old), 'erin').session?.id ?? '';
      const rotated = await post('/rotate', old);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const fresh = cookieFrom(rotated);
      assert.notEqual(fresh, old);
      const body = assertSignedIn(await me(fresh), 'erin');
      assert.notEqual(body.session?.id, oldId, 'a new session id');
      assertAnonymous(await me(old));
      assertAnonymous(await post('/rotate', null));
    });

    test('sign-out clears the cookie and the server session', async () => {
      const cookie = await signIn('frank');
      const id = assertSignedIn(await me(cookie), 'frank').session?.id ?? '';
      const out = await post('/sign-out', cookie);
      assert.equal(out.status, 204);
      assertCleared(out);
      assert.equal(out.cacheControl, 'no-store');
      assert.equal(await store.get(id), null, 'the session is gone from the store');
      assertAnonymous(await me(cookie));
    });

    test('a cross-site POST gets 403 csrf_rejected and changes nothing', async () => {
      const cookie = await signIn('gina');
      const refused: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: ORIGIN, 'sec-fetch-site': 'cross-site' },
        { origin: ORIGIN, 'sec-fetch-site': 'same-site' },
        {}, // neither header: not a browser's same-origin request
      ];
      for (const headers of refused) {
        for (const path of ['/sign-out', '/rotate', '/sign-out-everywhere']) {
          const answer = await post(path, cookie, headers);
          assertError(answer, 403, 'csrf_rejected');
        }
      }
      assertSignedIn(await me(cookie), 'gina');
      // Login CSRF: a sign-in posted from another site is refused even without a cookie.
      const login = await post('/sign-in?user=victim', null, { origin: 'https://evil.example' });
      assertError(login, 403, 'csrf_rejected');
      // Safe methods are not checked.
      const read = await send('GET', '/me', cookie, {
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      });
      assertSignedIn(read, 'gina');
    });

    test('a store that is down gives 503 store_unavailable and no silent sign-out', async () => {
      const cookie = await signIn('hana');
      store.failing = true;
      try {
        assertError(await me(cookie), 503, 'store_unavailable');
        assertError(await post('/sign-out', cookie), 503, 'store_unavailable');
        assertError(await post('/sign-in?user=hana'), 503, 'store_unavailable');
      } finally {
        store.failing = false;
      }
      assertSignedIn(await me(cookie), 'hana');
    });

    test('a malformed or forged cookie is anonymous, never a 500, and forged ones never reach the store', async () => {
      const cookie = await signIn('ivan');
      const token = tokenOf(cookie);
      const flip = (text: string, at: number) =>
        text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      const forged = [
        `${name}=${flip(token, 20)}`, // secret changed: the signature no longer matches
        `${name}=${flip(token, token.length - 5)}`, // signature changed
        `${name}=AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCC`,
      ];
      const malformed = [
        `${name}=x`,
        `${name}=${'x'.repeat(5000)}`,
        `${name}=${token.split('.').slice(0, 2).join('.')}`, // unsigned
        `${name}=%E0%A4%A`,
        `${name}==;;;==; %%%; \u00ff`,
        `${name}=${token}; ${name}=${flip(token, 20)}`, // two cookies of one name
      ];
      const gets = store.gets;
      for (const header of forged) {
        const answer = await me(header);
        assertAnonymous(answer);
        assertCleared(answer);
      }
      assert.equal(store.gets, gets, 'forged cookies are refused before any store read');
      for (const header of [...malformed, '=;;;==', 'garbage']) {
        const answer = await me(header);
        assert.notEqual(answer.status, 500, header.slice(0, 60));
        assertAnonymous(answer);
      }
      const signOut = await post('/sign-out', `${name}=${flip(token, 20)}`);
      assert.equal(signOut.status, 204);
      assertSignedIn(await me(cookie), 'ivan');
    });

    test('sign-in records authTime and amr; /me shows them', async () => {
      const at = clock.now();
      const cookie = cookieFrom(await post('/sign-in?user=lena&amr=pwd'));
      const body = assertSignedIn(await me(cookie), 'lena');
      assert.deepEqual([body.session?.authTime, body.session?.amr], [at, ['pwd']]);
      const bare = assertSignedIn(await me(await signIn('lena')), 'lena');
      assert.deepEqual(bare.session?.amr, [], 'no amr given: none recorded');
    });

    test('requireRecentAuth: a fresh sign-in passes, an old one gets 401 reauthentication_required until it re-authenticates', async () => {
      const cookie = cookieFrom(await post('/sign-in?user=mona&amr=pwd'));
      const fresh = await post('/sensitive', cookie);
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.deepEqual(fresh.body, { done: true });
      assertError(await post('/sensitive', null), 401, 'unauthenticated');

      clock.advance(10 * MINUTE);
      assert.equal((await post('/sensitive', cookie)).status, 200, 'ten minutes is still recent');
      clock.advance(1000);
      assertError(await post('/sensitive', cookie), 401, 'reauthentication_required');
      assertSignedIn(await me(cookie), 'mona'); // still signed in: only the sensitive action is refused

      const again = await post('/reauthenticate?amr=otp', cookie);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      const rotated = cookieFrom(again);
      assert.notEqual(rotated, cookie, 're-authentication rotates the token');
      assertAnonymous(await me(cookie));
      const body = assertSignedIn(await me(rotated), 'mona');
      assert.equal(body.session?.authTime, clock.now());
      assert.deepEqual(body.session?.amr, ['pwd', 'otp', 'mfa']);
      assert.equal((await post('/sensitive', rotated)).status, 200);
      assertAnonymous(await post('/reauthenticate?amr=pwd', null));
    });

    test('sign out everywhere ends every session of the user and only theirs', async () => {
      const laptop = await signIn('judy');
      const phone = await signIn('judy');
      const other = await signIn('kim');
      const answer = await post('/sign-out-everywhere', laptop);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal((answer.body as SessionBody).ended, 2);
      assertCleared(answer);
      assertAnonymous(await me(laptop));
      assertAnonymous(await me(phone));
      assertSignedIn(await me(other), 'kim');
    });
  });
}
