import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiRoutes } from './api/routes.js';
import { reauthRoutes } from './api/reauth-routes.js';
import { passkeyRoutes } from './api/passkey-routes.js';
import { AppRouter } from './http/router.js';
import { json } from './http/reply.js';
import { assetRoutes, errorPage, pageRoutes } from './pages/routes.js';
import type { AppServices } from './services.js';
import { apiBearerAuthenticator } from './tokens/api-access.js';
import { tokenRoutes } from './tokens/routes.js';
import { federationRoutes } from './federation/routes.js';
import { metricsRoutes } from './metrics/routes.js';
import { activityRoutes } from './activity/routes.js';

/**
 * The reference website: server-rendered pages and the JSON API under `/api`, both on Cloakroom sessions,
 * as a `node:http` request listener. Each route declares how it authenticates (the cookie session with the
 * cross-site checks, an API access token, or nothing for the health check, the static assets and the OAuth
 * endpoints) and the router does it before the handler; how to add a route is described in `http/router.ts`.
 */
export function createApp(services: AppServices): (req: IncomingMessage, res: ServerResponse) => void {
  const router = new AppRouter({
    sessions: services.sessions,
    log: services.log,
    errorPage,
    bearer: apiBearerAuthenticator(services.tokens, services.metrics?.metrics),
    origin: services.config.origin,
    trustedProxies: services.config.trustedProxies,
    onEvent: services.events.onEvent,
    ...(services.metrics === null ? {} : { observe: services.metrics.observeRequest.bind(services.metrics) }),
  });

  router.route(
    '/healthz',
    { errors: 'json', auth: 'none' },
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
  metricsRoutes(router, services);
  apiRoutes(router, services);
  reauthRoutes(router, services);
  passkeyRoutes(router, services);
  tokenRoutes(router, services);
  federationRoutes(router, services);
  activityRoutes(router, services);
  pageRoutes(router, services);
  return router.listener();
}
