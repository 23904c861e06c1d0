// GET /metrics over real HTTP: off by default (404); on with CLOAKROOM_METRICS=on, answered to loopback
// clients, parsed by a Prometheus text-format parser after real requests (store latency per operation and
// backend, validations by outcome, near-cache hits and misses, sign-ins, tokens, HTTP by route pattern and
// status); the bearer-token guard; and no secret anywhere in the output.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { metricsAccess } from '../../../src/app/metrics/access.js';
import { configFromEnv, ConfigError } from '../../../src/app/config.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail } from '../api/client.js';

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

const PASSWORD = 'metrics test password 42';
const TOKEN = 'metrics-token-0123456789abcdef';

/** The counter value of the series with exactly these labels (0 when absent). */
function counterValue(families: Family[], name: string, labels: Record<string, string>): number {
  const family = families.find((candidate) => candidate.name === name);
  if (family === undefined) return 0;
  assert.equal(family.type, 'COUNTER', name);
  const series = family.metrics.find((sample) => {
    const got = sample.labels ?? {};
    return (
      Object.keys(labels).length === Object.keys(got).length &&
      Object.entries(labels).every(([key, value]) => got[key] === value)
    );
  });
  return series === undefined ? 0 : Number(series.value);
}

/**
 * The `_count` of one histogram series. The parser checks the family (its type, its lines) but flattens
 * labelled histograms into one bucket map, so the series' count is read from its own `_count` line.
 */
