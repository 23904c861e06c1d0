// The site on CLOAKROOM_STORE=dynamodb://… when DynamoDB goes away: dynalite (a local DynamoDB emulator,
// LevelDB on disk) started in this process, stopped mid-run and started again on the same port and data.
// While it is down a signed-in request answers 503 store_unavailable in bounded time, never 401 (a silent
// sign-out) nor 500; once it is back the same cookie works again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../../cloakroom/src/stores/dynamodb/index.js';
import { Dynalite } from '../../../cloakroom/test/helpers/dynalite.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

let folder = '';
let emulator: Dynalite;
let app: TestApp;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cr-site-dynalite-'));
  emulator = await new Dynalite({ path: folder }).start();
  const client = new DynamoDBClient(emulator.clientConfig());
  try {
    await createTable(client, { table: 'cr-site-faults' });
  } finally {
    client.destroy();
  }
  const endpoint = encodeURIComponent(emulator.endpoint);
  app = await startTestApp({
    env: { CLOAKROOM_STORE: `dynamodb://cr-site-faults?region=us-east-1&endpoint=${endpoint}` },
  });
});

after(async () => {
  await app.stop();
  await emulator.stop();
  await rm(folder, { recursive: true, force: true });
});

async function signIn(): Promise<string> {
  const response = await fetch(`${app.url}/api/auth/register`, {
    method: 'POST',
    headers: { origin: app.origin, 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `fault-${randomBytes(4).toString('hex')}@example.com`,
      password: 'outages happen',
    }),
  });
  assert.equal(response.status, 201);
  return response.headers.getSetCookie()[0]!.split(';')[0]!;
}

test('DynamoDB stops: 503 store_unavailable within the bound, never 401 or 500; the cookie works again after', async () => {
  const cookie = await signIn();
  assert.equal((await fetch(`${app.url}/api/me`, { headers: { cookie } })).status, 200);

  await emulator.stop();
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const response = await fetch(`${app.url}/api/me`, { headers: { cookie } });
    const elapsed = performance.now() - started;
    assert.equal(response.status, 503, `request ${i}`);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'store_unavailable');
    assert.ok(elapsed < 3000, `answered after ${Math.round(elapsed)} ms`);
  }

  await emulator.start();
  const back = performance.now();
  let status = 0;
  while (performance.now() - back < 5000) {
    status = (await fetch(`${app.url}/api/me`, { headers: { cookie } })).status;
    assert.ok(status === 200 || status === 503, `status ${status}`);
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(status, 200, 'the same session validates once DynamoDB is back');
});
