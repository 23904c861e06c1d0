import { InvalidCredentialsError, InvalidOneTimeTokenError, TooManyAttemptsError } from 'cloakroom/accounts';
import { EmailTakenError, UnauthenticatedError } from 'cloakroom';
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
import { formatWait } from './format.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { currentUser, noticeOf, seeOther, signedIn, withNotice } from './page-context.js';
import { assertRecentAuth } from '../http/recent-auth.js';

const problemOf = (status: number, message: string, field: string | null = null): FormProblem => ({
  status,
  message,
  field,
  headers: {},
});

const INVALID_LINK = problemOf(
  400,
  'This link is invalid, already used or expired. Ask for a new one.',
  null,
);

/** A page with one form, for the signed-out recovery pages. */
function singleFormPage(ctx: RequestContext, title: string, content: Html, problem?: FormProblem): Reply {
  return htmlReply(
    renderPage({ title, user: currentUser(ctx), width: 'narrow', notice: noticeOf(ctx), content }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

function renderForgotPage(ctx: RequestContext, state: { email?: string; problem?: FormProblem } = {}): Reply {
  const { problem } = state;
  const content = html`<h1>Forgot your password?</h1>
    <p class="page-intro">
      Enter your account's email. If it has an account, we send it a link to choose a new password.
    </p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/forgot-password">
        ${formField({
          name: 'email',
          label: 'Email',
          type: 'email',
          value: state.email ?? '',
          autocomplete: 'username',
          required: true,
          maxLength: 254,
          autofocus: true,
          invalid: problem?.field === 'email',
        })}
        <div class="actions"><button type="submit">Send the link</button></div>
      </form>
    </div>
    <p class="switch">Remembered it? <a href="/sign-in">Sign in</a></p>`;
  return singleFormPage(ctx, 'Forgot password', content, problem);
}

function renderResetPage(ctx: RequestContext, token: string, problem?: FormProblem): Reply {
  const content = html`<h1>Choose a new password</h1>
    <p class="page-intro">Every device signed in to your account is signed out; this one is signed in.</p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/reset-password">
        <input type="hidden" name="token" value="${token}" />
        ${newPasswordField(problem, true)}
        <div class="actions"><button type="submit">Set the new password</button></div>
      </form>
    </div>
    <p class="switch"><a href="/forgot-password">Ask for a new link</a></p>`;
  return singleFormPage(ctx, 'Reset password', content, problem);
}

function renderVerifyPage(ctx: RequestContext, token: string, problem?: FormProblem): Reply {
  // Following the link only shows this button: mail scanners that open links must not use the token up.
  const content = html`<h1>Confirm your email address</h1>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/verify-email">
        <input type="hidden" name="token" value="${token}" />
        <div class="actions"><button type="submit">Confirm my address</button></div>
      </form>
    </div>`;
  return singleFormPage(ctx, 'Verify email', content, problem);
}

function renderAccountPage(
  ctx: RequestContext,
  state: { newEmail?: string; problem?: FormProblem; form?: 'email' | 'delete' } = {},
): Reply {
  const { user } = signedIn(ctx);
  const { problem, form } = state;
  const passwordField = (idPrefix: string, own: boolean) =>
    formField({
      name: 'currentPassword',
      label: 'Current password',
      type: 'password',
      autocomplete: 'current-password',
      hint: 'Signed in with a provider and no password? Sign in with it again, then leave this empty.',
      idPrefix,
      autofocus: own && problem?.field === 'currentPassword',
      invalid: own && problem?.field === 'currentPassword',
    });
  const content = html`<h1>Account</h1>
    <p class="page-intro">Signed in as ${user.email}.</p>
    <section class="card" aria-labelledby="email-heading">
      <h2 id="email-heading">Change email</h2>
      <p>We send a link to the new address; the change happens when you open it.</p>
      ${form === 'email' ? formAlert(problem?.message) : ''}
      <form method="post" action="/account/email">
        <input type="hidden" name="username" autocomplete="username" value="${user.email}" />
        ${formField({
          name: 'newEmail',
          label: 'New email',
          type: 'email',
          value: state.newEmail ?? '',
          autocomplete: 'email',
          required: true,
          maxLength: 254,
          idPrefix: 'email-',
          autofocus: form === 'email' && problem?.field !== 'currentPassword',
          invalid: form === 'email' && problem?.field === 'newEmail',
        })}
        ${passwordField('email-', form === 'email')}
        <div class="actions"><button type="submit">Send the link</button></div>
      </form>
    </section>
    <section class="card card-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>Your account, notes and sessions are deleted at once. This cannot be undone.</p>
      ${form === 'delete' ? formAlert(problem?.message) : ''}
      <form method="post" action="/account/delete">
        <input type="hidden" name="username" autocomplete="username" value="${user.email}" />
        ${passwordField('delete-', form === 'delete')}
        <div class="actions"><button type="submit" class="button-danger">Delete my account</button></div>
      </form>
    </section>`;
  return htmlReply(
    renderPage({ title: 'Account', user, current: 'account', notice: noticeOf(ctx), content }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

const tooMany = (error: TooManyAttemptsError): FormProblem => ({
  status: 429,
  message: `Too many requests. Try again in ${formatWait(error.retryAfterSeconds)}.`,
  field: null,
  headers: { 'retry-after': String(error.retryAfterSeconds) },
});

/** The banner on the notes page while the address is unverified, with its "send again" button. */
export function unverifiedBanner(emailVerified: boolean): Html | '' {
  if (emailVerified) return '';
  return html`<section class="banner" aria-label="Confirm your email address">
    <p>Please confirm your email address: open the link we sent you.</p>
    <form method="post" action="/verify-email/send">
      <button type="submit" class="button-secondary button-small">Send the link again</button>
    </form>
  </section>`;
}

/**
 * The recovery pages: forgot and reset password, verify email (and send the link again), change email and
 * delete the account, all plain forms.
 */
export function recoveryPages(router: AppRouter, services: AppServices): void {
  const { recovery } = services;

  router.route(
    '/forgot-password',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => renderForgotPage(ctx),
      POST: async (ctx) => {
        const field = await readForm(ctx);
        const email = field('email');
        try {
          ctx.session.assertLoginOrigin();
          await recovery.requestPasswordReset(ctx.session, { email });
        } catch (error) {
          if (error instanceof TooManyAttemptsError)
            return renderForgotPage(ctx, { email, problem: tooMany(error) });
          const problem = accountProblemOf(error);
          if (problem === null) throw error;
          return renderForgotPage(ctx, { email, problem });
        }
        return seeOther(withNotice('/forgot-password', 'reset-sent'));
      },
    },
  );

  router.route(
    '/reset-password',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => renderResetPage(ctx, ctx.query('token') ?? ''),
      POST: async (ctx) => {
        const field = await readForm(ctx);
        const token = field('token');
        try {
          ctx.session.assertLoginOrigin();
          await recovery.resetPassword(ctx.session, { token, newPassword: field('newPassword') });
        } catch (error) {
          if (error instanceof InvalidOneTimeTokenError) return renderResetPage(ctx, '', INVALID_LINK);
          const problem = accountProblemOf(error, 'newPassword');
          if (problem === null) throw error;
          return renderResetPage(ctx, token, problem);
        }
        return seeOther(withNotice('/notes', 'password-reset'));
      },
    },
  );

  router.route(
    '/verify-email',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => renderVerifyPage(ctx, ctx.query('token') ?? ''),
      POST: async (ctx) => {
        const field = await readForm(ctx);
        try {
          await recovery.verifyEmail(ctx.session, { token: field('token') });
        } catch (error) {
          if (error instanceof InvalidOneTimeTokenError) return renderVerifyPage(ctx, '', INVALID_LINK);
          if (error instanceof EmailTakenError) {
            return renderVerifyPage(ctx, '', problemOf(409, 'Another account has that address now.'));
          }
          throw error;
        }
        return seeOther(withNotice(currentUser(ctx) === null ? '/sign-in' : '/notes', 'email-verified'));
      },
    },
  );

  router.route(
    '/verify-email/send',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        signedIn(ctx);
        try {
          await recovery.requestEmailVerification(ctx.session);
        } catch (error) {
          if (error instanceof TooManyAttemptsError)
            return seeOther(withNotice('/notes', 'verification-throttled'));
          throw error;
        }
        return seeOther(withNotice('/notes', 'verification-sent'));
      },
    },
  );

  router.route('/account', { errors: 'page', auth: 'cookie' }, { GET: (ctx) => renderAccountPage(ctx) });

  router.route(
    '/account/email',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx, { returnTo: '/account' });
        const field = await readForm(ctx);
        const newEmail = field('newEmail');
        try {
          await recovery.requestEmailChange(ctx.session, {
            newEmail,
            currentPassword: field('currentPassword'),
          });
        } catch (error) {
          return renderAccountPage(ctx, {
            newEmail,
            form: 'email',
            problem: accountFormProblem(error, 'newEmail'),
          });
        }
        return seeOther(withNotice('/account', 'email-change-sent'));
      },
    },
  );

  router.route(
    '/account/delete',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        signedIn(ctx);
        assertRecentAuth(ctx, { returnTo: '/account' });
        const field = await readForm(ctx);
        try {
          await recovery.deleteAccount(ctx.session, { currentPassword: field('currentPassword') });
        } catch (error) {
          return renderAccountPage(ctx, { form: 'delete', problem: accountFormProblem(error, null) });
        }
        return seeOther(withNotice('/sign-in', 'account-deleted'));
      },
    },
  );
}

/** The account page's refusals in words; anything else is rethrown for the error page. */
function accountFormProblem(error: unknown, emailField: string | null): FormProblem {
  if (error instanceof UnauthenticatedError) throw error;
  if (error instanceof InvalidCredentialsError) {
    return problemOf(
      401,
      'Your current password is not right (or your provider sign-in is not recent).',
      'currentPassword',
    );
  }
  if (error instanceof TooManyAttemptsError) return tooMany(error);
  if (error instanceof EmailTakenError)
    return problemOf(409, 'Another account has that address.', emailField);
  const problem = accountProblemOf(error);
  if (problem === null) throw error;
  return problem.field === 'email' ? { ...problem, field: emailField } : problem;
}
