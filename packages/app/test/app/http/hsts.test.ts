// HSTS (issue 15, finding 5): every answer of a site whose origin is https tells browsers to use https only;
// a loopback http site never does (the header would pin `localhost` to https for a year).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';

const PATHS = ['/healthz', '/sign-in', '/api/me', '/no/such/page', '/api/nope', '/styles.css'];

describe('Strict-Transport-Security', () => {
  let https: TestApp;
  let http: TestApp;
  before(async () => {
    // The test talks plain HTTP to the listener, as a TLS-terminating proxy in front of it would.
    https = await startTestApp({ env: { CLOAKROOM_ORIGIN: 'https://cloakroom.example' } });
    http = await startTestApp();
  });
  after(async () => {
    await https.stop();
    await http.stop();
  });

  test('is on every answer of an https site, errors included', async () => {
    for (const path of PATHS) {
      const response = await fetch(https.url + path, { method: path === '/api/me' ? 'DELETE' : 'GET' });
      assert.equal(
        response.headers.get('strict-transport-security'),
        'max-age=31536000; includeSubDomains',
        path,
      );
    }
  });

  test('is never on an http loopback site', async () => {
    for (const path of PATHS) {
      const response = await fetch(http.url + path);
      assert.equal(response.headers.get('strict-transport-security'), null, path);
    }
  });
});
