import express from 'express';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { accessTokenOf as expressAccessTokenOf, requireAccessToken } from '../../src/tokens/express.js';
import {
  accessTokenOfNode,
  createVerifier,
  readBearerToken,
  sendBearerError,
  withAccessToken,
  type TokenVerifier,
} from '../../src/tokens/index.js';
import { ManualClock } from '../helpers/clock.js';
import { listen } from '../helpers/http.js';
import { attackTokens, AUDIENCE, ISSUER, NOW_SECONDS, rawEd25519Key, token } from './support.js';

const key = rawEd25519Key();
const attacker = rawEd25519Key('attacker');
const INVALID_BODY = '{"error":{"code":"invalid_token","message":"The access token is invalid or expired."}}';

function makeVerifier(): TokenVerifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    jwks: key.jwks,
    clock: new ManualClock(NOW_SECONDS * 1000),
  });
}

/** A verifier whose remote key set never answers properly (a 500 from the issuer). */
function unreachableVerifier(): TokenVerifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    jwks: 'https://auth.example/.well-known/jwks.json',
    remote: { fetch: () => Promise.resolve(new Response('oops', { status: 500 })) },
    clock: new ManualClock(NOW_SECONDS * 1000),
  });
}

type Call = (authorization: string | null, path?: string) => Promise<Response>;

function nodeApp(verifier: TokenVerifier, broken: TokenVerifier) {
  return createServer((req, res) => {
    const which = req.url === '/broken' ? broken : verifier;
    const scope = req.url === '/write' ? 'notes:write' : 'notes:read';
    accessTokenOfNode(which, req, { scope }).then(
      (verified) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sub: verified.claims.sub }));
      },
      (error: unknown) => {
        if (!sendBearerError(res, error)) {
          res.statusCode = 500;
          res.end();
        }
      },
    );
  });
}

function expressApp(verifier: TokenVerifier, broken: TokenVerifier) {
  const app = express();
  const reply = (req: express.Request, res: express.Response) => {
    res.json({ sub: expressAccessTokenOf(req).claims.sub });
  };
  app.get('/read', requireAccessToken(verifier, { scope: 'notes:read' }), reply);
  app.get('/write', requireAccessToken(verifier, { scope: 'notes:write' }), reply);
  app.get('/broken', requireAccessToken(broken, { scope: 'notes:read' }), reply);
  return createServer(app);
}

const adapters: { name: string; setup: () => Promise<{ call: Call; close: () => Promise<void> }> }[] = [
  {
    name: 'node:http',
    setup: async () => {
      const { url, close } = await listen(nodeApp(makeVerifier(), unreachableVerifier()));
      return { call: httpCall(url), close };
    },
  },
  {
    name: 'Express',
    setup: async () => {
      const { url, close } = await listen(expressApp(makeVerifier(), unreachableVerifier()));
      return { call: httpCall(url), close };
    },
  },
  {
    name: 'Web Request/Response',
    setup: () => {
      const verifier = makeVerifier();
      const broken = unreachableVerifier();
      const reply = (_request: Request, verified: { claims: { sub: string } }) =>
        Response.json({ sub: verified.claims.sub });
      const handlers: Record<string, (request: Request) => Promise<Response>> = {
        '/read': withAccessToken(verifier, reply, { scope: 'notes:read' }),
        '/write': withAccessToken(verifier, reply, { scope: 'notes:write' }),
        '/broken': withAccessToken(broken, reply, { scope: 'notes:read' }),
      };
      const call: Call = (authorization, path = '/read') =>
        handlers[path]!(
          new Request(`http://api.example${path}`, {
            headers: authorization === null ? {} : { authorization },
          }),
        );
      return Promise.resolve({ call, close: () => Promise.resolve() });
    },
  },
];

function httpCall(base: string): Call {
  return (authorization, path = '/read') =>
    fetch(base + path, { headers: authorization === null ? {} : { authorization } });
}

for (const adapter of adapters) {
  describe(`bearer middleware over ${adapter.name}`, () => {
    let call: Call;
    let close: () => Promise<void>;
    before(async () => ({ call, close } = await adapter.setup()));
    after(() => close());

    test('a valid token with the scope gets through', async () => {
      const response = await call(`Bearer ${token(key)}`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { sub: 'user-1' });
      const lowercase = await call(`bearer ${token(key)}`);
      assert.equal(lowercase.status, 200, 'the scheme is case-insensitive');
    });

    test('every attack token gets 401 invalid_token with the one identical body', async () => {
      const cases = [
        ...attackTokens(key, attacker).map((attack) => ({
          name: attack.name,
          header: `Bearer ${attack.token}`,
        })),
        { name: 'Bearer with no token', header: 'Bearer ' },
        { name: 'Bearer with two tokens', header: `Bearer ${token(key)} ${token(key)}` },
        { name: 'Bearer with a non-b64token', header: 'Bearer {"alg":"none"}' },
      ];
      for (const { name, header } of cases) {
        const response = await call(header);
        assert.equal(response.status, 401, name);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"', name);
        assert.equal(response.headers.get('cache-control'), 'no-store', name);
        assert.equal(await response.text(), INVALID_BODY, name);
      }
    });

    test('no token: 401 with a bare Bearer challenge', async () => {
      for (const header of [null, 'Basic dXNlcjpwYXNz']) {
        const response = await call(header);
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthenticated');
      }
    });

    test('a valid token without the scope: 403 insufficient_scope naming it', async () => {
      const response = await call(`Bearer ${token(key)}`, '/write');
      assert.equal(response.status, 403);
      assert.equal(
        response.headers.get('www-authenticate'),
        'Bearer error="insufficient_scope", scope="notes:write"',
      );
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'insufficient_scope');
    });

    test('issuer keys unreachable: 503, neither 401 nor 500', async () => {
      const response = await call(`Bearer ${token(key)}`, '/broken');
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'jwks_unavailable');
    });
  });
}

describe('readBearerToken', () => {
  test('reads only the Bearer scheme with one b64token', () => {
    assert.equal(readBearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(readBearerToken('BEARER  abc'), 'abc');
    assert.equal(readBearerToken(null), null);
    assert.equal(readBearerToken('Basic abc'), null);
    assert.equal(readBearerToken('Bearerabc'), null);
    assert.equal(readBearerToken('Bearer a b'), '');
    assert.equal(readBearerToken('Bearer'), '');
  });
});
