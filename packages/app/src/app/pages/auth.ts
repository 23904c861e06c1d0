import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from 'cloakroom/accounts';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { sendFirstVerification } from '../welcome-mail.js';
import { signInWithPassword } from '../mfa/sign-in.js';
import { SIGN_IN_CODE_PATH } from './sign-in-code.js';
import { accountProblemOf, formAlert, formField, readForm, type FormProblem } from './forms.js';
import { providerButtons } from '../federation/pages.js';
import type { ProviderLink } from '../federation/service.js';
import { passkeySignInButton } from './passkeys.js';
import { renderPage } from './layout.js';
import { html } from './markup.js';
import { currentUser, noticeOf, requestSessionOf, seeOther, withNotice } from './page-context.js';

type AuthForm = 'sign-in' | 'register';

const FORMS = {
  'sign-in': {
    title: 'Sign in',
    intro: 'Welcome back. Sign in to reach your notes.',
    submit: 'Sign in',
    passwordAutocomplete: 'current-password',
    passwordHint: undefined,
    switchText: html`<a href="/forgot-password">Forgot your password?</a> · New here?
      <a href="/register">Create an account</a>`,
  },
  register: {
    title: 'Create your account',
    intro: 'An email and a password are all it takes.',
    submit: 'Create account',
    passwordAutocomplete: 'new-password',
    passwordHint: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters. A long phrase you can remember works well.`,
    switchText: html`Already have an account? <a href="/sign-in">Sign in</a>`,
  },
} as const;

/** The sign-in or registration form; the email is kept after a refusal, the password never is. */
function renderAuthForm(
  form: AuthForm,
  state: { email?: string; problem?: FormProblem; notice?: string | null } = {},
  providers: ProviderLink[] = [],
): Reply {
  const text = FORMS[form];
  const problem = state.problem;
  const content = html`<h1>${text.title}</h1>
    <p class="page-intro">${text.intro}</p>
    <div class="card">
      ${formAlert(problem?.message)}
      <form method="post" action="/${form}">
        ${formField({
          name: 'email',
          label: 'Email',
          type: 'email',
          value: state.email ?? '',
          autocomplete: 'username',
          required: true,
          maxLength: 254,
          autofocus: problem === undefined || problem.field === 'email',
          invalid: problem?.field === 'email',
        })}
        ${formField({
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: text.passwordAutocomplete,
          hint: text.passwordHint,
          required: true,
          maxLength: form === 'register' ? MAX_PASSWORD_LENGTH : undefined,
          minLength: form === 'register' ? MIN_PASSWORD_LENGTH : undefined,
          autofocus: problem !== undefined && problem.field !== 'email',
          invalid: problem?.field === 'password',
        })}
        <div class="actions"><button type="submit">${text.submit}</button></div>
      </form>
    </div>
    ${form === 'sign-in' ? passkeySignInButton() : ''} ${providerButtons(providers)}
    <p class="switch">${text.switchText}</p>`;
  return htmlReply(
    renderPage({
      title: text.title,
      user: null,
      current: form,
      notice: state.notice,
      width: 'narrow',
      content,
      passkeyScript: form === 'sign-in',
    }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/** Registration, sign-in and sign-out. */
export function authPages(router: AppRouter, services: AppServices): void {
  const { accounts } = services;

  router.route(
    '/',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => seeOther(currentUser(ctx) === null ? '/sign-in' : '/notes'),
    },
  );

  for (const form of ['sign-in', 'register'] as const) {
    router.route(
      `/${form}`,
      { errors: 'page', auth: 'cookie' },
      {
        GET: (ctx) => {
          if (currentUser(ctx) !== null) return seeOther('/notes');
          return renderAuthForm(form, { notice: noticeOf(ctx) }, services.federation.providers);
        },
        POST: async (ctx) => {
          const field = await readForm(ctx);
          const input = { email: field('email'), password: field('password') };
          try {
            if (form === 'register') {
              await accounts.register(ctx.session, input);
              await sendFirstVerification(services, ctx.session);
              return seeOther(withNotice('/notes', 'welcome'));
            }
            // With two-factor on, the code comes next (the pending cookie is set).
            const result = await signInWithPassword(services, ctx, input);
            return seeOther(result.mfaRequired ? SIGN_IN_CODE_PATH : '/notes');
          } catch (error) {
            const problem = accountProblemOf(error);
            if (problem === null) throw error;
            return renderAuthForm(
              form,
              { email: input.email.trim(), problem },
              services.federation.providers,
            );
          }
        },
      },
    );
  }

  router.route(
    '/sign-out',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx: RequestContext) => {
        const request = requestSessionOf(ctx);
        if (request?.session) await request.signOut();
        return seeOther(withNotice('/sign-in', 'signed-out'));
      },
    },
  );
}
