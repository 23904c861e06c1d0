import { Hono, type Context } from 'hono';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../accounts/password-policy.js';
import type { AppEnv } from '../http/env.js';
import type { AppServices } from '../services.js';
import { accountProblemOf, formAlert, formField, formLimit, readForm, type FormProblem } from './forms.js';
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
    switchText: html`New here? <a href="/register">Create an account</a>`,
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
  c: Context<AppEnv>,
  form: AuthForm,
  state: { email?: string; problem?: FormProblem; notice?: string | null } = {},
): Response {
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
    <p class="switch">${text.switchText}</p>`;
  return c.html(
    renderPage({
      title: text.title,
      user: null,
      current: form,
      notice: state.notice,
      width: 'narrow',
      content,
    }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/** Registration, sign-in and sign-out. */
export function authPages(services: AppServices): Hono<AppEnv> {
  const { accounts } = services;
  const pages = new Hono<AppEnv>();

  pages.get('/', (c) => seeOther(c, currentUser(c) === null ? '/sign-in' : '/notes'));

  for (const form of ['sign-in', 'register'] as const) {
    pages.get(`/${form}`, (c) => {
      if (currentUser(c) !== null) return seeOther(c, '/notes');
      return renderAuthForm(c, form, { notice: noticeOf(c) });
    });

    pages.post(`/${form}`, formLimit, async (c) => {
      const field = await readForm(c);
      const input = { email: field('email'), password: field('password') };
      try {
        if (form === 'register') {
          await accounts.register(c.get('session'), input);
          return seeOther(c, withNotice('/notes', 'welcome'));
        }
        await accounts.signIn(c.get('session'), input);
        return seeOther(c, '/notes');
      } catch (error) {
        const problem = accountProblemOf(error);
        if (problem === null) throw error;
        return renderAuthForm(c, form, { email: input.email.trim(), problem });
      }
    });
  }

  pages.post('/sign-out', async (c) => {
    const request = requestSessionOf(c);
    if (request?.session) await request.signOut();
    return seeOther(c, withNotice('/sign-in', 'signed-out'));
  });
  return pages;
}
