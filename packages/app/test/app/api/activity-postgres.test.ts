// The activity log on the site's PostgreSQL database (CLOAKROOM_DATABASE_URL): the table is migrated with the
// others, events are kept per user, and GET /api/activity pages through them with the same cursor as on
// SQLite (PostgreSQL's bigint ids and times come back as strings). Without a server the file is skipped with
// a message, except on CI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { DATABASE_URL, describePostgres } from '../../../../cloakroom/test/stores/postgres-support.js';
import { DAY, ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

const PASSWORD = 'correct horse battery';

describePostgres('GET /api/activity on PostgreSQL', () => {
  const schema = `cr_activity_${randomBytes(5).toString('hex')}`;
  const clock = new ManualClock();
  let pool: pg.Pool;
  let app: TestApp;

  before(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    app = await startTestApp({
      clock,
      env: { CLOAKROOM_DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${schema}` },
    });
  });
  after(async () => {
    await app?.stop();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  test('events are stored per user, paged newest first, and pruned past 90 days', async () => {
    const email = uniqueEmail('pg-activity');
    const client = new ApiClient(app);
    await client.register(email, PASSWORD);
    for (let i = 0; i < 4; i += 1) {
      clock.advance(SECOND);
      await client.login(email, PASSWORD);
    }
    assert.equal((await client.post('/api/auth/logout')).status, 204);
    await client.login(email, PASSWORD);

    const types: string[] = [];
    let path = '/api/activity?limit=2';
    for (let guard = 0; guard < 10; guard += 1) {
      const response = await client.get(path);
      assert.equal(response.status, 200, response.text);
      const page = response.body as { events: { type: string }[]; next?: string };
      types.push(...page.events.map((event) => event.type));
      if (page.next === undefined) break;
      path = `/api/activity?limit=2&before=${page.next}`;
    }
    assert.deepEqual(types, [
      'sign_in.succeeded',
      'session.signed_out',
      ...Array<string>(5).fill('sign_in.succeeded'),
    ]);
    assertError(await client.get('/api/activity?before=zzz'), 400, 'invalid_cursor');

    const { rows } = await pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${schema}".activity`,
    );
    assert.equal(Number(rows[0]?.count), 7);
    clock.advance(91 * DAY);
    await new ApiClient(app).login(email, PASSWORD);
    await app.services.activity.log.idle();
    const left = await pool.query<{ count: string }>(`SELECT count(*) AS count FROM "${schema}".activity`);
    assert.equal(Number(left.rows[0]?.count), 1, 'only the new sign-in is kept');
  });
});
