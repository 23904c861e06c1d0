import { Hono } from 'hono';
import { apiRoutes } from './api/routes.js';
import type { AppEnv } from './http/env.js';
import { jsonError, logServerError, notFound } from './http/errors.js';
import { requestContext, securityHeaders, sessions } from './http/middleware.js';
import { assetRoutes, errorPage, pageRoutes } from './pages/routes.js';
import type { AppServices } from './services.js';

/**
 * The reference website: server-rendered pages and the JSON API under `/api`, both on Cloakroom sessions.
 * Middleware order: request id and logging, security headers, health check and static assets (no session),
 * sessions (with the cross-site checks), then the routes.
 */
export function createApp(services: AppServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestContext(services.log));
  app.use(securityHeaders());

  app.get('/healthz', async (c) =>
    (await services.healthy())
      ? c.json({ ok: true })
      : c.json(
          { ok: false, error: { code: 'store_unavailable', message: 'The store does not answer.' } },
          503,
        ),
  );

  // The stylesheet and icon are public and cached for a year: served before the session is read, so such a
  // response never carries a Set-Cookie.
  app.route('/', assetRoutes());
  app.use(sessions(services.sessions));
  app.route('/api', apiRoutes(services));
  app.route('/', pageRoutes(services));

  // Only the top-level app's not-found handler runs (a mounted app's is ignored): unknown API paths get the
  // JSON error too.
  app.notFound((c) => (isApiPath(c.req.path) ? jsonError(c, notFound()) : errorPage(c, notFound())));

  app.onError((error, c) => {
    const response = isApiPath(c.req.path) ? jsonError(c, error) : errorPage(c, error);
    logServerError(c, error, response.status);
    return response;
  });
  return app;
}

const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');
