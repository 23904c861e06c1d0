import type { Actor } from '../../index.js';
import { tokenResponse, type TokenIssuer, type TokenResponse } from '../issuer.js';
import { invalidClient, invalidGrant, OAuthError } from '../errors.js';
import { grantScope, parseScope, scopeList } from '../scope.js';
import type { ClientRecord } from '../types.js';
import { clientAudience } from './audience.js';
import type { RefusalSink, RequestOrigin } from './refresh.js';
import { emitEvent } from '../../../events/index.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE_URI = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE_URI = 'urn:ietf:params:oauth:token-type:jwt';

/** At most this many actors in an `act` chain: re-exchanging past it is refused. */
export const MAX_ACTOR_DEPTH = 4;

function actorDepth(actor: Actor | undefined): number {
  let depth = 0;
  for (let current = actor; current !== undefined; current = current.act) depth += 1;
  return depth;
}

/**
 * RFC 8693 token exchange: a registered service holding a user's access token (`subject_token`, verified
 * like any access token this issuer signed) gets a narrower one for another service. The subject token must
 * have been given to the calling client: its `aud` names one of the audiences the client serves
 * (`client.resources`), so a client cannot turn a token it intercepted or was shown for another service
 * into one of its own (`invalid_grant` otherwise). The audience must be
 * allowed for the calling client; the scope only shrinks (within the subject token's and the client's);
 * the lifetime never passes the subject token's `exp`; `act` names the calling client, with the earlier
 * actors nested inside it, at most {@link MAX_ACTOR_DEPTH} deep. The user's session (`sid`) is carried
 * over, so revoking it ends the exchanged token at this site too. No refresh token.
 */
export async function tokenExchangeGrant(
  issuer: TokenIssuer,
  form: Map<string, string>,
  client: ClientRecord | null,
  refused: RefusalSink,
  from: RequestOrigin = { ip: null, userAgent: null },
): Promise<TokenResponse> {
  if (client === null) throw invalidClient();
  const subjectToken = form.get('subject_token');
  const subjectType = form.get('subject_token_type');
  if (subjectToken === undefined || subjectType === undefined) {
    throw new OAuthError('invalid_request', 'subject_token and subject_token_type are required.');
  }
  if (subjectType !== ACCESS_TOKEN_TYPE_URI && subjectType !== JWT_TYPE_URI) {
    throw new OAuthError('invalid_request', 'The subject token must be an access token.');
  }
  const requestedType = form.get('requested_token_type');
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE_URI) {
    throw new OAuthError('invalid_request', 'Only access tokens are issued.');
  }
  if (form.has('actor_token') || form.has('actor_token_type')) {
    throw new OAuthError(
      'invalid_request',
      'The actor is the authenticated client; actor_token is not used.',
    );
  }
  const audience = clientAudience(form, client);
  const requested = parseScope(form.get('scope'));

  const { options } = issuer;
  if (client.resources.length === 0) {
    refused('client_serves_no_audience');
    throw new OAuthError(
      'unauthorized_client',
      'This client serves no audience, so it has no tokens to exchange.',
    );
  }
  let subject;
  try {
    // Only tokens for an audience this client serves verify: a token for anyone else is refused here.
    subject = await options.verify(subjectToken, client.resources);
  } catch (error) {
    refused(error instanceof Error && 'reason' in error ? String(error.reason) : 'invalid');
    throw invalidGrant('subject token');
  }
  if (subject.sid !== undefined && !(await options.isSessionLive(subject.sid, subject.sub))) {
    refused('session_ended');
    throw invalidGrant('subject token');
  }
  const allowed = scopeList(subject.scope).filter((scope) => client.scopes.includes(scope));
  const scope = grantScope(requested, allowed);
  if (actorDepth(subject.act) + 1 > MAX_ACTOR_DEPTH) {
    throw new OAuthError('invalid_request', `The delegation chain is limited to ${MAX_ACTOR_DEPTH} actors.`);
  }
  const actor: Actor = subject.act === undefined ? { sub: client.id } : { sub: client.id, act: subject.act };
  if (subject.exp - Math.floor(options.clock.now() / 1000) < 1) throw invalidGrant('subject token');
  const access = await issuer.sign({
    subject: subject.sub,
    audience,
    clientId: client.id,
    scope,
    sessionId: subject.sid ?? null,
    actor,
    notAfter: subject.exp,
  });
  if (options.onEvent !== undefined) {
    emitEvent(options.onEvent, {
      type: 'token.exchanged',
      at: options.clock.now(),
      userId: subject.sub,
      ...(subject.sid === undefined ? {} : { sessionId: subject.sid }),
      clientId: client.id,
      audience,
      scope: access.scope,
      ...from,
    });
  }
  return tokenResponse(access, { issuedTokenType: ACCESS_TOKEN_TYPE_URI });
}
