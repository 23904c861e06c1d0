// GET /api/activity and the Recent activity page: the signed-in user's security events of the last 90 days,
// newest first, in pages joined by an opaque `before` cursor; a bad cursor or page size is a 400 with a
// stable code; another user's events never show; events past 90 days are neither shown nor kept.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAY, ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail, type ApiResponse } from './client.js';

const PASSWORD = 'correct horse battery';

interface ActivityPage {
  events: { type: string; at: string; ip: string | null; userAgent: string | null; sessionId?: string }[];
  next?: string;
}

const pageOf = (response: ApiResponse): ActivityPage => {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return response.body as ActivityPage;
};

describe('GET /api/activity', () => {
  let app: TestApp;
  const clock = new ManualClock();
  before(async () => {
    app = await startTestApp({ clock });
  });
  after(async () => {
    await app.stop();
  });

  /** A user with `signIns` password sign-ins after registering, one second apart (two in the same ms). */
  async function activeUser(signIns: number) {
    const email = uniqueEmail('activity');
    const client = new ApiClient(app);
    await client.register(email, PASSWORD);
    for (let i = 0; i < signIns; i += 1) {
      // The last two share a millisecond: the page order still has one answer (newest id first).
      if (i < signIns - 1) clock.advance(SECOND);
      await client.request('POST', '/api/auth/login', {
        json: { email, password: PASSWORD },
        headers: { 'user-agent': `agent-${i}` },
      });
    }
    return { client, email };
  }

  test('the exact shape, newest first, with the session of each event', async () => {
    const { client } = await activeUser(2);
    const page = pageOf(await client.get('/api/activity'));
    assert.deepEqual(Object.keys(page), ['events']);
    assert.deepEqual(
      page.events.map((event) => [event.type, event.userAgent]),
      [
        ['sign_in.succeeded', 'agent-1'],
        ['sign_in.succeeded', 'agent-0'],
        ['sign_in.succeeded', 'node'], // the registration, sent with fetch's own User-Agent
      ],
    );
    for (const event of page.events) {
      assert.deepEqual(Object.keys(event).sort(), ['at', 'ip', 'sessionId', 'type', 'userAgent']);
      assert.match(event.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(event.ip ?? '', /127\.0\.0\.1/);
    }
    const times = page.events.map((event) => Date.parse(event.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const me = (await client.get('/api/me')).body as { session: { id: string } };
    assert.equal(page.events[0]?.sessionId, me.session.id, 'the newest is this sign-in');
  });

  test('pages of `limit` joined by `next`: every event once, in order, and no `next` on the last page', async () => {
    const { client } = await activeUser(7);
    const all = pageOf(await client.get('/api/activity?limit=100')).events;
    assert.equal(all.length, 8);
    const seen: ActivityPage['events'] = [];
    const sizes: number[] = [];
    let path = '/api/activity?limit=3';
    for (let guard = 0; guard < 10; guard += 1) {
      const page = pageOf(await client.get(path));
      seen.push(...page.events);
      sizes.push(page.events.length);
      if (page.next === undefined) break;
      assert.match(page.next, /^[A-Za-z0-9_-]+$/, 'the cursor is URL-safe');
      path = `/api/activity?limit=3&before=${page.next}`;
    }
    assert.deepEqual(sizes, [3, 3, 2]);
    assert.deepEqual(seen, all);
    // The default page is 20 events: all 8 here, with no next.
    assert.deepEqual(pageOf(await client.get('/api/activity')).events, all);
  });

  test('a bad cursor is 400 invalid_cursor; a bad page size is 400 invalid_request; signed out is 401', async () => {
    const { client } = await activeUser(0);
    for (const cursor of [
      'x',
      '!!!',
      'MTIz',
      Buffer.from('1.2.3').toString('base64url'),
      'a'.repeat(65),
      '',
    ]) {
      assertError(
        await client.get(`/api/activity?before=${encodeURIComponent(cursor)}`),
        400,
        'invalid_cursor',
      );
    }
    for (const limit of ['0', '101', '-1', '1.5', 'ten', '']) {
      assertError(await client.get(`/api/activity?limit=${limit}`), 400, 'invalid_request');
    }
    assertError(await new ApiClient(app).get('/api/activity'), 401, 'unauthenticated');
  });

  test("another user's events never show, even with that user's cursor", async () => {
    const first = await activeUser(3);
    const second = await activeUser(0);
    const firstPage = pageOf(await first.client.get('/api/activity?limit=1'));
    assert.ok(firstPage.next !== undefined);
    const secondView = pageOf(await second.client.get(`/api/activity?before=${firstPage.next}`));
    assert.ok(secondView.events.length <= 1, "only the second user's own registration");
    const own = pageOf(await second.client.get('/api/activity'));
    assert.equal(own.events.length, 1);
  });

  test('events older than 90 days are not shown, and a later write prunes them', async () => {
    const { client, email } = await activeUser(1);
    assert.equal(pageOf(await client.get('/api/activity')).events.length, 2);
    clock.advance(91 * DAY);
    // The session has long expired: sign in again (a new event, and a write that prunes).
    const again = new ApiClient(app);
    await again.login(email, PASSWORD);
    await app.services.activity.log.idle();
    const page = pageOf(await again.get('/api/activity'));
    assert.equal(page.events.length, 1, 'only the new sign-in');
    const db = app.services.db;
    assert.ok(db !== null);
    const oldest = db.prepare('SELECT min(at) AS at FROM activity').get() as { at: number };
    assert.ok(oldest.at >= clock.now() - 90 * DAY, 'the rows past 90 days were deleted');
  });

  test('the Recent activity page lists the events, is in the navigation, and pages with the same cursor', async () => {
    const { client } = await activeUser(21);
    const page = await client.get('/activity');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Recent activity<\/h1>/);
    assert.match(page.text, /<a href="\/activity"\s+aria-current="page"\s*>Recent activity<\/a>/);
    assert.match(page.text, /Signed in \(with your password\)/);
    const older = /href="\/activity\?before=([A-Za-z0-9_-]+)"/.exec(page.text)?.[1];
    assert.ok(older !== undefined, 'a link to older activity (22 events, 20 a page)');
    const second = await client.get(`/activity?before=${older}`);
    assert.equal(second.status, 200);
    assert.match(second.text, /when the account was created/);
    const notes = await client.get('/notes');
    assert.match(notes.text, /<a href="\/activity"\s*>Recent activity<\/a>/, 'linked from the account pages');
    assert.equal((await client.get('/activity?before=nope')).status, 400);
  });
});
