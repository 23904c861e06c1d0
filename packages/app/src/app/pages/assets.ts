import { createHash } from 'node:crypto';
import { content } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { notFound } from '../http/errors.js';
import { STYLESHEET } from './styles.js';
import { PASSKEY_SCRIPT } from './passkey-script.js';

// A coat hanger: the site's icon, drawn in the accent colour.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0b57d0"/><path d="M16 9.5a2.5 2.5 0 1 1 2.5 2.5c-1 0-2.5.6-2.5 2v1.2L6.8 21.5c-.9.6-.5 2 .6 2h17.2c1.1 0 1.5-1.4.6-2L16 15.2" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

interface Asset {
  path: string;
  body: string;
  contentType: string;
}

/** An asset's URL carries a hash of its content, so it can be cached for a year and still never go stale. */
function asset(name: string, extension: string, body: string, contentType: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${extension}`, body, contentType };
}

const STYLESHEET_ASSET = asset('app', 'css', STYLESHEET, 'text/css; charset=utf-8');
const ICON_ASSET = asset('icon', 'svg', ICON, 'image/svg+xml');
const PASSKEY_SCRIPT_ASSET = asset('passkeys', 'js', PASSKEY_SCRIPT, 'text/javascript; charset=utf-8');

/** The stylesheet's URL, for the pages' `<link rel="stylesheet">`. */
export const STYLESHEET_PATH = STYLESHEET_ASSET.path;
/** The icon's URL, for the pages' `<link rel="icon">`. */
export const ICON_PATH = ICON_ASSET.path;
/** The passkey script's URL (the site's only JavaScript), for the pages with passkey buttons. */
export const PASSKEY_SCRIPT_PATH = PASSKEY_SCRIPT_ASSET.path;

/**
 * Serves the stylesheet and the icon at their hashed URLs, without reading the session (so never with a
 * `Set-Cookie`); any other `/assets/…` URL is 404.
 */
export function assetRoutes(router: AppRouter): void {
  const byPath = new Map(
    [STYLESHEET_ASSET, ICON_ASSET, PASSKEY_SCRIPT_ASSET].map((item) => [item.path, item]),
  );
  router.route(
    '/assets/:file',
    { errors: 'page', auth: 'none' },
    {
      GET: (ctx) => {
        const found = byPath.get(ctx.path);
        if (found === undefined) throw notFound();
        return content(found.body, found.contentType, 200, {
          'cache-control': 'public, max-age=31536000, immutable',
        });
      },
    },
  );
}
