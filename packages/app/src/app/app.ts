import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiRoutes } from './api/routes.js';
import { AppRouter } from './http/router.js';
import { json } from './http/reply.js';
import { assetRoutes, errorPage, pageRoutes } from './pages/routes.js';
import type { AppServices } from './services.js';
import { tokenRoutes } from './tokens/routes.js';
import { federationRoutes } from './federation/routes.js';

/**
 * The reference website: server-rendered pages and the JSON API under `/api`, both on Cloakroom sessions,
 * as a `node:http` request listener. Every route but the health check and the static assets loads the
 * session first (with the cross-site checks); how to add a route is described in `http/router.ts`.
 */
export function createApp(services: AppServices): (req: IncomingMessage, res: ServerResponse) => void {
  const router = new AppRouter({ sessions: services.sessions, log: services.log, errorPage });

  router.route(
    '/healthz',
    { errors: 'json', session: false },
    {
      GET: async () =>
        (await services.healthy())
          ? json({ ok: true })
          : json(
              { ok: false, error: { code: 'store_unavailable', message: 'The store does not answer.' } },
              503,
            ),
    },
  );
  // The stylesheet and icon are public and cached for a year: served without reading the session, so such
  // a response never carries a Set-Cookie.
  assetRoutes(router);
  apiRoutes(router, services);
  tokenRoutes(router, services);
  federationRoutes(router, services);
  pageRoutes(router, services);
  return router.listener();
}
