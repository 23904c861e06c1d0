import { FederationError, type FederationFailureReason } from 'cloakroom/federation';
import type { AppUser } from '../http/env.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import { renderPage } from '../pages/layout.js';
import { html, type Html } from '../pages/markup.js';
import type { ProviderLink, SiteFederation } from './service.js';

/** "Sign in with <label>" links for the sign-in and registration pages ('' with no provider). */
export function providerButtons(providers: ProviderLink[]): Html | '' {
  if (providers.length === 0) return '';
  return html`<div class="card federation" aria-labelledby="federation-heading">
    <h2 id="federation-heading">Or use another account</h2>
    <ul class="provider-list">
      ${providers.map(
        (provider) =>
          html`<li>
            <a class="button button-secondary" href="/auth/oidc/${provider.id}/start"
              >Sign in with ${provider.label}</a
            >
          </li>`,
      )}
    </ul>
  </div>`;
}

/**
 * The account page's "Sign-in methods": the password (or its absence), each linked provider with an unlink
 * button (disabled when it is the last way in), and a link button for each provider not linked yet.
 */
export async function signInMethodsSection(federation: SiteFederation, user: AppUser): Promise<Html | ''> {
  const providers = federation.providers;
  if (providers.length === 0) return '';
  const [linked, hasPassword] = await Promise.all([
    federation.identitiesOf(user.id),
    federation.hasPassword(user.id),
  ]);
  const lastWayIn = !hasPassword && linked.length <= 1;
  const linkedIds = new Set(linked.map((identity) => identity.provider));
  const items = linked.map((identity) => {
    const label = federation.labelOf(identity.provider) ?? identity.provider;
    return html`<li class="method">
      <span>${label}</span>
      ${
        lastWayIn
          ? html`<span class="hint">Your only way to sign in: link another first.</span>`
          : html`<form method="post" action="/auth/oidc/${identity.provider}/unlink">
              <input type="hidden" name="subject" value="${identity.subject}" />
              <button type="submit" class="button-danger button-small">
                Unlink<span class="visually-hidden"> ${label}</span>
              </button>
            </form>`
      }
    </li>`;
  });
  const available = providers.filter((provider) => !linkedIds.has(provider.id));
  return html`<section class="card" aria-labelledby="methods-heading">
    <h2 id="methods-heading">Sign-in methods</h2>
    <ul class="method-list">
      <li class="method">
        <span>Password</span><span>${hasPassword ? 'Set' : 'None: you sign in with a provider'}</span>
      </li>
      ${items}
    </ul>
    ${available.map(
      (provider) =>
        html`<form method="post" action="/auth/oidc/${provider.id}/link">
          <button type="submit" class="button-secondary">Link ${provider.label}</button>
        </form>`,
    )}
  </section>`;
}

const EXPLANATIONS: Record<FederationFailureReason, string> = {
  unknown_provider: 'This sign-in provider is not configured on this site.',
  provider_unavailable: 'The sign-in provider could not be reached. Please try again in a moment.',
  login_expired:
    'This sign-in was not started in this browser, took too long, or was already used. Please start again.',
  state_mismatch: 'The answer from the sign-in provider does not belong to this browser’s sign-in.',
  issuer_mismatch: 'The answer did not come from the sign-in provider it was sent to.',
  provider_error: 'The sign-in provider did not sign you in (it was cancelled or refused).',
  token_request_failed: 'The sign-in provider refused to complete the sign-in. Please start again.',
  invalid_id_token: 'The sign-in provider’s proof of identity did not pass our checks.',
  userinfo_mismatch: 'The sign-in provider described a different person than the one who signed in.',
  userinfo_failed: 'The sign-in provider would not describe the account that signed in.',
  email_missing:
    'The sign-in provider did not share an email address, which a new account needs. Allow it and try again.',
  email_unverified:
    'The sign-in provider says this email address is not verified. Verify it there and try again.',
  account_exists:
    'An account with this email address already exists. Sign in with your password, then link this provider from “Your sessions”.',
  identity_in_use: 'This provider account is already linked to another account here.',
  link_session_mismatch: 'The link was finished in another session. Sign in and start the link again.',
  last_sign_in_method:
    'This is your account’s only way to sign in. Link another provider before unlinking this one.',
  invalid_logout_token: 'The logout request was not valid.',
  too_many_starts: 'Too many sign-ins were started from your network just now. Please wait a few minutes.',
};

/**
 * The friendly page for a refused federated sign-in, link or unlink: what happened, the reason code (for
 * support), and the way back. No session was created; the provider is not asked anything more.
 */
export function federationFailurePage(
  error: FederationError,
  user: AppUser | null,
  requestId: string,
): Reply {
  const content = html`<div class="error-page">
    <p class="status">Error ${error.status}</p>
    <h1>Sign-in did not work</h1>
    <p>${EXPLANATIONS[error.reason]}</p>
    <p>Reason: <code class="reason">${error.reason}</code></p>
    <p><a class="button" href="${user === null ? '/sign-in' : '/sessions'}">Back</a></p>
    <p class="reference">Reference: <code>${requestId}</code></p>
  </div>`;
  return htmlReply(renderPage({ title: 'Sign-in did not work', user, content }), error.status);
}

/**
 * The step between the "Link" form post and the provider: a page that continues to the provider at once
 * (meta refresh) and offers the link by hand. A 303 would be blocked by the CSP's `form-action 'self'`.
 */
export function continuePage(label: string, location: string, user: AppUser): Reply {
  const content = html`<div class="card">
    <h1>Continue to ${label}</h1>
    <p>Sign in at ${label} to link it to your account.</p>
    <p><a class="button" id="continue" href="${location}">Continue to ${label}</a></p>
  </div>`;
  const page = renderPage({ title: `Continue to ${label}`, user, content, width: 'narrow' }).toString();
  // The refresh goes in the head, so browsers follow it before painting.
  const refresh = html`<meta http-equiv="refresh" content="0;url=${location}" />`.toString();
  return htmlReply(page.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />${refresh}`));
}
