import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import type { AppServices } from '../services.js';
import { authPages } from './auth.js';
import { notePages } from './notes.js';
import { passwordPages } from './password.js';
import { sessionPages } from './sessions.js';

export { assetRoutes } from './assets.js';
export { errorPage } from './error-page.js';

/**
 * The server-rendered pages: plain HTML forms that work without JavaScript, protected from cross-site
 * requests by the session core's origin checks. Mounted at `/` behind the session middleware; errors reach
 * the app's error handler, which answers pages with {@link errorPage}.
 */
export function pageRoutes(services: AppServices): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.route('/', authPages(services));
  pages.route('/', notePages(services));
  pages.route('/', sessionPages(services));
  pages.route('/', passwordPages(services));
  return pages;
}
