import type { AppRouter } from '../http/router.js';
import { ApiError, notFound } from '../http/errors.js';
import { content } from '../http/reply.js';
import type { AppServices } from '../services.js';
import { metricsAccess } from './access.js';

/**
 * `GET /metrics`, the Prometheus text exposition, when `CLOAKROOM_METRICS=on` (not registered otherwise: 404
 * like any unknown path). With `CLOAKROOM_METRICS_TOKEN`, it asks for `Authorization: Bearer <token>` (401
 * without it or with another); without a token it answers loopback peers only (404 to anyone else, as if
 * off). It reads no session and sets no cookie.
 */
export function metricsRoutes(router: AppRouter, services: AppServices): void {
  const site = services.metrics;
  if (site === null) return;
  const token = services.config.metrics.token;
  router.route(
    '/metrics',
    { errors: 'json', auth: 'none' },
    {
      GET: async (ctx) => {
        const access = metricsAccess({
          token,
          authorization: ctx.header('authorization') ?? undefined,
          peer: ctx.req.socket.remoteAddress,
        });
        if (access === 'forbidden') throw notFound();
        if (access === 'unauthorized') {
          throw new ApiError(401, 'unauthenticated', 'A bearer token is required.', {
            'www-authenticate': 'Bearer realm="metrics"',
          });
        }
        const { body, contentType } = await site.render();
        return content(body, contentType);
      },
    },
  );
}
