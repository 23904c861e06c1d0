import { InvalidPasskeyError } from 'cloakroom';
import { html, type Html } from './markup.js';

export interface PasskeyFormOptions {
  /** The page the form posts to, with the assertion in its `passkey` field. */
  action: string;
  /** The JSON route that answers the request options (and sets the passkey cookie). */
  optionsPath: string;
  /** The button's words. */
  label: string;
  /** More hidden fields the form posts (the re-authentication's `returnTo`). */
  hidden?: Html;
}

/**
 * A card with a "use a passkey" button for a page whose proof may be a passkey (the second sign-in step,
 * re-authentication). The passkey script (`data-passkey="form"`) shows the button where WebAuthn works, gets
 * the options, and posts the assertion in this form's hidden `passkey` field; without the script the card
 * holds nothing to press, and the page's other forms work as before.
 */
export function passkeyForm(options: PasskeyFormOptions): Html {
  return html`<section class="card passkey-sign-in" aria-label="Passkey">
    <form method="post" action="${options.action}">
      ${options.hidden ?? ''}
      <input type="hidden" name="passkey" value="" />
      <div class="actions">
        <button type="button" data-passkey="form" data-passkey-options="${options.optionsPath}" hidden>
          ${options.label}
        </button>
      </div>
    </form>
    <p data-passkey-status aria-live="polite"></p>
  </section>`;
}

/**
 * The assertion a passkey form posted (`PublicKeyCredential.toJSON()` as JSON text). Text that is not a JSON
 * object cannot be an assertion: `InvalidPasskeyError`, as for any other assertion that does not verify.
 */
export function postedAssertion(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidPasskeyError({ cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidPasskeyError();
  return value as Record<string, unknown>;
}
