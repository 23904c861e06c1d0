import { isLoopbackOrigin } from 'cloakroom/session';
import { html as htmlReply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { OutboxMail } from '../mail/outbox.js';
import type { AppServices } from '../services.js';
import { formatDateTime, isoDateTime } from './format.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { currentUser } from './page-context.js';

/** A mail's text part, with the site's own links made clickable (nothing else is). */
function mailText(mail: OutboxMail, origin: string): Html[] {
  return mail.text
    .split('\n')
    .map((line) =>
      line.startsWith(`${origin}/`) && !/\s/.test(line)
        ? html`<a href="${line}">${line}</a> `
        : html`${line} `,
    );
}

function mailItem(mail: OutboxMail, origin: string): Html {
  const sent = Date.parse(mail.sentAt);
  return html`<li class="card">
    <h2>${mail.subject}</h2>
    <p class="meta">To ${mail.to} · <time datetime="${isoDateTime(sent)}">${formatDateTime(sent)}</time></p>
    <pre class="mail-text">${mailText(mail, origin)}</pre>
  </li>`;
}

/**
 * The development outbox (`/dev/outbox`): the mails the site would have sent, newest first. Registered only
 * when mail goes to the outbox (no `CLOAKROOM_SMTP_URL`) on a loopback origin; elsewhere it is a plain 404.
 * It shows every user's links, which is why it exists on a developer's machine only.
 */
export function outboxPages(router: AppRouter, services: AppServices): void {
  const { outbox, config } = services;
  if (outbox === null || !isLoopbackOrigin(config.origin)) return;
  router.route(
    '/dev/outbox',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => {
        const mails = outbox.list();
        const content = html`<h1>Outbox</h1>
          <p class="page-intro">
            Development only: without CLOAKROOM_SMTP_URL, the site's mails land here (and in the data folder's
            outbox/).
          </p>
          ${
            mails.length === 0
              ? html`<p class="empty">No mail yet.</p>`
              : html`<ul class="mail-list">
                  ${mails.map((mail) => mailItem(mail, config.origin))}
                </ul>`
          }`;
        return htmlReply(renderPage({ title: 'Outbox', user: currentUser(ctx), content }));
      },
    },
  );
}
