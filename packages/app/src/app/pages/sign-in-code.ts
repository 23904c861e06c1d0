import { InvalidCodeError } from 'cloakroom';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { completeSignIn, hasPendingSignIn } from '../mfa/sign-in.js';
import type { AppServices } from '../services.js';
import { accountProblemOf, formAlert, formField, readForm, type FormProblem } from './forms.js';
import { renderPage } from './layout.js';
import { html } from './markup.js';
import { currentUser, seeOther } from './page-context.js';

/** The path of the second sign-in step. */
export const SIGN_IN_CODE_PATH = '/sign-in/code';

function renderCodePage(problem?: FormProblem): Reply {
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
          invalid: problem !== undefined,
        })}
        <div class="actions"><button type="submit">Continue</button></div>
      </form>
    </div>
    <p class="switch"><a href="/sign-in">Start over</a></p>`;
  return htmlReply(
    renderPage({ title: 'Enter your code', user: null, current: 'sign-in', width: 'narrow', content }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/** A six-digit entry is a TOTP code; anything else is tried as a recovery code. */
function secondFactorOf(entry: string): { code: string } | { recoveryCode: string } {
  const compact = entry.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(compact) ? { code: compact } : { recoveryCode: entry };
}

/** The second step of a password sign-in with two-factor on (docs/two-factor.md). */
export function signInCodePages(router: AppRouter, services: AppServices): void {
  router.route(
    SIGN_IN_CODE_PATH,
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        if (currentUser(ctx) !== null) return seeOther('/notes');
        if (!(await hasPendingSignIn(services, ctx))) return seeOther('/sign-in');
        return renderCodePage();
      },
      POST: async (ctx) => {
        const field = await readForm(ctx);
        try {
          await completeSignIn(services, ctx, secondFactorOf(field('code')));
        } catch (error) {
          if (error instanceof InvalidCodeError) {
            return renderCodePage({
              status: 401,
              message: 'That code is not right, or has been used, or the sign-in took too long. Try again.',
              field: 'code',
              headers: {},
            });
          }
          const problem = accountProblemOf(error);
          if (problem === null) throw error;
          return renderCodePage(problem);
        }
        return seeOther('/notes');
      },
    },
  );
}
