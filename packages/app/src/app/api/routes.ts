import { z } from 'zod';
import { checkRequestOrigin } from 'cloakroom/csrf';
import { CsrfRejectedError, UnauthenticatedError } from 'cloakroom';
import type { Session } from 'cloakroom/session';
import type { RequestContext } from '../http/context.js';
import type { AppUser } from '../http/env.js';
import { notFound } from '../http/errors.js';
import { readJson, refuseNonJsonBody } from '../http/json-body.js';
import { json, noContent } from '../http/reply.js';
import type { AppRouter, MethodHandlers } from '../http/router.js';
import { newNoteSchema, noteChangesSchema } from '../notes.js';
import type { AppServices } from '../services.js';
import { withApiAccess } from '../tokens/api-access.js';

const credentialsSchema = z.strictObject({ email: z.string(), password: z.string() });
const passwordChangeSchema = z.strictObject({ currentPassword: z.string(), newPassword: z.string() });

const iso = (ms: number) => new Date(ms).toISOString();

/** The signed-in user and session, or 401 `unauthenticated`. */
function signedIn(ctx: RequestContext): { user: AppUser; session: Session } {
  const { user, session } = ctx.session;
  if (user === null || session === null) throw new UnauthenticatedError();
  return { user, session };
}

/**
 * Login CSRF: sign-in and registration from a foreign context are refused (403) before the body is read, so a
 * cross-site form post is `csrf_rejected` whatever its content type, not `unsupported_media_type`.
 */
function refuseForeignLogin(ctx: RequestContext, trustedOrigins: ReadonlySet<string>): void {
  const refused = checkRequestOrigin(ctx.session.info, trustedOrigins, 'login');
  if (refused !== null) throw new CsrfRejectedError(refused);
}

function idParam(ctx: RequestContext): string {
  const id = ctx.params.id;
  if (id === undefined) throw notFound();
  return id;
}

const publicUser = (user: AppUser) => ({ id: user.id, email: user.email });

/** The JSON API under `/api`; its contract is in docs/app.md. Errors are JSON, other methods 405. */
export function apiRoutes(router: AppRouter, services: AppServices): void {
  const { accounts, notes, sessions } = services;
  // Each route takes the cookie session or an access token (`Authorization: Bearer`); see tokens/api-access.ts.
  const route = (path: string, handlers: MethodHandlers) => {
    router.route(
      `/api${path}`,
      { errors: 'json', session: false },
      withApiAccess(services, `/api${path}`, handlers),
    );
  };

  route('/auth/register', {
    POST: async (ctx) => {
      refuseForeignLogin(ctx, sessions.config.trustedOrigins);
      const input = await readJson(ctx, credentialsSchema);
      const user = await accounts.register(ctx.session, input);
      return json({ user: publicUser(user) }, 201);
    },
  });

  route('/auth/login', {
    POST: async (ctx) => {
      refuseForeignLogin(ctx, sessions.config.trustedOrigins);
      const input = await readJson(ctx, credentialsSchema);
      const user = await accounts.signIn(ctx.session, input);
      return json({ user: publicUser(user) }, 200);
    },
  });

  route('/auth/logout', {
    POST: async (ctx) => {
      refuseNonJsonBody(ctx);
      signedIn(ctx);
      await ctx.session.signOut();
      return noContent();
    },
  });

  route('/auth/password', {
    POST: async (ctx) => {
      signedIn(ctx);
      const input = await readJson(ctx, passwordChangeSchema);
      const { user } = await accounts.changePassword(ctx.session, input);
      return json({ user: publicUser(user) }, 200);
    },
  });

  route('/me', {
    GET: async (ctx) => {
      const { user, session } = signedIn(ctx);
      return json({
        // The linked OpenID providers: [{ provider, subject }] (docs/federation.md).
        user: { ...publicUser(user), identities: await services.federation.identitiesOf(user.id) },
        session: { id: session.id, createdAt: iso(session.createdAt), expiresAt: iso(session.expiresAt) },
      });
    },
  });

  route('/sessions', {
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
  });

  route('/sessions/:id', {
    DELETE: async (ctx) => {
      refuseNonJsonBody(ctx);
      const { user, session } = signedIn(ctx);
      const id = idParam(ctx);
      const own = await sessions.listUserSessions(user.id);
      if (!own.some((s) => s.id === id)) throw notFound();
      if (id === session.id) await ctx.session.signOut();
      else await sessions.revoke(id);
      return noContent();
    },
  });

  route('/notes', {
    GET: async (ctx) => {
      const { user } = signedIn(ctx);
      return json({ notes: await notes.list(user.id) });
    },
    POST: async (ctx) => {
      const { user } = signedIn(ctx);
      const input = await readJson(ctx, newNoteSchema);
      return json({ note: await notes.create(user.id, input) }, 201);
    },
  });

  route('/notes/:id', {
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
  });
}
