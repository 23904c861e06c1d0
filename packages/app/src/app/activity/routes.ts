import { InvalidRequestError, UnauthenticatedError } from 'cloakroom';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, json } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { describeUserAgent } from '../pages/device.js';
import { formatAddress, formatDateTime, isoDateTime } from '../pages/format.js';
import { renderPage } from '../pages/layout.js';
import { html } from '../pages/markup.js';
import { signedIn } from '../pages/page-context.js';
import type { AppServices } from '../services.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { describeActivity } from './describe.js';
import { ACTIVITY_RETENTION_MS, type ActivityRecord } from './types.js';

/** Events per page unless `?limit=` says otherwise, and the most one page may hold. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

interface Page {
  records: ActivityRecord[];
  next: string | null;
}

async function readPage(
  ctx: RequestContext,
  services: AppServices,
  userId: string,
  limit: number,
): Promise<Page> {
  const before = ctx.query('before');
  const position = before === undefined ? null : decodeCursor(before);
  const { activity } = services;
  // This process's writes under way (the sign-in that led here) finish first: read what you did.
  await activity.log.idle();
  const now = activity.clock.now();
  const rows = await activity.repository.list(userId, {
    since: now - ACTIVITY_RETENTION_MS,
    before: position,
    limit: limit + 1,
  });
  const records = rows.slice(0, limit);
  const last = records.at(-1);
  return {
    records,
    next: rows.length > limit && last !== undefined ? encodeCursor({ at: last.at, id: last.id }) : null,
  };
}

function pageSize(ctx: RequestContext): number {
  const text = ctx.query('limit');
  if (text === undefined) return DEFAULT_PAGE_SIZE;
  const value = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= MAX_PAGE_SIZE)) {
    throw new InvalidRequestError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'limit');
  }
  return value;
}

/**
 * The signed-in user's recent security events (the last 90 days): `GET /api/activity` (JSON, newest first,
 * `?before=<cursor>` for the next page, `?limit=` up to 100) and the "Recent activity" page.
 */
export function activityRoutes(router: AppRouter, services: AppServices): void {
  router.route(
    '/api/activity',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      GET: async (ctx) => {
        const { user, session } = ctx.session;
        if (user === null || session === null) throw new UnauthenticatedError();
        const page = await readPage(ctx, services, user.id, pageSize(ctx));
        return json(
          {
            events: page.records.map((record) => ({
              type: record.type,
              at: new Date(record.at).toISOString(),
              ip: record.ip,
              userAgent: record.userAgent,
              ...(record.sessionId === null ? {} : { sessionId: record.sessionId }),
            })),
            ...(page.next === null ? {} : { next: page.next }),
          },
          200,
          { 'cache-control': 'no-store' },
        );
      },
    },
  );

  router.route(
    '/activity',
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        const { user, session } = signedIn(ctx);
        const page = await readPage(ctx, services, user.id, DEFAULT_PAGE_SIZE);
        const items = page.records.map(
          (record) =>
            html`<li class="session${record.sessionId === session.id ? ' current' : ''}">
              <h3>${describeActivity(record)}</h3>
              <dl class="facts">
                <dt>When</dt>
                <dd><time datetime="${isoDateTime(record.at)}">${formatDateTime(record.at)}</time></dd>
                <dt>IP address</dt>
                <dd>${formatAddress(record.ip)}</dd>
                <dt>Device</dt>
                <dd>${describeUserAgent(record.userAgent)}</dd>
              </dl>
            </li>`,
        );
        const content = html`<h1>Recent activity</h1>
          <p class="page-intro">
            Sign-ins, sign-outs and other security events on your account in the last 90 days, newest first.
            If you see something you do not recognise, <a href="/password">change your password</a> and
            <a href="/sessions">sign out the sessions</a> you do not know.
          </p>
          ${
            items.length === 0
              ? html`<p>Nothing yet.</p>`
              : html`<ul class="session-list">
                  ${items}
                </ul>`
          }
          ${page.next === null ? '' : html`<p><a href="/activity?before=${page.next}">Older activity</a></p>`}`;
        return htmlReply(renderPage({ title: 'Recent activity', user, current: 'activity', content }));
      },
    },
  );
}
