import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { checkRequestOrigin } from '../../csrf/check.js';
import { CsrfRejectedError, UnauthenticatedError } from '../../errors.js';
import type { Session } from '../../session/session.js';
import { ApiError, jsonError, logServerError, notFound } from '../http/errors.js';
import type { AppEnv, AppUser } from '../http/env.js';
import { limitBody, readJson, refuseNonJsonBody } from '../http/json-body.js';
import { newNoteSchema, noteChangesSchema } from '../notes.js';
import type { AppServices } from '../services.js';

const credentialsSchema = z.strictObject({ email: z.string(), password: z.string() });
const passwordChangeSchema = z.strictObject({ currentPassword: z.string(), newPassword: z.string() });

const iso = (ms: number) => new Date(ms).toISOString();

/** The signed-in user and session, or 401 `unauthenticated`. */
function signedIn(c: Context<AppEnv>): { user: AppUser; session: Session } {
  const { user, session } = c.get('session');
  if (user === null || session === null) throw new UnauthenticatedError();
  return { user, session };
}

/**
 * Login CSRF: sign-in and registration from a foreign context are refused (403) before the body is read, so a
 * cross-site form post is `csrf_rejected` whatever its content type, not `unsupported_media_type`.
 */
function refuseForeignLogin(c: Context<AppEnv>, trustedOrigins: ReadonlySet<string>): void {
  const refused = checkRequestOrigin(c.get('session').info, trustedOrigins, 'login');
  if (refused !== null) throw new CsrfRejectedError(refused);
}

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param('id');
  if (id === undefined) throw notFound();
  return id;
}

const publicUser = (user: AppUser) => ({ id: user.id, email: user.email });

/** The JSON API; its contract is in docs/app.md. Mounted at `/api` behind the session middleware. */
export function apiRoutes(services: AppServices): Hono<AppEnv> {
  const { accounts, notes, sessions } = services;
  const api = new Hono<AppEnv>();

  // Errors raised under /api are answered here (the site's own onError never sees them): log 5xx here too.
  api.onError((error, c) => {
    const response = jsonError(c, error);
    logServerError(c, error, response.status);
    return response;
  });
  api.notFound((c) => jsonError(c, notFound()));
  api.use(limitBody);

  // Each path lists its methods once; any other method on it is 405 with an Allow header.
  const route = (
    path: string,
    handlers: Partial<
      Record<'GET' | 'POST' | 'PATCH' | 'DELETE', (c: Context<AppEnv>) => Promise<Response> | Response>
    >,
  ) => {
    const methods = Object.keys(handlers);
    // HEAD is GET without the body (the server drops it), as HTTP requires of every GET resource.
    const allowed = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    api.all(path, async (c) => {
      const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
      const handler = handlers[method as keyof typeof handlers];
      if (handler === undefined) {
        throw new ApiError(405, 'method_not_allowed', `Use ${allowed}.`, { allow: allowed });
      }
      return handler(c);
    });
  };

  route('/auth/register', {
    POST: async (c) => {
      refuseForeignLogin(c, sessions.config.trustedOrigins);
      const input = await readJson(c, credentialsSchema);
      const user = await accounts.register(c.get('session'), input);
      return c.json({ user: publicUser(user) }, 201);
    },
  });

  route('/auth/login', {
    POST: async (c) => {
      refuseForeignLogin(c, sessions.config.trustedOrigins);
      const input = await readJson(c, credentialsSchema);
      const user = await accounts.signIn(c.get('session'), input);
      return c.json({ user: publicUser(user) }, 200);
    },
  });

  route('/auth/logout', {
    POST: async (c) => {
      refuseNonJsonBody(c);
      signedIn(c);
      await c.get('session').signOut();
      return c.body(null, 204);
    },
  });

  route('/auth/password', {
    POST: async (c) => {
      signedIn(c);
      const input = await readJson(c, passwordChangeSchema);
      const { user } = await accounts.changePassword(c.get('session'), input);
      return c.json({ user: publicUser(user) }, 200);
    },
  });

  route('/me', {
    GET: (c) => {
      const { user, session } = signedIn(c);
      return c.json({
        user: publicUser(user),
        session: { id: session.id, createdAt: iso(session.createdAt), expiresAt: iso(session.expiresAt) },
      });
    },
  });

  route('/sessions', {
    GET: async (c) => {
      const { user, session } = signedIn(c);
      const list = await sessions.listUserSessions(user.id);
      return c.json({
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
    DELETE: async (c) => {
      refuseNonJsonBody(c);
      signedIn(c);
      await c.get('session').signOutEverywhere();
      return c.body(null, 204);
    },
  });

  route('/sessions/:id', {
    DELETE: async (c) => {
      refuseNonJsonBody(c);
      const { user, session } = signedIn(c);
      const id = idParam(c);
      const own = await sessions.listUserSessions(user.id);
      if (!own.some((s) => s.id === id)) throw notFound();
      if (id === session.id) await c.get('session').signOut();
      else await sessions.revoke(id);
      return c.body(null, 204);
    },
  });

  route('/notes', {
    GET: async (c) => {
      const { user } = signedIn(c);
      return c.json({ notes: await notes.list(user.id) });
    },
    POST: async (c) => {
      const { user } = signedIn(c);
      const input = await readJson(c, newNoteSchema);
      return c.json({ note: await notes.create(user.id, input) }, 201);
    },
  });

  route('/notes/:id', {
    GET: async (c) => {
      const { user } = signedIn(c);
      const note = await notes.get(user.id, idParam(c));
      if (note === null) throw notFound();
      return c.json({ note });
    },
    PATCH: async (c) => {
      const { user } = signedIn(c);
      const changes = await readJson(c, noteChangesSchema);
      const note = await notes.update(user.id, idParam(c), changes);
      if (note === null) throw notFound();
      return c.json({ note });
    },
    DELETE: async (c) => {
      refuseNonJsonBody(c);
      const { user } = signedIn(c);
      if (!(await notes.delete(user.id, idParam(c)))) throw notFound();
      return c.body(null, 204);
    },
  });

  return api;
}
