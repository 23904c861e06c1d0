import { z } from 'zod';
import { UnauthenticatedError } from 'cloakroom';
import type { Session } from 'cloakroom/session';
import type { RequestContext } from '../http/context.js';
import type { AppUser } from '../http/env.js';
import { notFound } from '../http/errors.js';
import { readJson, refuseNonJsonBody } from '../http/json-body.js';
import { json, noContent } from '../http/reply.js';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import type { AppRouter } from '../http/router.js';
import { newNoteSchema, noteChangesSchema } from '../notes.js';
import type { AppServices } from '../services.js';
import { sendFirstVerification } from '../welcome-mail.js';
import { assertRecentAuth } from '../http/recent-auth.js';
import { sessionView } from './session-view.js';
import { signInWithPassword } from '../mfa/sign-in.js';
import { mfaRoutes } from './mfa-routes.js';

const credentialsSchema = z.strictObject({ email: z.string(), password: z.string() });
const passwordChangeSchema = z.strictObject({ currentPassword: z.string(), newPassword: z.string() });
const tokenSchema = z.strictObject({ token: z.string() });
const forgotSchema = z.strictObject({ email: z.string() });
const resetSchema = z.strictObject({ token: z.string(), newPassword: z.string() });
// `currentPassword` may be left out by an account without a password (federated only): it confirms with a
// fresh sign-in at its provider instead (docs/accounts.md).
const emailChangeSchema = z.strictObject({ newEmail: z.string(), currentPassword: z.string().optional() });
const deleteAccountSchema = z.strictObject({ currentPassword: z.string().optional() });

const iso = (ms: number) => new Date(ms).toISOString();

/** The signed-in user and session, or 401 `unauthenticated`. */
function signedIn(ctx: RequestContext): { user: AppUser; session: Session } {
  const { user, session } = ctx.session;
  if (user === null || session === null) throw new UnauthenticatedError();
  return { user, session };
}

function idParam(ctx: RequestContext): string {
  const id = ctx.params.id;
  if (id === undefined) throw notFound();
  return id;
}

const publicUser = (user: AppUser) => ({ id: user.id, email: user.email });

/**
 * The JSON API under `/api`; its contract is in docs/app.md. Errors are JSON, other methods 405. Every
 * route takes the cookie session or an access token (`Authorization: Bearer`) and says which scopes a token
 * needs per method: reading the profile none, notes `notes:read` and `notes:write`; the account routes
 * (signing in and out, passwords, sessions) need the browser session itself.
 */
