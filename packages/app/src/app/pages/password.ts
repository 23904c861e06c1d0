import { InvalidCredentialsError, UnauthenticatedError } from 'cloakroom';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import {
  accountProblemOf,
  formAlert,
  formField,
  newPasswordField,
  readForm,
  type FormProblem,
} from './forms.js';
import { renderPage } from './layout.js';
import { html } from './markup.js';
import { seeOther, signedIn, withNotice } from './page-context.js';
import { assertRecentAuth } from '../http/recent-auth.js';

function renderPasswordPage(ctx: RequestContext, problem?: FormProblem): Reply {
  const { user } = signedIn(ctx);
  const content = html`<h1>Change password</h1>
    <p class="page-intro">Changing your password signs out every other device. This one stays signed in.</p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/password">
        <input type="hidden" name="username" autocomplete="username" value="${user.email}" />
        ${formField({
          name: 'currentPassword',
          label: 'Current password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
          autofocus: problem === undefined || problem.field === 'currentPassword',
          invalid: problem?.field === 'currentPassword',
        })}
        ${newPasswordField(problem, problem?.field === 'newPassword')}
        <div class="actions"><button type="submit">Change password</button></div>
      </form>
    </div>`;
  return htmlReply(
    renderPage({ title: 'Change password', user, current: 'password', width: 'narrow', content }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/** Changing the password: on success every other session ends and this one gets a new id. */
export function passwordPages(router: AppRouter, services: AppServices): void {
  const { accounts } = services;

  router.route(
    '/password',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx, { returnTo: '/password' });
        return renderPasswordPage(ctx);
      },
      POST: async (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx, { returnTo: '/password' });
        const field = await readForm(ctx);
        try {
          await accounts.changePassword(ctx.session, {
            currentPassword: field('currentPassword'),
            newPassword: field('newPassword'),
          });
        } catch (error) {
          if (error instanceof UnauthenticatedError) throw error;
          if (error instanceof InvalidCredentialsError) {
            return renderPasswordPage(ctx, {
              status: 401,
              message: 'Your current password is not right.',
              field: 'currentPassword',
              headers: {},
            });
          }
          const problem = accountProblemOf(error, 'newPassword');
          if (problem === null) throw error;
          return renderPasswordPage(ctx, problem);
        }
        return seeOther(withNotice('/sessions', 'password-changed'));
      },
    },
  );
}
