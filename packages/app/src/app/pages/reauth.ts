import {
  InvalidCodeError,
  InvalidCredentialsError,
  InvalidPasskeyError,
  InvalidRequestError,
  TooManyAttemptsError,
  UnauthenticatedError,
} from 'cloakroom';
import { safeReturnTo } from 'cloakroom/federation';
import { reauthenticate } from '../api/reauth-routes.js';
import { reauthMethods } from '../api/reauth-methods.js';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { formatWait } from './format.js';
import {
  accountProblemOf,
  formAlert,
  formField,
  readForm,
  type FormFields,
  type FormProblem,
} from './forms.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { seeOther, signedIn } from './page-context.js';
import { passkeyForm, postedAssertion } from './passkey-form.js';
import { secondFactorOf } from './sign-in-code.js';

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

/** The code form: a TOTP code, or a recovery code (read as on the second sign-in step). */
function codeForm(returnTo: string, problem: FormProblem | undefined): Html {
  return html`<section class="card" aria-labelledby="reauth-code-heading">
    <h2 id="reauth-code-heading">Or use a code</h2>
    ${problem?.field === 'code' ? formAlert(problem.message) : ''}
    <form method="post" action="/reauth">
      ${returnToField(returnTo)}
      ${formField({
        name: 'code',
        label: 'Code',
        autocomplete: 'one-time-code',
        hint: 'Six digits from your authenticator app, or one of your recovery codes.',
        required: true,
        maxLength: 64,
        autofocus: problem?.field === 'code',
        invalid: problem?.field === 'code',
      })}
      <div class="actions"><button type="submit">Confirm with the code</button></div>
    </form>
  </section>`;
}

async function renderReauthPage(
  ctx: RequestContext,
  services: AppServices,
  returnTo: string,
  problem?: FormProblem,
): Promise<Reply> {
  const { user } = signedIn(ctx);
  const [twoFactor, passkeys] = await Promise.all([
    services.twoFactor.isEnabled(user.id),
    services.passkeys.list(user.id),
  ]);
  const others: Html[] = [];
  for (const method of reauthMethods(services).list()) {
    const section = (await method.pageSection?.(ctx, returnTo)) ?? null;
    if (section !== null) others.push(section);
  }
  // A code's refusal shows in the code form, when there is one.
  const codeProblem = twoFactor && problem?.field === 'code' ? problem : undefined;
  const ways = [
    'your password',
    ...(twoFactor ? ['a code'] : []),
    ...(passkeys.length > 0 ? ['a passkey'] : []),
  ];
  const content = html`<h1>Confirm it is you</h1>
    <p class="page-intro">
      This change needs a recent sign-in. Confirm with ${ways.join(', ').replace(/, ([^,]*)$/, ' or $1')} to
      go on; you return to where you were.
    </p>
    <div class="card">
      ${codeProblem === undefined ? formAlert(problem?.message) : ''}
      <form method="post" action="/reauth">
        ${returnToField(returnTo)}
        <input type="hidden" name="username" autocomplete="username" value="${user.email}" />
        ${formField({
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
          autofocus: codeProblem === undefined,
          invalid: problem?.field === 'password',
        })}
        <div class="actions"><button type="submit">Confirm</button></div>
      </form>
    </div>
    ${twoFactor ? codeForm(returnTo, codeProblem) : ''}
    ${
      passkeys.length > 0
        ? passkeyForm({
            action: '/reauth',
            optionsPath: '/api/auth/passkeys/reauth/options',
            label: 'Confirm with a passkey',
            hidden: returnToField(returnTo),
          })
        : ''
    }
    ${others}
    <p class="switch">
      No password on this account? <a href="/sign-in">Sign in again</a> with your provider.
      <a href="${returnTo}">Cancel</a>
    </p>`;
  return htmlReply(
    renderPage({
      title: 'Confirm it is you',
      user,
      width: 'narrow',
      content,
      passkeyScript: passkeys.length > 0,
    }),
    problem?.status ?? 200,
    { ...problem?.headers, 'cache-control': 'no-store' },
  );
}

/**
 * The posted form as the methods read it: each registered method's field that was sent, as text, except
 * that a `code` other than six digits is a recovery code (as on the second sign-in step) and a passkey
 * form's assertion is parsed from its JSON text (`InvalidPasskeyError` when it is not a JSON object).
 */
function bodyOf(services: AppServices, field: FormFields): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const method of reauthMethods(services).list()) {
    const value = field(method.field);
    if (value !== '') body[method.field] = value;
  }
  if (typeof body.code === 'string' && body.recoveryCode === undefined) {
    const factor = secondFactorOf(body.code);
    delete body.code;
    Object.assign(body, factor);
  }
  if (typeof body.passkey === 'string') body.passkey = postedAssertion(body.passkey);
  return body;
}

function problemOf(error: unknown): FormProblem | null {
  if (error instanceof InvalidCredentialsError) {
    return { status: 401, message: 'That is not the right password.', field: 'password', headers: {} };
  }
  if (error instanceof InvalidCodeError) {
    return {
      status: 401,
      message: 'That code is not right, or has been used. Try the next one.',
      field: 'code',
      headers: {},
    };
  }
  if (error instanceof InvalidPasskeyError) {
    return { status: 400, message: 'That passkey did not work. Try it again.', field: null, headers: {} };
  }
  if (error instanceof InvalidRequestError && error.field === null) {
    // No proof, or several at once: the forms each send one.
    return { status: 400, message: 'Confirm with one of the forms below.', field: null, headers: {} };
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
 * The re-authentication prompt: `GET /reauth?returnTo=/password` shows a password form, a code form when
 * two-factor is on, a passkey button when the user has a passkey (and the other registered methods'
 * sections); a right answer rotates the session with a new `authTime` and returns the
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
        try {
          await reauthenticate(ctx, services, bodyOf(services, field));
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
