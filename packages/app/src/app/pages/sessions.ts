import type { Session } from 'cloakroom/session';
import { html as htmlReply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { notFound } from '../http/errors.js';
import type { AppServices } from '../services.js';
import { describeUserAgent } from './device.js';
import { formatAddress, formatDateTime, isoDateTime } from './format.js';
import { signInMethodsSection } from '../federation/pages.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { noticeOf, seeOther, signedIn, withNotice } from './page-context.js';

const time = (ms: number) => html`<time datetime="${isoDateTime(ms)}">${formatDateTime(ms)}</time>`;

function sessionItem(session: Session, current: boolean): Html {
  const device = describeUserAgent(session.userAgent);
  return html`<li class="session${current ? ' current' : ''}">
    <h3>${device}${current ? html` <span class="badge">This device</span>` : ''}</h3>
    <dl class="facts">
      <dt>IP address</dt>
      <dd>${formatAddress(session.ip)}</dd>
      <dt>Signed in</dt>
      <dd>${time(session.createdAt)}</dd>
      <dt>Last seen</dt>
      <dd>${current ? 'Now' : time(session.lastSeenAt)}</dd>
    </dl>
    <form method="post" action="/sessions/${session.id}/revoke">
      <button type="submit" class="button-danger button-small">
        ${
          current
            ? 'Sign out this device'
            : html`Sign out<span class="visually-hidden">
                  ${device}, last seen ${formatDateTime(session.lastSeenAt)}</span
                >`
        }
      </button>
    </form>
  </li>`;
}

/** "Your sessions": every device signed in to the account, with a way to end any of them, or all. */
export function sessionPages(router: AppRouter, services: AppServices): void {
  const { sessions } = services;

  router.route(
    '/sessions',
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        const { user, session } = signedIn(ctx);
        const list = await sessions.listUserSessions(user.id);
        // This device first, then the others, most recently used first (the order the manager returns).
        const ordered = [
          ...list.filter((s) => s.id === session.id),
          ...list.filter((s) => s.id !== session.id),
        ];
        const others = ordered.length - 1;
        const methods = await signInMethodsSection(services.federation, user);
        const content = html`<h1>Your sessions</h1>
          <p class="page-intro">
            Every browser and device signed in to your account. Sign out any you do not recognise, then change
            your password.
          </p>
          <ul class="session-list">
            ${ordered.map((s) => sessionItem(s, s.id === session.id))}
          </ul>
          ${methods}
          <section class="card card-danger" aria-labelledby="everywhere-heading">
            <h2 id="everywhere-heading">Sign out everywhere</h2>
            <p>
              ${
                others === 0
                  ? 'You are signed in on this device only. Signing out everywhere ends this session too.'
                  : `Ends all ${ordered.length} sessions: this one and ${others === 1 ? 'the other device' : `${others} other devices`}.`
              }
            </p>
            <form method="post" action="/sessions/revoke-all">
              <button type="submit" class="button-danger">Sign out everywhere</button>
            </form>
          </section>`;
        return htmlReply(
          renderPage({ title: 'Your sessions', user, current: 'sessions', notice: noticeOf(ctx), content }),
        );
      },
    },
  );

  router.route(
    '/sessions/revoke-all',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        signedIn(ctx);
        await ctx.session.signOutEverywhere();
        return seeOther(withNotice('/sign-in', 'signed-out-everywhere'));
      },
    },
  );

  router.route(
    '/sessions/:id/revoke',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        const { user, session } = signedIn(ctx);
        const id = ctx.params.id;
        const own = await sessions.listUserSessions(user.id);
        // Another user's session, or one already gone, is simply not found.
        if (id === undefined || !own.some((s) => s.id === id)) throw notFound();
        if (id === session.id) {
          await ctx.session.signOut();
          return seeOther(withNotice('/sign-in', 'signed-out'));
        }
        await sessions.revoke(id, {
          by: 'user',
          userId: user.id,
          ip: ctx.ip,
          userAgent: ctx.header('user-agent') ?? null,
        });
        return seeOther(withNotice('/sessions', 'session-revoked'));
      },
    },
  );
}
