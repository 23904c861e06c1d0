// End to end with two processes: the reference site as the issuer, and examples/resource-service.ts as a
// separate service that verifies tokens only through the site's JWKS, exchanges a user's token to call the
// site's API on the user's behalf, and keeps working across a key rotation.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { addClient, inspect, mint, signedIn } from './support.js';

const AUDIENCE = 'https://reports.example';

/** Starts the example as a child process; resolves to its URL once it prints that it listens. */
function startService(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/resource-service.ts'], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the service did not start: ${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code}: ${output}`));
    });
  });
}

describe('a separate resource service verifying through the JWKS (two processes)', () => {
  let app: TestApp;
  let service: { url: string; child: ChildProcess };
  before(async () => {
    app = await startTestApp({
      env: { CLOAKROOM_TOKEN_AUDIENCES: AUDIENCE, CLOAKROOM_TOKEN_SCOPES: 'reports:read notes:read' },
    });
    const client = await addClient(app, ['notes:read'], [`${app.origin}/api`], [AUDIENCE]);
    service = await startService({
      ISSUER: app.origin,
      AUDIENCE,
      CLIENT_ID: client.id,
      CLIENT_SECRET: client.secret,
    });
  });
  after(async () => {
    const exited = new Promise((resolve) => service.child.once('exit', resolve));
    service.child.kill('SIGTERM');
    await exited;
    await app.stop();
  });

  const call = async (path: string, token?: string) => {
    const response = await fetch(service.url + path, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const fetches = async () => (await call('/healthz')).body.jwksFetches as number;

  test('a user token for the service is accepted; no token, the site API token, or a forged one are not', async () => {
    const { client, user } = await signedIn(app);
    const { access_token } = await mint(client, { audience: AUDIENCE, scope: 'reports:read' });
    const ok = await call('/report', access_token);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { user: user.id, client: 'session', scopes: ['reports:read'] });
    assert.equal(await fetches(), 1, 'one JWKS fetch so far');
    // Again: verified locally (cached key set, and the verified-token cache).
    assert.equal((await call('/report', access_token)).status, 200);
    assert.equal(await fetches(), 1);

    const none = await call('/report');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const siteToken = (await mint(client)).access_token;
    const wrongAudience = await call('/report', siteToken);
    assert.equal(wrongAudience.status, 401);
    assert.equal(wrongAudience.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const [h, , s] = access_token.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...inspect(access_token).claims, sub: 'admin' })).toString('base64url')}.${s}`;
    assert.equal((await call('/report', forged)).status, 401);
  });

  test("token exchange between the two: the service reads the user's notes from the site with a narrower token", async () => {
    const { client } = await signedIn(app);
    await client.post('/api/notes', { title: 'Quarterly numbers', body: 'up' });
    // Without notes:read in the user's token the exchange is refused: scope never widens.
    const narrow = await mint(client, { audience: AUDIENCE, scope: 'reports:read' });
    assert.equal((await call('/report/notes', narrow.access_token)).status, 502);
    // The user lets the service read notes on their behalf.
    const { access_token } = await mint(client, { audience: AUDIENCE, scope: 'reports:read notes:read' });
    const response = await call('/report/notes', access_token);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body.titles, ['Quarterly numbers']);
    // Once the user signs out, the site refuses the exchange (it can see the session is gone); the service
    // itself cannot, and accepts the user's token until it expires — which is why lifetimes are short.
    await client.post('/api/auth/logout');
    assert.equal((await call('/report', access_token)).status, 200);
    assert.equal((await call('/report/notes', access_token)).status, 502);
  });

  test('rotation end to end: the next key was published before it signs, then signs; the old key stays valid', async () => {
    const { client } = await signedIn(app);
    const old = (await mint(client, { audience: AUDIENCE })).access_token;
    assert.equal((await call('/report', old)).status, 200);
    const before = await fetches();
    const oldKid = inspect(old).header.kid;

    await app.services.tokens.keyring.rotate();
    const fresh = (await mint(client, { audience: AUDIENCE })).access_token;
    const newKid = inspect(fresh).header.kid;
    assert.notEqual(newKid, oldKid);
    // The service already had the new key (it was "next" in the JWKS it fetched): no new fetch needed.
    assert.equal((await call('/report', fresh)).status, 200);
    assert.equal(await fetches(), before, 'no JWKS fetch for the new signing key');
    // The retired key is still published and still verifies the tokens it signed.
    const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    assert.ok(jwks.keys.some((key) => key.kid === oldKid));
    assert.equal((await call('/report', old)).status, 200);
  });
});
