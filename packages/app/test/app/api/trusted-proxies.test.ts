// The client address behind a proxy over HTTP (issue 15, finding 2): with CLOAKROOM_TRUSTED_PROXIES naming the
// test's loopback "proxy", the per-address sign-in throttle keys on the forwarded client; without it the
// header is ignored and every client shares the socket peer's address.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ConfigError, configFromEnv } from '../../../src/app/config.js';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

const LOOSE: ThrottleRule = { limit: 10_000, windowSeconds: 3600, freeFailures: 10_000, maxDelaySeconds: 1 };
const ADDRESS: ThrottleRule = { limit: 2, windowSeconds: 600, freeFailures: 2, maxDelaySeconds: 1 };

describe('the client address behind a trusted proxy', () => {
  const started: TestApp[] = [];
  afterEach(async () => {
    for (const app of started.splice(0)) await app.stop();
  });
  const start = async (env: Record<string, string> = {}) => {
    const app = await startTestApp({
      env,
      clock: new ManualClock(),
      throttle: { account: LOOSE, address: ADDRESS },
    });
    started.push(app);
    return app;
  };
  const failFrom = (client: ApiClient, forwardedFor: string) =>
    client.post(
      '/api/auth/login',
      { email: uniqueEmail('proxied'), password: 'not the password' },
      { headers: { 'x-forwarded-for': forwardedFor } },
    );

  test('with the setting: each forwarded client has its own per-address count', async () => {
    const app = await start({ CLOAKROOM_TRUSTED_PROXIES: '127.0.0.1/32,::1/128' });
    const client = new ApiClient(app);
    // The left-most entry is the client's own claim; the proxy appended the address it saw.
    assertError(await failFrom(client, '6.6.6.6, 198.51.100.1'), 401, 'invalid_credentials');
    assertError(await failFrom(client, '7.7.7.7, 198.51.100.1'), 401, 'invalid_credentials');
    assertError(await failFrom(client, '198.51.100.1'), 429, 'too_many_attempts');
    // Another client behind the same proxy is not locked out.
    assertError(await failFrom(client, '198.51.100.2'), 401, 'invalid_credentials');
  });

  test('without it: the header is ignored, every request is the socket peer', async () => {
    const app = await start();
    const client = new ApiClient(app);
    assertError(await failFrom(client, '198.51.100.1'), 401, 'invalid_credentials');
    assertError(await failFrom(client, '198.51.100.2'), 401, 'invalid_credentials');
    assertError(await failFrom(client, '198.51.100.3'), 429, 'too_many_attempts');
  });

  test('an invalid CLOAKROOM_TRUSTED_PROXIES stops the start with an error naming the variable', () => {
    assert.throws(
      () => configFromEnv({ CLOAKROOM_TRUSTED_PROXIES: '10.0.0.0/33' }),
      (error: unknown) => error instanceof ConfigError && /CLOAKROOM_TRUSTED_PROXIES/.test(error.message),
    );
  });
});
