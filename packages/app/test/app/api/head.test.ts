import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

test('HEAD on a GET route answers like GET, without a body', async () => {
  const response = await fetch(`${app.url}/api/me`, { method: 'HEAD' });
  assert.equal(response.status, 401);
  assert.equal(await response.text(), '');
});

test('the Allow header of a 405 names HEAD beside GET', async () => {
  const response = await fetch(`${app.url}/api/notes`, { method: 'PUT', headers: { origin: app.origin } });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get('allow'), 'GET, POST, HEAD');
});
