import { ReauthenticationRequiredError } from 'cloakroom';
import type { RequestContext } from '../http/context.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { formatDateTime } from './format.js';
import { readForm } from './forms.js';
import { html, type Html } from './markup.js';
import { seeOther, signedIn } from './page-context.js';
import { reauthPromptUrl } from './reauth.js';
import { SECURITY_PATH, securityPageSections } from './security.js';

/** The passkeys section of the security page: the list with a remove button each, and "Add a passkey". */
async function passkeysSection(ctx: RequestContext, services: AppServices): Promise<Html> {
  const { user } = signedIn(ctx);
  const passkeys = await services.passkeys.list(user.id);
  const rows = passkeys.map(
    (passkey) =>
      html`<li>
        <span class="passkey-name">${passkey.name}</span>
        <span class="muted"
          >added
          ${formatDateTime(passkey.createdAt)}${
            passkey.lastUsedAt === null
              ? ', never used'
              : html`, last used ${formatDateTime(passkey.lastUsedAt)}`
          }</span
        >
        <form method="post" action="${SECURITY_PATH}/passkeys/remove">
          <input type="hidden" name="id" value="${passkey.id}" />
          <button type="submit" class="button-danger">Remove ${passkey.name}</button>
        </form>
      </li>`,
  );
  return html`<section class="card" aria-labelledby="passkeys-heading">
    <h2 id="passkeys-heading">Passkeys</h2>
    <p>Sign in with your fingerprint, face or device PIN instead of your password.</p>
    ${
      passkeys.length === 0
        ? html`<p>You have no passkeys yet.</p>`
        : html`<ul class="passkeys">
            ${rows}
          </ul>`
    }
    <div class="actions">
      <button type="button" data-passkey="register" hidden>Add a passkey</button>
    </div>
    <p data-passkey-status aria-live="polite"></p>
  </section>`;
}

/** The sign-in page's "Sign in with a passkey" button (shown by the passkey script where WebAuthn works). */
export function passkeySignInButton(): Html {
  return html`<section class="card passkey-sign-in" aria-label="Passkey">
    <div class="actions">
      <button type="button" data-passkey="sign-in" data-passkey-done="/notes" hidden>
        Sign in with a passkey
      </button>
    </div>
    <p data-passkey-status aria-live="polite"></p>
  </section>`;
}

/** Mounts the passkeys section on the security page, and its remove form (after a recent sign-in). */
export function passkeyPages(router: AppRouter, services: AppServices): void {
  if (!securityPageSections.includes(passkeysSection)) securityPageSections.push(passkeysSection);
  router.route(
    `${SECURITY_PATH}/passkeys/remove`,
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        const field = await readForm(ctx);
        try {
          ctx.session.requireRecentAuth();
        } catch (error) {
          if (!(error instanceof ReauthenticationRequiredError)) throw error;
          return seeOther(reauthPromptUrl(SECURITY_PATH));
        }
        await services.passkeys.remove(user.id, field('id'));
        return seeOther(SECURITY_PATH);
      },
    },
  );
}
