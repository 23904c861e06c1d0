// A hand-rolled OpenID provider for the negative tests: a node:http server whose every answer a test can
// bend (the ID token's claims, header and signature, the authorization response, userinfo), signing with
// jose, and counting the calls per endpoint so a test can assert that nothing more was asked of it after a
// bad answer. Not a provider to learn from: it does only what the tests need.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';

export type Signer =
  | 'RS256' // the published RSA key
  | 'ES256' // the published EC key
  | 'none' // alg: none
  | 'HS256-client-secret' // HS256 keyed with the client secret
  | 'RS256-foreign' // an RSA key the provider never published, under the published kid
  | 'ES256-foreign'; // an EC key the provider never published, under the published kid

export interface IssuedToken {
  claims: JWTPayload;
  header: Partial<JWTHeaderParameters>;
  signer: Signer;
}

interface ProviderKeys {
  rsa: { private: CryptoKey; public: JWK };
  ec: { private: CryptoKey; public: JWK };
  foreignRsa: CryptoKey;
  foreignEc: CryptoKey;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  used: boolean;
}

export class FakeOidcProvider {
  readonly issuer: string;
  readonly clientId = 'fake-client';
  readonly clientSecret = 'fake-client-secret-0123456789abcdef';
  readonly calls = new Map<string, number>();
  /** Changes the ID token before it is signed (claims, header, signer). */
  idToken: (token: IssuedToken) => IssuedToken = (token) => token;
  /** Changes the redirect back to the relying party (add, drop or change parameters). */
  authorizationResponse: (params: URLSearchParams) => URLSearchParams = (params) => params;
  /** The userinfo body (default: the subject and an email). */
  userinfo: (subject: string) => object = (sub) => ({
    sub,
    email: 'grace@example.com',
    email_verified: true,
  });
  /** Extra metadata fields, or overrides. */
  metadata: Record<string, unknown> = {};
  /** Answer every request to these paths with HTTP 500. */
  readonly failing = new Set<string>();
  subject = 'user-1';

  readonly #server: ReturnType<typeof createServer>;
  readonly #codes = new Map<string, PendingCode>();
  readonly #keys: ProviderKeys;

  private constructor(issuer: string, server: ReturnType<typeof createServer>, keys: ProviderKeys) {
    this.issuer = issuer;
    this.#server = server;
    this.#keys = keys;
  }

