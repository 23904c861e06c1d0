import { z } from 'zod';
import { CloakroomError, UnauthenticatedError } from 'cloakroom';
import {
  handleRevokeRequest,
  handleTokenRequest,
  mintForSession,
  OAuthError,
  type OAuthRequest,
} from 'cloakroom/tokens/issuer';
import { readBody } from '../http/body.js';
import type { RequestContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { logServerError } from '../http/errors.js';
import { readJson } from '../http/json-body.js';
import { json, type Reply } from '../http/reply.js';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { assertRecentAuth } from '../http/recent-auth.js';
import { authorizationServerMetadata } from './metadata.js';
import { grantOfForm, observeIssuance } from './observe.js';

/** The body of `POST /api/tokens`. */
const sessionTokenRequestSchema = z.strictObject({
  audience: z.string().max(512).optional(),
  scope: z.string().max(4096).optional(),
});

// RFC 6749 §5.1: token responses and their errors are never cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * The issuer's routes: `POST /api/tokens` (a signed-in session gets tokens), `POST /oauth/token`,
 * `POST /oauth/revoke`, `GET /.well-known/jwks.json` and `GET /.well-known/oauth-authorization-server`.
 * The OAuth endpoints read no cookie (clients authenticate with HTTP Basic, or not at all) and answer
 * errors as `{"error","error_description"}`.
 */
export function tokenRoutes(router: AppRouter, services: AppServices): void {
  const { tokens, config } = services;
  const issuance = observeIssuance(services.metrics?.metrics, config.tracing);

  router.route(
    '/api/tokens',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    // Needs the browser session itself (with its CSRF checks): an access token cannot mint tokens.
    {
      POST: async (ctx) => {
        const { session } = ctx.session;
        if (session === null) throw new UnauthenticatedError();
        // Tokens are credentials a client keeps (a refresh token lives for hours): a recent sign-in only.
        assertRecentAuth(ctx);
        const request = await readJson(ctx, sessionTokenRequestSchema);
        const response = await issuance('session', () => mintForSession(tokens.issuer, session, request));
        return json(response, 201, NO_STORE);
      },
    },
  );

  router.route(
    '/oauth/token',
    { errors: 'json', auth: 'none' },
    {
      POST: (ctx) =>
        oauth(ctx, async (request) => {
          const response = await issuance(grantOfForm(request.body), () =>
            handleTokenRequest(tokens.issuer, request, (reason) => {
              ctx.log.info({ reason }, 'grant refused');
            }),
          );
          return json(response, 200, NO_STORE);
        }),
    },
  );

  router.route(
    '/oauth/revoke',
    { errors: 'json', auth: 'none' },
    {
      POST: (ctx) =>
        oauth(ctx, async (request) => {
          await handleRevokeRequest(tokens.issuer, request);
          return { status: 200, contentType: null, body: null, headers: NO_STORE };
        }),
    },
  );

  router.route(
    '/.well-known/jwks.json',
    { errors: 'json', auth: 'none' },
    {
      GET: async () => {
        // Picks up a rotation made by `cloakroom keys rotate` at once.
        await tokens.reloadKeys();
        return json(tokens.keyring.publicJwks(), 200, { 'cache-control': 'public, max-age=300' });
      },
    },
  );

  const metadata = authorizationServerMetadata(config.origin, config.tokens);
  router.route(
    '/.well-known/oauth-authorization-server',
    { errors: 'json', auth: 'none' },
    { GET: () => json(metadata, 200, { 'cache-control': 'public, max-age=3600' }) },
  );
}

/** Runs an OAuth endpoint: reads the form body, answers RFC 6749 errors itself. */
async function oauth(ctx: RequestContext, handle: (request: OAuthRequest) => Promise<Reply>): Promise<Reply> {
  try {
    const body = (await readBody(ctx.req)).toString('utf8');
    return await handle({
      contentType: ctx.header('content-type') ?? null,
      authorization: ctx.header('authorization') ?? null,
      body,
      ip: ctx.ip,
      userAgent: ctx.header('user-agent') ?? null,
    });
  } catch (error) {
    return oauthError(ctx, error);
  }
}

function oauthError(ctx: RequestContext, error: unknown): Reply {
  if (error instanceof OAuthError) {
    return json(error.body(), error.status, { ...error.headers, ...NO_STORE });
  }
  if (error instanceof ApiError && error.status === 413) {
    const body = { error: 'invalid_request', error_description: 'The request body is too large.' };
    return json(body, 413, { ...error.headers, ...NO_STORE });
  }
  if (
    error instanceof CloakroomError &&
    (error.code === 'invalid_request' || error.code === 'store_unavailable')
  ) {
    const unavailable = error.code === 'store_unavailable';
    if (unavailable) {
      logServerError(ctx.log, error, 503);
      ctx.reportStoreFailure(error);
    }
    return json(
      unavailable
        ? {
            error: 'temporarily_unavailable',
            error_description: 'The store is unavailable. Try again shortly.',
          }
        : { error: 'invalid_request', error_description: 'The request body could not be read.' },
      unavailable ? 503 : 400,
      NO_STORE,
    );
  }
  logServerError(ctx.log, error, 500);
  return json(
    { error: 'server_error', error_description: 'Something went wrong on our side.' },
    500,
    NO_STORE,
  );
}
