import type { RequestContext } from '../http/context.js';
import { describeError } from '../http/errors.js';
import { html as htmlReply, redirect, type Reply } from '../http/reply.js';
import { renderPage } from './layout.js';
import { html } from './markup.js';
import { currentUser } from './page-context.js';
import { RecentAuthRequiredError } from '../http/recent-auth.js';
import { reauthPromptUrl } from './reauth.js';

const HEADINGS: Record<number, string> = {
  400: 'That request did not work',
  403: 'Request refused',
  404: 'Page not found',
  405: 'Not allowed here',
  413: 'That was too much',
  429: 'Slow down',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

// Kinder words than the API's messages, for the errors a person is most likely to meet.
const MESSAGES: Record<string, string> = {
  csrf_rejected:
    'This form was sent from somewhere this site does not trust, so it was refused to keep your account safe. ' +
    'Go back, reload the page and try again.',
  store_unavailable:
    'We cannot reach our data store right now. Nothing was changed. Please try again in a moment.',
  not_found: 'There is nothing at this address, or it belongs to someone else.',
  internal_error: 'An unexpected error happened on our side. It has been logged. Please try again.',
  payload_too_large: 'The form was larger than this site accepts (64 KiB). Shorten it and try again.',
};

/**
 * The HTML answer for any error on a page: a friendly message with the status the error calls for, never a
 * stack trace. A page that needs a signed-in user answers a signed-out request with a 303 to sign-in.
 */
export function errorPage(ctx: RequestContext, error: unknown): Reply {
  const { status, code, message, headers } = describeError(error);
  if (code === 'unauthenticated') return redirect('/sign-in', 303);
  // A sensitive page or form needs a recent sign-in: the prompt, which returns the user to where they were.
  if (code === 'reauthentication_required') {
    const back = error instanceof RecentAuthRequiredError ? error.returnTo : pageToReturnTo(ctx);
    return redirect(reauthPromptUrl(back), 303);
  }
  const heading = HEADINGS[status] ?? (status >= 500 ? 'Something went wrong' : 'That request did not work');
  const content = html`<div class="error-page">
    <p class="status">Error ${status}</p>
    <h1>${heading}</h1>
    <p>${MESSAGES[code] ?? message}</p>
    <p><a class="button" href="/">Go to the home page</a></p>
    <p class="reference">Reference: <code>${ctx.requestId}</code></p>
  </div>`;
  return htmlReply(renderPage({ title: heading, user: currentUser(ctx), content }), status, {
    ...headers,
    'cache-control': 'no-store',
  });
}

/**
 * Where the prompt returns to when a route did not say: the page itself for a GET, else the page the form was
 * on (the `Referer`'s path; `reauthPromptUrl` keeps it only if it is a local path).
 */
function pageToReturnTo(ctx: RequestContext): string | null {
  if (ctx.method === 'GET') return ctx.req.url ?? null;
  const referer = ctx.header('referer');
  if (referer === undefined) return null;
  try {
    const url = new URL(referer);
    return url.pathname + url.search;
  } catch {
    return null;
  }
}
