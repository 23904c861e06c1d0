import { FederationError } from 'cloakroom/federation';
import type { RequestContext } from '../http/context.js';
import { notFound } from '../http/errors.js';
import { json, redirect, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { readForm } from '../pages/forms.js';
import { currentUser, signedIn } from '../pages/page-context.js';
import type { AppServices } from '../services.js';
import { continuePage, federationFailurePage } from './pages.js';

const providerIdOf = (ctx: RequestContext) => ctx.params.id ?? '';

/** The query string of the request, without the `?`. */
function queryOf(ctx: RequestContext): string {
  const url = ctx.req.url ?? '';
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

/**
 * OpenID Connect sign-in routes: `GET /auth/oidc/<id>/start` and `/callback`, `POST …/link` and `…/unlink`
 * (signed in, from the account page), and `POST …/backchannel-logout` (from the provider). Thin: the work is
 * in `SiteFederation`. A refusal at the border is the failure page with its reason code; the pre-login
 * cookie is cleared at every callback.
 */
export function federationRoutes(router: AppRouter, services: AppServices): void {
  const { federation, log } = services;

  const refused = (ctx: RequestContext, error: unknown): Reply => {
    if (!(error instanceof FederationError)) throw error;
    // The reason and the kind of cause go to the log; never a token, a code or the provider's full answer.
    const cause = error.cause as { name?: unknown; code?: unknown } | undefined;
    ctx.log.warn(
      {
        reason: error.reason,
        provider: providerIdOf(ctx).slice(0, 32),
        cause: typeof cause?.name === 'string' ? cause.name : undefined,
        causeCode: typeof cause?.code === 'string' ? cause.code : undefined,
      },
      `federation refused: ${error.message}`,
    );
    if (error.reason === 'unknown_provider') throw notFound();
    return federationFailurePage(error, currentUser(ctx), ctx.requestId);
  };

  router.route(
    '/auth/oidc/:id/start',
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        try {
          const start = await federation.start(providerIdOf(ctx), {
            returnTo: ctx.query('returnTo'),
            ip: ctx.ip,
          });
          ctx.setCookies.push(start.setCookie);
          return redirect(start.location, 302);
        } catch (error) {
          return refused(ctx, error);
        }
      },
    },
  );

  router.route(
    '/auth/oidc/:id/callback',
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        try {
          const outcome = await federation.callback(providerIdOf(ctx), queryOf(ctx), {
            info: ctx.requestInfo(),
            session: ctx.session.session,
          });
          ctx.setCookies.push(...outcome.setCookies);
          return redirect(outcome.location, 303);
        } catch (error) {
          ctx.setCookies.push(federation.cookie.clear());
          return refused(ctx, error);
        }
      },
    },
  );

  router.route(
    '/auth/oidc/:id/link',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        const { user, session } = signedIn(ctx);
        try {
          const start = await federation.start(providerIdOf(ctx), {
            link: { userId: user.id, sessionId: session.id },
            ip: ctx.ip,
          });
          ctx.setCookies.push(start.setCookie);
          // Not a 303: the site's CSP (form-action 'self') makes browsers block a form post that redirects
          // to another origin. A page that moves on by itself (meta refresh, no script) is not a form.
          return continuePage(federation.labelOf(providerIdOf(ctx)) ?? '', start.location, user);
        } catch (error) {
          return refused(ctx, error);
        }
      },
    },
  );

  router.route(
    '/auth/oidc/:id/unlink',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        const field = await readForm(ctx);
        try {
          if (!(await federation.unlink(user.id, providerIdOf(ctx), field('subject')))) throw notFound();
          return redirect('/sessions?notice=provider-unlinked', 303);
        } catch (error) {
          return refused(ctx, error);
        }
      },
    },
  );

  // From the provider, server to server: no cookie, so no session and no CSRF check; the logout token's
  // signature is the authentication. Answers per OIDC Back-Channel Logout 1.0: 200, or 400 with an error.
  router.route(
    '/auth/oidc/:id/backchannel-logout',
    { errors: 'json', auth: 'none' },
    {
      POST: async (ctx) => {
        const field = await readForm(ctx);
        try {
          const ended = await federation.backchannelLogout(providerIdOf(ctx), field('logout_token'));
          log.info({ provider: providerIdOf(ctx).slice(0, 32), ended }, 'back-channel logout');
          return { status: 200, contentType: null, body: null, headers: undefined };
        } catch (error) {
          if (!(error instanceof FederationError)) throw error;
          if (error.reason === 'unknown_provider') throw notFound();
          ctx.log.warn({ reason: error.reason }, `back-channel logout refused: ${error.message}`);
          return json({ error: 'invalid_request', error_description: 'The logout token is not valid.' }, 400);
        }
      },
    },
  );
}