export function apiRoutes(router: AppRouter, services: AppServices): void {
  const { accounts, notes, sessions } = services;
  recoveryRoutes(router, services);
  mfaRoutes(router, services);

  router.route(
    '/api/auth/register',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        // Login CSRF, before the body is read: a cross-site form post is `csrf_rejected` whatever its
        // content type, not `unsupported_media_type`.
        ctx.session.assertLoginOrigin();
        const input = await readJson(ctx, credentialsSchema);
        const user = await accounts.register(ctx.session, input);
        await sendFirstVerification(services, ctx.session);
        return json({ user: publicUser(user) }, 201);
      },
    },
  );

  router.route(
    '/api/auth/login',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        ctx.session.assertLoginOrigin();
        const input = await readJson(ctx, credentialsSchema);
        // With two-factor on: 200 {mfaRequired, methods} and the pending cookie (docs/two-factor.md).
        const result = await signInWithPassword(services, ctx, input);
        if (result.mfaRequired) return json({ mfaRequired: true, methods: result.methods }, 200);
        return json({ user: publicUser(result.user) }, 200);
      },
    },
  );

  router.route(
    '/api/auth/logout',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        refuseNonJsonBody(ctx);
        signedIn(ctx);
        await ctx.session.signOut();
        return noContent();
      },
    },
  );

  router.route(
    '/api/auth/password',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx);
        const input = await readJson(ctx, passwordChangeSchema);
        const { user } = await accounts.changePassword(ctx.session, input);
        return json({ user: publicUser(user) }, 200);
      },
    },
  );

  router.route(
    '/api/me',
    { errors: 'json', auth: { cookieOrBearer: { scopes: { GET: [] } } } },
    {
      GET: async (ctx) => {
        const { user, session } = signedIn(ctx);
        // Read from the user store, not the session's copy: the address and its verification change by mail.
        const [account, identities] = await Promise.all([
          services.recovery.findUser(user.id),
          services.federation.identitiesOf(user.id),
        ]);
        if (account === null) throw new UnauthenticatedError();
        return json({
          // The linked OpenID providers: [{ provider, subject }] (docs/federation.md).
          user: { ...account, identities },
          // How the session was made: authTime (ISO 8601) and amr (RFC 8176), docs/sessions.md.
          session: sessionView(session),
        });
      },
      DELETE: async (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx);
        const input = await readJson(ctx, deleteAccountSchema);
        await services.recovery.deleteAccount(ctx.session, input);
        return noContent();
      },
    },
  );

  router.route(
    '/api/sessions',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      GET: async (ctx) => {
        const { user, session } = signedIn(ctx);
        const list = await sessions.listUserSessions(user.id);
        return json({
          sessions: list.map((s) => ({
            id: s.id,
            current: s.id === session.id,
            createdAt: iso(s.createdAt),
            lastSeenAt: iso(s.lastSeenAt),
            userAgent: s.userAgent,
            ip: s.ip,
          })),
        });
      },
      DELETE: async (ctx) => {
        refuseNonJsonBody(ctx);
        signedIn(ctx);
        await ctx.session.signOutEverywhere();
        return noContent();
      },
    },
  );

  router.route(
    '/api/sessions/:id',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      DELETE: async (ctx) => {
        refuseNonJsonBody(ctx);
        const { user, session } = signedIn(ctx);
        const id = idParam(ctx);
        const own = await sessions.listUserSessions(user.id);
        if (!own.some((s) => s.id === id)) throw notFound();
        if (id === session.id) await ctx.session.signOut();
        else
          await sessions.revoke(id, {
            by: 'user',
            userId: user.id,
            ip: ctx.ip,
            userAgent: ctx.header('user-agent') ?? null,
          });
        return noContent();
      },
    },
  );

  router.route(
    '/api/notes',
    { errors: 'json', auth: { cookieOrBearer: { scopes: { GET: ['notes:read'], POST: ['notes:write'] } } } },
    {
      GET: async (ctx) => {
        const { user } = signedIn(ctx);
        return json({ notes: await notes.list(user.id) });
      },
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        const input = await readJson(ctx, newNoteSchema);
        return json({ note: await notes.create(user.id, input) }, 201);
      },
    },
  );

  router.route(
    '/api/notes/:id',
    {
      errors: 'json',
      auth: {
        cookieOrBearer: { scopes: { GET: ['notes:read'], PATCH: ['notes:write'], DELETE: ['notes:write'] } },
      },
    },
    {
      GET: async (ctx) => {
        const { user } = signedIn(ctx);
        const note = await notes.get(user.id, idParam(ctx));
        if (note === null) throw notFound();
        return json({ note });
      },
      PATCH: async (ctx) => {
        const { user } = signedIn(ctx);
        const changes = await readJson(ctx, noteChangesSchema);
        const note = await notes.update(user.id, idParam(ctx), changes);
        if (note === null) throw notFound();
        return json({ note });
      },
      DELETE: async (ctx) => {
        refuseNonJsonBody(ctx);
        const { user } = signedIn(ctx);
        if (!(await notes.delete(user.id, idParam(ctx)))) throw notFound();
        return noContent();
      },
    },
  );
}

/**
 * Account recovery by mail (docs/app.md): verification links, password reset, email change. Every mail is
 * sent in the background, so no answer waits for (or tells anything about) the mail server.
 */
function recoveryRoutes(router: AppRouter, services: AppServices): void {
  const { recovery } = services;
  const options = { errors: 'json', auth: BROWSER_SESSION_ONLY } as const;

  router.route('/api/auth/email/verify/request', options, {
    POST: async (ctx) => {
      refuseNonJsonBody(ctx);
      signedIn(ctx);
      await recovery.requestEmailVerification(ctx.session);
      return json({}, 202);
    },
  });

  router.route('/api/auth/email/verify', options, {
    POST: async (ctx) => {
      const input = await readJson(ctx, tokenSchema);
      const user = await recovery.verifyEmail(ctx.session, input);
      return json({ user }, 200);
    },
  });

  router.route('/api/auth/password/forgot', options, {
    POST: async (ctx) => {
      ctx.session.assertLoginOrigin();
      const input = await readJson(ctx, forgotSchema);
      await recovery.requestPasswordReset(ctx.session, input);
      return json({}, 202);
    },
  });

  router.route('/api/auth/password/reset', options, {
    POST: async (ctx) => {
      ctx.session.assertLoginOrigin();
      const input = await readJson(ctx, resetSchema);
      const user = await recovery.resetPassword(ctx.session, input);
      return json({ user }, 200);
    },
  });

  router.route('/api/auth/email/change', options, {
    POST: async (ctx) => {
      signedIn(ctx);
      assertRecentAuth(ctx);
      const input = await readJson(ctx, emailChangeSchema);
      await recovery.requestEmailChange(ctx.session, input);
      return json({}, 202);
    },
  });
}
