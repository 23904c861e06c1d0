import { OAuthError } from '../errors.js';
import type { ClientRecord } from '../types.js';

/**
 * The one audience a client asks for, from `audience` (RFC 8693) or `resource` (RFC 8707); when it names
 * none and is allowed exactly one, that one. It must be among the client's allowed audiences
 * (`invalid_target` otherwise).
 */
export function clientAudience(form: Map<string, string>, client: ClientRecord): string {
  const audience = form.get('audience');
  const resource = form.get('resource');
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new OAuthError('invalid_target', 'Give one audience (audience or resource), not two.');
  }
  const requested = audience ?? resource;
  if (requested === undefined) {
    if (client.audiences.length === 1 && client.audiences[0] !== undefined) return client.audiences[0];
    throw new OAuthError('invalid_target', 'Name the audience the token is for.');
  }
  if (!client.audiences.includes(requested)) {
    throw new OAuthError('invalid_target', 'This client may not obtain tokens for that audience.');
  }
  return requested;
}
