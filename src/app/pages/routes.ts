import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/env.js';
import { describeError } from '../http/errors.js';
import type { AppServices } from '../services.js';

// Placeholder until the pages land in the next commits: the HTML pages are part of issue 3's work.
export function pageRoutes(_services: AppServices): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.get('/', (c) => c.text('Cloakroom'));
  return pages;
}

export function errorPage(c: Context<AppEnv>, error: unknown): Response {
  const { status, message, headers } = describeError(error);
  return c.text(message, status, headers);
}