  static async start(): Promise<FakeOidcProvider> {
    const holder: { instance?: FakeOidcProvider } = {};
    const server = createServer((req, res) => {
      const instance = holder.instance;
      if (instance === undefined) {
        res.statusCode = 503;
        res.end();
        return;
      }
      instance.#handle(req, res).catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const keys = {
      rsa: {
        private: rsa.privateKey,
        public: { ...(await exportJWK(rsa.publicKey)), kid: 'rs-1', use: 'sig' },
      },
      ec: { private: ec.privateKey, public: { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig' } },
      foreignRsa: (await generateKeyPair('RS256')).privateKey,
      foreignEc: (await generateKeyPair('ES256')).privateKey,
    };
    const provider = new FakeOidcProvider(`http://127.0.0.1:${port}`, server, keys);
    holder.instance = provider;
    return provider;
  }

  count(path: string): number {
    return this.calls.get(path) ?? 0;
  }

  /** Follows the authorization URL (as the browser would) and returns the redirect back, not fetched. */
  async authorize(authorizationUrl: string): Promise<URL> {
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (location === null) throw new Error(`authorize answered ${response.status}`);
    return new URL(location);
  }

  /** Signs a JWT as this provider would (for back-channel logout tokens and the like). */
  sign(claims: JWTPayload, header: Partial<JWTHeaderParameters>, signer: Signer): Promise<string> {
    switch (signer) {
      case 'none':
        return Promise.resolve(new UnsecuredJWT(claims).encode());
      case 'HS256-client-secret':
        return new SignJWT(claims)
          .setProtectedHeader({ ...header, alg: 'HS256' })
          .sign(new TextEncoder().encode(this.clientSecret));
      case 'RS256':
        return new SignJWT(claims)
          .setProtectedHeader({ kid: 'rs-1', ...header, alg: 'RS256' })
          .sign(this.#keys.rsa.private);
      case 'RS256-foreign':
        return new SignJWT(claims)
          .setProtectedHeader({ kid: 'rs-1', ...header, alg: 'RS256' })
          .sign(this.#keys.foreignRsa);
      case 'ES256':
        return new SignJWT(claims)
          .setProtectedHeader({ kid: 'ec-1', ...header, alg: 'ES256' })
          .sign(this.#keys.ec.private);
      case 'ES256-foreign':
        return new SignJWT(claims)
          .setProtectedHeader({ kid: 'ec-1', ...header, alg: 'ES256' })
          .sign(this.#keys.foreignEc);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    this.calls.set(url.pathname, this.count(url.pathname) + 1);
    if (this.failing.has(url.pathname)) {
      res.statusCode = 500;
      res.end('down');
      return;
    }
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          jwks_uri: `${this.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256', 'none'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          authorization_response_iss_parameter_supported: true,
          ...this.metadata,
        });
      case '/jwks':
        return json(res, 200, { keys: [this.#keys.rsa.public, this.#keys.ec.public] });
      case '/authorize':
        return this.#authorize(url, res);
      case '/token':
        return this.#token(req, res);
      case '/userinfo': {
        if (!(req.headers.authorization ?? '').startsWith('Bearer '))
          return json(res, 401, { error: 'invalid_token' });
        return json(res, 200, this.userinfo(this.subject));
      }
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }

  #authorize(url: URL, res: ServerResponse): void {
    const query = url.searchParams;
    const code = randomBytes(16).toString('base64url');
    const redirectUri = query.get('redirect_uri') ?? '';
    this.#codes.set(code, {
      clientId: query.get('client_id') ?? '',
      redirectUri,
      nonce: query.get('nonce') ?? undefined,
      codeChallenge: query.get('code_challenge') ?? undefined,
      used: false,
    });
    const params = new URLSearchParams({ code, state: query.get('state') ?? '', iss: this.issuer });
    const target = new URL(redirectUri);
    target.search = this.authorizationResponse(params).toString();
    res.statusCode = 302;
    res.setHeader('location', target.href);
    res.end();
  }

  // client_secret_basic: base64 of the form-urlencoded id and secret (RFC 6749 section 2.3.1).
  #clientAuthenticated(header: string | undefined): boolean {
    if (header?.startsWith('Basic ') !== true) return false;
    const [id = '', secret = ''] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    return decode(id) === this.clientId && decode(secret) === this.clientSecret;
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = new URLSearchParams(await readBody(req));
    if (!this.#clientAuthenticated(req.headers.authorization))
      return json(res, 401, { error: 'invalid_client' });
    const pending = this.#codes.get(body.get('code') ?? '');
    if (pending === undefined || pending.used) return json(res, 400, { error: 'invalid_grant' });
    pending.used = true;
    const challenge = createHash('sha256')
      .update(body.get('code_verifier') ?? '')
      .digest('base64url');
    if (challenge !== pending.codeChallenge || body.get('redirect_uri') !== pending.redirectUri) {
      return json(res, 400, { error: 'invalid_grant' });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = this.idToken({
      claims: {
        iss: this.issuer,
        sub: this.subject,
        aud: this.clientId,
        exp: now + 300,
        iat: now,
        ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }),
        sid: 'provider-session-1',
      },
      header: {},
      signer: 'RS256',
    });
    const idToken = await this.sign(token.claims, token.header, token.signer);
    return json(res, 200, {
      access_token: randomBytes(16).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 300,
      id_token: idToken,
    });
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