function histogramCount(text: string, families: Family[], name: string, labels: string): number {
  assert.equal(families.find((family) => family.name === name)?.type, 'HISTOGRAM', name);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}_count{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('GET /metrics', () => {
  const apps: TestApp[] = [];
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
  });

  test('is a 404 when metrics are off (the default)', async () => {
    const app = await startTestApp();
    apps.push(app);
    const response = await new ApiClient(app).get('/metrics');
    assert.equal(response.status, 404);
    assert.equal(app.services.metrics, null);
  });

  test('after real requests, the series are there and no label carries a secret', async () => {
    const app = await startTestApp({ env: { CLOAKROOM_METRICS: 'on', CLOAKROOM_NEAR_CACHE: 'on' } });
    apps.push(app);
    const client = new ApiClient(app);
    const email = uniqueEmail('metrics');
    await client.register(email, PASSWORD);
    const cookie = client.cookie ?? '';
    assert.ok(cookie.length > 0);
    assert.equal((await client.get('/api/me')).status, 200);
    assert.equal((await client.get('/api/me')).status, 200);
    assert.equal((await client.get('/api/me', { cookie: `${cookie.slice(0, -3)}xyz` })).status, 401);
    assert.equal((await client.get('/no/such/page-with-a-raw-path')).status, 404);
    const stranger = new ApiClient(app);
    const refused = await stranger.post('/api/auth/login', { email, password: 'not the password at all' });
    assert.equal(refused.status, 401);
    const tokens = await client.post('/api/tokens', {});
    assert.equal(tokens.status, 201);
    const { access_token: accessToken, refresh_token: refreshToken } = tokens.body as Record<string, string>;
    const bearer = await client.request('GET', '/api/me', {
      cookie: null,
      origin: false,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.equal(bearer.status, 200);

    const response = await client.request('GET', '/metrics', { cookie: null, origin: false });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(response.headers.get('set-cookie'), null);
    const text = response.text;
    const families = parsePrometheusTextFormat(text) as Family[];

    // Node's process metrics (prom-client's defaults).
    assert.ok(families.some((family) => family.name === 'process_cpu_user_seconds_total'));
    // Store latency per operation and backend (the near-cache in front of SQLite).
    assert.ok(
      histogramCount(
        text,
        families,
        'cloakroom_store_operation_seconds',
        'operation="create",backend="sqlite",outcome="ok"',
      ) >= 1,
    );
    assert.ok(
      histogramCount(
        text,
        families,
        'cloakroom_store_operation_seconds',
        'operation="get",backend="sqlite",outcome="ok"',
      ) >= 1,
    );
    // Validations by outcome.
    assert.ok(counterValue(families, 'cloakroom_session_validations_total', { outcome: 'valid' }) >= 2);
    assert.ok(
      counterValue(families, 'cloakroom_session_validations_total', { outcome: 'bad_signature' }) >= 1,
    );
    // The near-cache: the second /api/me is answered from memory.
    assert.ok(counterValue(families, 'cloakroom_near_cache_lookups_total', { result: 'hit' }) >= 1);
    assert.ok(counterValue(families, 'cloakroom_near_cache_lookups_total', { result: 'miss' }) >= 1);
    // Sign-ins by outcome, from the security events.
    assert.equal(
      counterValue(families, 'cloakroom_sign_ins_total', {
        outcome: 'succeeded',
        method: 'registration',
        reason: '',
      }),
      1,
    );
    assert.equal(
      counterValue(families, 'cloakroom_sign_ins_total', {
        outcome: 'failed',
        method: 'password',
        reason: 'wrong_password',
      }),
      1,
    );
    // Tokens: issued for the session, verified on the API.
    assert.equal(
      counterValue(families, 'cloakroom_token_issuance_total', { grant: 'session', outcome: 'issued' }),
      1,
    );
    assert.equal(counterValue(families, 'cloakroom_token_verifications_total', { outcome: 'valid' }), 1);
    // HTTP by route pattern and status; an unknown path is one series, never its raw path.
    assert.ok(
      counterValue(families, 'cloakroom_http_requests_total', {
        method: 'GET',
        route: '/api/me',
        status: '200',
      }) >= 3,
    );
    assert.equal(
      counterValue(families, 'cloakroom_http_requests_total', {
        method: 'GET',
        route: '/api/me',
        status: '401',
      }),
      1,
    );
    assert.equal(
      counterValue(families, 'cloakroom_http_requests_total', {
        method: 'GET',
        route: '(unmatched)',
        status: '404',
      }),
      1,
    );
    assert.equal(
      counterValue(families, 'cloakroom_http_requests_total', {
        method: 'POST',
        route: '/api/auth/register',
        status: '201',
      }),
      1,
    );
    assert.doesNotMatch(text, /page-with-a-raw-path/);

    // No secret, nor anything that names the user, anywhere in the output.
    const [sessionId, secret] = cookie.split('.');
    for (const secretValue of [
      PASSWORD,
      cookie,
      secret ?? cookie,
      sessionId ?? cookie,
      accessToken,
      refreshToken,
      email,
    ]) {
      assert.ok(secretValue !== undefined && secretValue.length > 8);
      assert.equal(text.includes(secretValue), false, 'the metrics output carries a secret or an identifier');
    }
  });

  test('with CLOAKROOM_METRICS_TOKEN: 401 without the token or with a wrong one, 200 with it', async () => {
    const app = await startTestApp({ env: { CLOAKROOM_METRICS: 'on', CLOAKROOM_METRICS_TOKEN: TOKEN } });
    apps.push(app);
    const client = new ApiClient(app);
    const none = await client.request('GET', '/metrics', { origin: false });
    assertError(none, 401, 'unauthenticated');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await client.request('GET', '/metrics', {
      origin: false,
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}X` },
    });
    assertError(wrong, 401, 'unauthenticated');
    assert.equal(wrong.text.includes(TOKEN), false);
    const basic = await client.request('GET', '/metrics', {
      origin: false,
      headers: { authorization: `Basic ${TOKEN}` },
    });
    assertError(basic, 401, 'unauthenticated');
    const right = await client.request('GET', '/metrics', {
      origin: false,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(right.status, 200);
    assert.ok((parsePrometheusTextFormat(right.text) as Family[]).length > 0);
  });
});

describe('metrics access and configuration', () => {
  test('without a token only loopback peers are answered', () => {
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      assert.equal(metricsAccess({ token: undefined, authorization: undefined, peer }), 'allowed', peer);
    }
    for (const peer of ['10.0.0.1', '192.0.2.7', '::ffff:10.0.0.1', '2001:db8::1', 'localhost', undefined]) {
      assert.equal(
        metricsAccess({ token: undefined, authorization: undefined, peer }),
        'forbidden',
        String(peer),
      );
    }
  });

  test('with a token, any peer with the right bearer token, and none without it', () => {
    const check = (authorization: string | undefined, peer = '192.0.2.7') =>
      metricsAccess({ token: TOKEN, authorization, peer });
    assert.equal(check(`Bearer ${TOKEN}`), 'allowed');
    assert.equal(
      check(undefined, '127.0.0.1'),
      'unauthorized',
      'loopback needs the token too once it is set',
    );
    assert.equal(check(`Bearer ${TOKEN}extra`), 'unauthorized');
    assert.equal(check(`bearer  ${TOKEN}`), 'unauthorized');
    assert.equal(check(''), 'unauthorized');
  });

  test('CLOAKROOM_METRICS and CLOAKROOM_METRICS_TOKEN are checked at start, never repeating the token', () => {
    assert.deepEqual(configFromEnv({}).metrics, { enabled: false, token: undefined });
    assert.equal(configFromEnv({ CLOAKROOM_METRICS: 'on' }).metrics.enabled, true);
    assert.throws(() => configFromEnv({ CLOAKROOM_METRICS: 'maybe' }), ConfigError);
    const short = 'short secret';
    assert.throws(
      () => configFromEnv({ CLOAKROOM_METRICS: 'on', CLOAKROOM_METRICS_TOKEN: short }),
      (error: Error) => error instanceof ConfigError && !error.message.includes(short),
    );
    assert.equal(configFromEnv({ CLOAKROOM_TRACING: 'on' }).tracing, true);
  });
});
