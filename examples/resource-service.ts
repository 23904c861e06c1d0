/**
 * A separate API service that trusts the Cloakroom reference site as its token issuer — the "other API
 * services" of the design. It never calls the issuer to check a token: it verifies access tokens locally
 * with the issuer's public keys, fetched from its JWKS URL (cached, refetched on an unknown `kid` at most
 * once per cooldown). With a client id and secret it also acts for the user towards the site itself: it
 * exchanges the user's token (RFC 8693) for a narrower one for the site's API and calls `/api/notes`.
 *
 *   # 1. the issuer, with this service as an audience users may ask tokens for
 *   CLOAKROOM_TOKEN_AUDIENCES=https://reports.example CLOAKROOM_TOKEN_SCOPES="reports:read notes:read" npm start
 *   # 2. register the service as a client that may get notes:read tokens for the site's API, and that
 *   #    serves https://reports.example (the users' tokens it may exchange are those given to it)
 *   npx cloakroom clients add reports --scope notes:read --audience http://localhost:3000/api \
 *     --resource https://reports.example
 *   # 3. this service
 *   ISSUER=http://localhost:3000 AUDIENCE=https://reports.example PORT=4000 \
 *     CLIENT_ID=reports CLIENT_SECRET=… npx tsx examples/resource-service.ts
 *
 * Routes: `GET /report` (scope `reports:read`): who the token is for; `GET /report/notes` (scope
 * `reports:read`): the user's note titles, fetched from the site with an exchanged token — which works only
 * if the user's token also carries `notes:read` (an exchange never widens the scope); `GET /healthz`: how
 * many times the JWKS was fetched.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { accessTokenOfNode, createVerifier, sendBearerError, type TokenVerifier } from 'cloakroom/tokens';

export interface ResourceServiceOptions {
  /** The issuer's origin, exactly as its tokens' `iss` (the site's `CLOAKROOM_ORIGIN`). */
  issuer: string;
  /** This service's identifier: the `aud` its tokens must carry. */
  audience: string;
  /** This service's client credentials at the issuer, for token exchange (optional). */
  client?: { id: string; secret: string };
}

export interface ResourceService {
  server: Server;
  verifier: TokenVerifier;
  /** How many times the JWKS was fetched from the issuer. */
  readonly jwksFetches: number;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Builds the service (not yet listening). */
export function createResourceService(options: ResourceServiceOptions): ResourceService {
  let jwksFetches = 0;
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    algorithms: ['EdDSA', 'ES256', 'RS256'],
    // From configuration only: never from the token's `iss`, `jku` or `jwk`.
    jwks: `${options.issuer}/.well-known/jwks.json`,
    remote: {
      fetch: (url, init) => {
        jwksFetches += 1;
        return fetch(url, init);
      },
    },
  });

  /**
   * RFC 8693: the user's token for one scoped to the site's own API, on the user's behalf; `null` when the
   * issuer refuses (the user's token lacks `notes:read`, or the user's session has ended).
   */
  async function exchangeForSiteApi(subjectToken: string): Promise<string | null> {
    const client = options.client;
    if (client === undefined) throw new Error('no client credentials configured for token exchange');
    const response = await fetch(`${options.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: `${options.issuer}/api`,
        scope: 'notes:read',
      }),
    });
    if (!response.ok) return null;
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method === 'GET' && path === '/healthz') {
      send(res, 200, { ok: true, jwksFetches });
      return;
    }
    if (req.method !== 'GET' || (path !== '/report' && path !== '/report/notes')) {
      send(res, 404, { error: { code: 'not_found', message: 'Nothing here.' } });
      return;
    }
    let token;
    try {
      token = await accessTokenOfNode(verifier, req, { scope: 'reports:read' });
    } catch (error) {
      if (sendBearerError(res, error)) return;
      throw error;
    }
    const { claims } = token;
    if (path === '/report') {
      send(res, 200, { user: claims.sub, client: claims.client_id, scopes: token.scopes });
      return;
    }
    // Acting for the user towards the site: a narrower token, then the site's API.
    const presented = (req.headers.authorization ?? '').replace(/^Bearer +/i, '');
    const siteToken = await exchangeForSiteApi(presented);
    if (siteToken === null) {
      send(res, 502, {
        error: { code: 'exchange_refused', message: 'The issuer refused the token exchange.' },
      });
      return;
    }
    const notes = await fetch(`${options.issuer}/api/notes`, {
      headers: { authorization: `Bearer ${siteToken}` },
    });
    if (!notes.ok) {
      send(res, 502, { error: { code: 'upstream_refused', message: `The site answered ${notes.status}.` } });
      return;
    }
    const body = (await notes.json()) as { notes: { title: string }[] };
    send(res, 200, { user: claims.sub, titles: body.notes.map((note) => note.title) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The cause for the operator; never a token.
      console.error('request failed:', error instanceof Error ? error.message : 'unknown');
      if (!res.headersSent)
        send(res, 500, { error: { code: 'internal_error', message: 'Something went wrong.' } });
      else res.destroy();
    });
  });
  return {
    server,
    verifier,
    get jwksFetches() {
      return jwksFetches;
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const issuer = process.env.ISSUER ?? 'http://localhost:3000';
  const audience = process.env.AUDIENCE ?? 'https://reports.example';
  const { CLIENT_ID, CLIENT_SECRET } = process.env;
  const service = createResourceService({
    issuer,
    audience,
    ...(CLIENT_ID && CLIENT_SECRET ? { client: { id: CLIENT_ID, secret: CLIENT_SECRET } } : {}),
  });
  const port = Number(process.env.PORT ?? 4000);
  service.server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
    const { address, port: bound } = service.server.address() as AddressInfo;
    console.log(
      `resource service for ${audience} (issuer ${issuer}) listening on http://${address}:${bound}`,
    );
  });
  const stop = () => {
    service.server.close(() => process.exit(0));
    service.server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
