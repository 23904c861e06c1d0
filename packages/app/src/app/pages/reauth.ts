import { InvalidCredentialsError, TooManyAttemptsError, UnauthenticatedError } from 'cloakroom';
import { safeReturnTo } from 'cloakroom/federation';
import { reauthenticate } from '../api/reauth-routes.js';
import { reauthMethods } from '../api/reauth-methods.js';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { formatWait } from './format.js';
import { accountProblemOf, formAlert, formField, readForm, type FormProblem } from './forms.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { seeOther, signedIn } from './page-context.js';

/** The path the prompt returns to: a local path (`safeReturnTo`), else the home page. */
export function returnPathOf(value: unknown): string {
  return safeReturnTo(value) ?? '/';
}

/** The prompt's URL for `returnTo` (a local path; anything else returns to the home page). */
export function reauthPromptUrl(returnTo: string | null): string {
  return `/reauth?returnTo=${encodeURIComponent(returnPathOf(returnTo))}`;
}

/** The hidden field every re-authentication form posts, so the user comes back to where they were. */
export function returnToField(returnTo: string): Html {
  return html`<input type="hidden" name="returnTo" value="${returnTo}" />`;
}

async function renderReauthPage(
  ctx: RequestContext,
  services: AppServices,
  returnTo: string,
  problem?: FormProblem,
): Promise<Reply> {
  const { user } = signedIn(ctx);
  const others: Html[] = [];
  for (const method of reauthMethods(services).list()) {
    const section = (await method.pageSection?.(ctx, returnTo)) ?? null;
    if (section !== null) others.push(section);
  }
  const content = html`<h1>Confirm it is you</h1>
    <p class="page-intro">
      This change needs a recent sign-in. Enter your password to go on; you return to where you were.
    </p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/reauth">
        ${returnToField(returnTo)}
        <input type="hidden" name="username" autocomplete="username" value="${user.email}" />
        ${formField({
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
          autofocus: true,
          invalid: problem?.field === 'password',
        })}
        <div class="actions"><button type="submit">Confirm</button></div>
      </form>
    </div>
    ${others}
    <p class="switch">
      No password on this account? <a href="/sign-in">Sign in again</a> with your provider.
      <a href="${returnTo}">Cancel</a>
    </p>`;
  return htmlReply(
    renderPage({ title: 'Confirm it is you', user, width: 'narrow', content }),
    problem?.status ?? 200,
    { ...problem?.headers, 'cache-control': 'no-store' },
  );
}

function problemOf(error: unknown): FormProblem | null {
  if (error instanceof InvalidCredentialsError) {
    return { status: 401, message: 'That is not the right password.', field: 'password', headers: {} };
  }
  if (error instanceof TooManyAttemptsError) {
    const wait = error.retryAfterSeconds;
    return {
      status: 429,
      message: `Too many failed attempts. Try again in ${formatWait(wait)}.`,
      field: null,
      headers: { 'retry-after': String(wait) },
    };
  }
  return accountProblemOf(error, 'password');
}

/**
 * The re-authentication prompt: `GET /reauth?returnTo=/password` shows a password form (and the other
 * registered methods' sections); a right answer rotates the session with a new `authTime` and returns the
 * user to `returnTo` (a local path only; anything else goes to the home page).
 */
export function reauthPages(router: AppRouter, services: AppServices): void {
  router.route(
    '/reauth',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => renderReauthPage(ctx, services, returnPathOf(ctx.query('returnTo'))),
      POST: async (ctx) => {
        signedIn(ctx);
        const field = await readForm(ctx);
        const returnTo = returnPathOf(field('returnTo'));
        // The form's fields as the methods read them: the one each method owns, when it was sent.
        const body: Record<string, unknown> = {};
        for (const method of reauthMethods(services).list()) {
          const value = field(method.field);
          if (value !== '') body[method.field] = value;
        }
        try {
          await reauthenticate(ctx, services, body);
        } catch (error) {
          if (error instanceof UnauthenticatedError) throw error;
          const problem = problemOf(error);
          if (problem === null) throw error;
          return renderReauthPage(ctx, services, returnTo, problem);
        }
        return seeOther(returnTo);
      },
    },
  );
}
