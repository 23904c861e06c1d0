import { InvalidCodeError, InvalidPasskeyError } from 'cloakroom';
import { takeAssertionHandle } from '../api/passkey-routes.js';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { completeSignIn, completeSignInWithPasskey, pendingSignInMethods } from '../mfa/sign-in.js';
import type { AppServices } from '../services.js';
import { accountProblemOf, formAlert, formField, readForm, type FormProblem } from './forms.js';
import { renderPage } from './layout.js';
import { html } from './markup.js';
import { currentUser, seeOther } from './page-context.js';
import { passkeyForm, postedAssertion } from './passkey-form.js';

/** The path of the second sign-in step. */
export const SIGN_IN_CODE_PATH = '/sign-in/code';

/** Where the passkey button of the second step gets its request options (the pending user's passkeys). */
const PASSKEY_OPTIONS_PATH = '/api/auth/login/mfa/passkey/options';

function renderCodePage(methods: readonly string[], problem?: FormProblem): Reply {
  const passkey = methods.includes('passkey');
  const content = html`<h1>Enter your code</h1>
    <p class="page-intro">
      Open your authenticator app and enter the six-digit code it shows for Cloakroom. Lost your phone? Enter
      one of your recovery codes instead.
    </p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="${SIGN_IN_CODE_PATH}">
        ${formField({
          name: 'code',
          label: 'Code',
          autocomplete: 'one-time-code',
          hint: 'Six digits, or a recovery code like 3f9a1-0c2e7-b4d58-e61a0.',
          required: true,
          maxLength: 64,
          autofocus: true,
          invalid: problem?.field === 'code',
        })}
        <div class="actions"><button type="submit">Continue</button></div>
      </form>
    </div>
    ${
      passkey
        ? passkeyForm({
            action: SIGN_IN_CODE_PATH,
            optionsPath: PASSKEY_OPTIONS_PATH,
            label: 'Use a passkey instead',
          })
        : ''
    }
    <p class="switch"><a href="/sign-in">Start over</a></p>`;
  return htmlReply(
    renderPage({
      title: 'Enter your code',
      user: null,
      current: 'sign-in',
      width: 'narrow',
      content,
      passkeyScript: passkey,
    }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/** A six-digit entry is a TOTP code; anything else is tried as a recovery code. */
export function secondFactorOf(entry: string): { code: string } | { recoveryCode: string } {
  const compact = entry.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(compact) ? { code: compact } : { recoveryCode: entry };
}

/** A refused second step, in words for people; `null` for errors the error page answers. */
function problemOf(error: unknown): FormProblem | null {
  if (error instanceof InvalidCodeError) {
    return {
      status: 401,
      message: 'That code is not right, or has been used, or the sign-in took too long. Try again.',
      field: 'code',
      headers: {},
    };
  }
  if (error instanceof InvalidPasskeyError) {
    return {
      status: 400,
      message: 'That passkey did not work. Try it again, or enter a code.',
      field: null,
      headers: {},
    };
  }
  return accountProblemOf(error);
}

/** Completes the step with the posted passkey assertion, or else the posted code. */
async function completeStep(
  services: AppServices,
  ctx: RequestContext,
  field: (name: string) => string,
): Promise<void> {
  const passkey = field('passkey');
  if (passkey === '') {
    await completeSignIn(services, ctx, secondFactorOf(field('code')));
    return;
  }
  // The challenge's cookie is cleared whatever the outcome: a challenge serves one response.
  const handle = takeAssertionHandle(ctx, services);
  await completeSignInWithPasskey(services, ctx, handle, postedAssertion(passkey));
}

/**
 * The second step of a password sign-in with two-factor on (docs/two-factor.md): a TOTP or recovery code,
 * or (for a user with a passkey, where the passkey script runs) a passkey.
 */
export function signInCodePages(router: AppRouter, services: AppServices): void {
  router.route(
    SIGN_IN_CODE_PATH,
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        if (currentUser(ctx) !== null) return seeOther('/notes');
        const methods = await pendingSignInMethods(services, ctx);
        if (methods === null) return seeOther('/sign-in');
        return renderCodePage(methods);
      },
      POST: async (ctx) => {
        const field = await readForm(ctx);
        try {
          await completeStep(services, ctx, field);
        } catch (error) {
          const problem = problemOf(error);
          if (problem === null) throw error;
          // The pending step may still be there (a wrong code keeps it): offer what it offers.
          const methods = (await pendingSignInMethods(services, ctx)) ?? [];
          return renderCodePage(methods, problem);
        }
        return seeOther('/notes');
      },
    },
  );
}
