import type { AppUser } from '../http/env.js';
import { ICON_PATH, PASSKEY_SCRIPT_PATH, STYLESHEET_PATH } from './assets.js';
import { html, type Html } from './markup.js';

/** The navigation entries; `current` marks one with `aria-current="page"`. */
export type Section =
  'notes' | 'sessions' | 'activity' | 'password' | 'account' | 'security' | 'sign-in' | 'register';

export interface PageOptions {
  /** The page's own title; the document title adds the site's name. */
  title: string;
  /** The signed-in user, or `null` (then the navigation offers sign-in and registration). */
  user: AppUser | null;
  current?: Section | undefined;
  /** A confirmation to show above the content ("Note saved."). */
  notice?: string | null | undefined;
  /** `narrow` for the single-form pages (sign-in, registration, password). */
  width?: 'normal' | 'narrow';
  content: Html;
  /** Loads the passkey script (`pages/passkey-script.ts`): for pages with passkey buttons. */
  passkeyScript?: boolean;
}

const SIGNED_IN_LINKS: readonly (readonly [Section, string, string])[] = [
  ['notes', '/notes', 'Notes'],
  ['sessions', '/sessions', 'Your sessions'],
  ['activity', '/activity', 'Recent activity'],
  ['password', '/password', 'Password'],
  ['account', '/account', 'Account'],
  ['security', '/account/security', 'Security'],
];
const SIGNED_OUT_LINKS: readonly (readonly [Section, string, string])[] = [
  ['sign-in', '/sign-in', 'Sign in'],
  ['register', '/register', 'Create account'],
];

/**
 * The whole document around a page's content. No inline script or style anywhere (the CSP forbids
 * both). The site-wide `Referrer-Policy: same-origin` header keeps same-origin form posts' `Origin` header
 * real for the CSRF checks (under `no-referrer` browsers send `Origin: null`).
 */
export function renderPage(options: PageOptions): Html {
  const { user } = options;
  const links = (user === null ? SIGNED_OUT_LINKS : SIGNED_IN_LINKS).map(
    ([section, href, label]) =>
      html`<li>
        <a href="${href}" ${section === options.current ? html` aria-current="page"` : ''}>${label}</a>
      </li>`,
  );
  const account =
    user === null
      ? ''
      : html`<div class="account">
          <span class="who"><span class="visually-hidden">Signed in as </span>${user.email}</span>
          <form method="post" action="/sign-out">
            <button type="submit" class="link-button">Sign out</button>
          </form>
        </div>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · Cloakroom</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
        <link rel="icon" href="${ICON_PATH}" type="image/svg+xml" />
        ${options.passkeyScript === true ? html`<script src="${PASSKEY_SCRIPT_PATH}" defer></script>` : ''}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <div class="bar">
            <a class="brand" href="/"><img src="${ICON_PATH}" alt="" width="26" height="26" />Cloakroom</a>
            <nav class="site-nav" aria-label="Main">
              <ul>
                ${links}
              </ul>
              ${account}
            </nav>
          </div>
        </header>
        <main id="main" ${options.width === 'narrow' ? html` class="narrow"` : ''}>
          ${options.notice ? html`<div class="notice" role="status"><p>${options.notice}</p></div>` : ''}
          ${options.content}
        </main>
        <footer class="site-footer">
          <p>Cloakroom reference site: server-side sessions, no JavaScript needed.</p>
        </footer>
      </body>
    </html> `;
}
