import QRCode from 'qrcode';
import { InvalidCodeError, ReauthenticationRequiredError } from 'cloakroom';
import { assertRecentAuth } from '../http/recent-auth.js';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { formAlert, formField, readForm, type FormProblem } from './forms.js';
import { reauthPromptUrl } from './reauth.js';
import { renderPage } from './layout.js';
import { html, Html } from './markup.js';
import { noticeOf, seeOther, signedIn, withNotice } from './page-context.js';

/** The security page: two-factor sign-in and its recovery codes (passkeys add their section). */
export const SECURITY_PATH = '/account/security';

/**
 * More sections of the security page (passkeys add theirs here), rendered in order under two-factor. Each
 * gets the signed-in request and answers a piece of the page.
 */
export const securityPageSections: ((ctx: RequestContext, services: AppServices) => Promise<Html>)[] = [];

function page(ctx: RequestContext, title: string, content: Html, problem?: FormProblem): Reply {
  const { user } = signedIn(ctx);
  return htmlReply(
    renderPage({ title, user, current: 'security', notice: noticeOf(ctx), content, passkeyScript: true }),
    problem?.status ?? 200,
    problem?.headers,
  );
}

/**
 * The QR code of an `otpauth://` URL as inline SVG (no script, no image request). The markup comes from
 * the QR library for a URL the site made itself, and is checked to be a bare `<svg>` before it is kept
 * unescaped.
 */
async function qrCodeSvg(url: string): Promise<Html> {
  const svg = await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  if (!svg.startsWith('<svg') || /<script|\son\w+=|style=/i.test(svg))
    throw new Error('unexpected QR markup');
  return new Html(svg.replace('<svg ', '<svg role="img" aria-label="QR code for your authenticator app" '));
}

function recoveryCodesCard(codes: readonly string[]): Html {
  return html`<div class="card">
    <h2>Your recovery codes</h2>
    <p>
      Each code signs you in once if you lose your authenticator. Save them somewhere safe now: they are not
      shown again.
    </p>
    <ul class="recovery-codes">
      ${codes.map((code) => html`<li><code>${code}</code></li>`)}
    </ul>
    <p><a href="${SECURITY_PATH}">Done</a></p>
  </div>`;
}

function enableForm(problem?: FormProblem): Html {
  return html`${formAlert(problem?.message)}
    <form method="post" action="${SECURITY_PATH}/totp/enable">
      ${formField({
        name: 'code',
        label: 'Code from the app',
        autocomplete: 'one-time-code',
        hint: 'The six digits the app shows now.',
        required: true,
        maxLength: 16,
        autofocus: true,
        invalid: problem !== undefined,
      })}
      <div class="actions"><button type="submit">Turn on two-factor sign-in</button></div>
    </form>`;
}

async function renderSecurityPage(ctx: RequestContext, services: AppServices, problem?: FormProblem) {
  const { user } = signedIn(ctx);
  const status = await services.twoFactor.status(user.id);
  const twoFactor = status.totp
    ? html`<div class="card">
        <h2>Two-factor sign-in is on</h2>
        <p>Signing in asks for a code from your authenticator app after your password.</p>
        <p>Recovery codes left: ${status.recoveryCodesLeft}.</p>
        <form method="post" action="${SECURITY_PATH}/recovery-codes">
          <div class="actions"><button type="submit">Make new recovery codes</button></div>
        </form>
        <form method="post" action="${SECURITY_PATH}/totp/disable">
          <div class="actions">
            <button type="submit" class="button-danger">Turn off two-factor sign-in</button>
          </div>
        </form>
      </div>`
    : html`<div class="card">
        <h2>Two-factor sign-in is off</h2>
        <p>Add a code from an authenticator app to your password, so a stolen password is not enough.</p>
        <form method="post" action="${SECURITY_PATH}/totp/setup">
          <div class="actions"><button type="submit">Set up two-factor sign-in</button></div>
        </form>
      </div>`;
  const sections = await Promise.all(securityPageSections.map((section) => section(ctx, services)));
  const content = html`<h1>Security</h1>
    <p class="page-intro">How you sign in to Cloakroom.</p>
    ${formAlert(problem?.message)} ${twoFactor} ${sections}`;
  return page(ctx, 'Security', content, problem);
}

/**
 * Runs a change that needs a recent sign-in; without one, sends the user to the re-authentication prompt,
 * which brings them back to this page to post again.
 */
async function withRecentAuth(ctx: RequestContext, action: () => Promise<Reply>): Promise<Reply> {
  try {
    assertRecentAuth(ctx);
  } catch (error) {
    if (!(error instanceof ReauthenticationRequiredError)) throw error;
    return seeOther(reauthPromptUrl(SECURITY_PATH));
  }
  return action();
}

/** The security page and its forms: two-factor on and off, and recovery codes. */
export function securityPages(router: AppRouter, services: AppServices): void {
  const { twoFactor } = services;
  const options = { errors: 'page', auth: 'cookie' } as const;

  router.route(SECURITY_PATH, options, { GET: (ctx) => renderSecurityPage(ctx, services) });

  router.route(`${SECURITY_PATH}/totp/setup`, options, {
    POST: (ctx) =>
      withRecentAuth(ctx, async () => {
        const { user } = signedIn(ctx);
        const { secret, otpauthUrl } = await twoFactor.setupTotp(user);
        const content = html`<h1>Set up two-factor sign-in</h1>
          <div class="card">
            <p>
              Scan this code with your authenticator app (or enter the key by hand), then type the code it
              shows.
            </p>
            <div class="qr-code">${await qrCodeSvg(otpauthUrl)}</div>
            <p>Key: <code class="totp-secret">${secret}</code></p>
            ${enableForm()}
          </div>`;
        return page(ctx, 'Set up two-factor sign-in', content);
      }),
  });

  router.route(`${SECURITY_PATH}/totp/enable`, options, {
    POST: async (ctx) => {
      const { user } = signedIn(ctx);
      const field = await readForm(ctx);
      try {
        const { recoveryCodes } = await twoFactor.enableTotp(user.id, { code: field('code') });
        const content = html`<h1>Two-factor sign-in is on</h1>
          ${recoveryCodesCard(recoveryCodes)}`;
        return page(ctx, 'Two-factor sign-in is on', content);
      } catch (error) {
        if (!(error instanceof InvalidCodeError)) throw error;
        const problem = {
          status: 400,
          message: 'That code is not right. Check the app and try the code it shows now.',
          field: 'code',
          headers: {},
        };
        const content = html`<h1>Set up two-factor sign-in</h1>
          <div class="card">
            ${enableForm(problem)}
            <p><a href="${SECURITY_PATH}">Start over</a></p>
          </div>`;
        return page(ctx, 'Set up two-factor sign-in', content, problem);
      }
    },
  });

  router.route(`${SECURITY_PATH}/totp/disable`, options, {
    POST: (ctx) =>
      withRecentAuth(ctx, async () => {
        const { user } = signedIn(ctx);
        await twoFactor.disableTotp(user.id);
        return seeOther(withNotice(SECURITY_PATH, 'two-factor-off'));
      }),
  });

  router.route(`${SECURITY_PATH}/recovery-codes`, options, {
    POST: (ctx) =>
      withRecentAuth(ctx, async () => {
        const { user } = signedIn(ctx);
        const codes = await twoFactor.regenerateRecoveryCodes(user.id);
        return page(
          ctx,
          'New recovery codes',
          html`<h1>New recovery codes</h1>
            ${recoveryCodesCard(codes)}`,
        );
      }),
  });
}
