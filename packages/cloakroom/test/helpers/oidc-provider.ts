// A real OpenID provider for the tests: oidc-provider (a certified implementation) on a loopback http
// issuer, with its clients registered in its configuration, accounts in a Map, and a tiny scripted
// interaction (one form: the account id) instead of its development pages, so tests can sign in with fetch
// as well as in a browser. Consent is granted by the provider itself (first-party clients). Key rotation
// swaps in a provider built with a new signing key in front of the old one; both share oidc-provider's
// in-memory adapter, so grants and sessions survive the swap.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  backchannelLogoutUri?: string;
}

interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; prompt: { name: string } }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

type ProviderClass = new (issuer: string, configuration: object) => Provider;

async function loadProvider(): Promise<ProviderClass> {
  // On Node 20 the import prints "Unsupported runtime" (it targets Node 22): a warning, not a failure.
  const name = 'oidc-provider'; // untyped package: imported by name so TypeScript does not look for types
  const module = (await import(name)) as { default: ProviderClass };
  return module.default;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

export class TestOidcProvider {
  readonly issuer: string;
  readonly accounts = new Map<string, TestAccount>();
  /** Requests per path (`/token`, `/me`, `/jwks`, …), to assert what the relying party called. */
  readonly calls = new Map<string, number>();
  /** Errors the provider reported (back-channel delivery failures and the like). */
  readonly errors: unknown[] = [];
  readonly #server: ReturnType<typeof createServer>;
  readonly #clients: TestClient[];
  #keys: JWK[];
  #provider: Provider;
  #keyCount = 1;

  private constructor(
    issuer: string,
    server: ReturnType<typeof createServer>,
    clients: TestClient[],
    keys: JWK[],
    provider: Provider,
  ) {
    this.issuer = issuer;
    this.#server = server;
    this.#clients = clients;
    this.#keys = keys;
    this.#provider = provider;
  }

  static async start(options: { port?: number; clients: TestClient[] }): Promise<TestOidcProvider> {
    const holder: { instance?: TestOidcProvider } = {};
    const server = createServer((req, res) => {
      const instance = holder.instance;
      if (instance === undefined) {
        res.statusCode = 503;
        res.end();
        return;
      }
      instance.#handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = `http://127.0.0.1:${port}`;
    const keys = [await signingKey('RS256', 'key-1')];
    const built = new TestOidcProvider(issuer, server, options.clients, keys, undefined as never);
    built.#provider = await built.#build();
    holder.instance = built;
    return built;
  }

  /** The kid the provider signs with now. */
  get currentKid(): string {
    return this.#keys[0]!.kid!;
  }

  /** Rotates the signing key: a new key signs from now on; the old one stays published for verification. */
  async rotateKeys(): Promise<void> {
    this.#keyCount += 1;
    this.#keys = [await signingKey('RS256', `key-${this.#keyCount}`), ...this.#keys];
    this.#provider = await this.#build();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  async #build(): Promise<Provider> {
    const Provider = await loadProvider();
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      clients: this.#clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(client.backchannelLogoutUri === undefined
          ? {}
          : {
              backchannel_logout_uri: client.backchannelLogoutUri,
              backchannel_logout_session_required: true,
            }),
      })),
      jwks: { keys: this.#keys },
      // The provider refuses to call special-use addresses (SSRF defence); the test site is on loopback.
      fetch: (url: string | URL, options: RequestInit & { dispatcher?: unknown }) =>
        fetch(url, { ...options, dispatcher: undefined } as RequestInit),
      cookies: { keys: ['test-cookie-key-not-secret'] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        Grant: 3600,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: {
        devInteractions: { enabled: false },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: { enabled: true },
      },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = accounts.get(sub);
        if (account === undefined) return undefined;
        return { accountId: sub, claims: () => ({ ...account }) };
      },
      // First-party clients: a signed-in account is granted the scopes it asks for, without a consent page.
      loadExistingGrant: async (ctx: GrantContext) => {
        const { Grant } = ctx.oidc.provider;
        const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (existing !== undefined) {
          const grant = await Grant.find(existing);
          if (grant !== undefined) return grant;
        }
        if (ctx.oidc.session.accountId === undefined) return undefined;
        const grant = new Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    // Listeners get (ctx, error, …): keep the error's message only.
    const keep = (...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error);
      this.errors.push(
        error instanceof Error
          ? `${error.message} ${String((error.cause as Error | undefined)?.message ?? '')}`.trim()
          : 'unknown error',
      );
    };
    provider.on('backchannel.error', keep);
    provider.on('server_error', keep);
    return provider;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.issuer).pathname;
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
    const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(path);
    if (interaction === null) {
      this.#provider.callback()(req, res);
      return;
    }
    this.#interaction(req, res, interaction[2] !== undefined).catch((error: unknown) => {
      this.errors.push(error);
      if (!res.headersSent) res.statusCode = 400;
      res.end('interaction failed');
    });
  }

  // The scripted sign-in page: one field, the account id; no password (this is a test provider).
  async #interaction(req: IncomingMessage, res: ServerResponse, submit: boolean): Promise<void> {
    const details = await this.#provider.interactionDetails(req, res);
    if (!submit) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><html lang="en"><head><title>Test provider sign-in</title></head><body>` +
          `<h1>Test provider</h1><form method="post" action="/interaction/${details.uid}/login">` +
          `<label for="login">Account</label><input id="login" name="login" autofocus>` +
          `<button type="submit">Continue</button></form></body></html>`,
      );
      return;
    }
    const body = new URLSearchParams(await readBody(req));
    const login = body.get('login') ?? '';
    if (!this.accounts.has(login)) {
      await this.#provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'unknown account',
      });
      return;
    }
    await this.#provider.interactionFinished(req, res, { login: { accountId: login } });
  }
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

interface GrantContext {
  oidc: {
    provider: {
      Grant: (new (init: { clientId: string; accountId: string }) => GrantInstance) & {
        find(id: string): Promise<GrantInstance | undefined>;
      };
    };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    client: { clientId: string };
  };
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

/** A cookie jar for one user agent at one host: keeps every cookie set, sends them all back. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Drives the provider from an authorization URL to the redirect back to the relying party, as a browser
 * would, signing in as `login` on the scripted page when asked. Resolves to the callback URL (not fetched).
 */
export async function signInAtProvider(
  authorizationUrl: string,
  login: string,
  jar: CookieJar = new CookieJar(),
): Promise<string> {
  let url = authorizationUrl;
  const origin = new URL(authorizationUrl).origin;
  for (let step = 0; step < 10; step++) {
    const response = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
    jar.store(response);
    await response.arrayBuffer();
    if (response.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
      const submit = await fetch(`${url}/login`, {
        method: 'POST',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login }).toString(),
        redirect: 'manual',
      });
      jar.store(submit);
      await submit.arrayBuffer();
      const next = submit.headers.get('location');
      if (next === null) throw new Error(`the interaction answered ${submit.status}`);
      url = new URL(next, origin).href;
      continue;
    }
    const location = response.headers.get('location');
    if (location === null)
      throw new Error(`the provider answered ${response.status} at ${new URL(url).pathname}`);
    const next = new URL(location, url);
    if (next.origin !== origin) return next.href;
    url = next.href;
  }
  throw new Error('too many redirects at the provider');
}
