import { z } from 'zod';
import { parseIssuer } from './issuer.js';

/** One OpenID provider the site accepts sign-ins from. */
export interface ProviderSettings {
  /** The provider's id in the site's URLs (`/auth/oidc/<id>/…`): 1-32 of a-z, 0-9, `_`, `-`. */
  id: string;
  /** The issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** The client secret (client_secret_basic at the token endpoint). */
  clientSecret: string;
  /** Requested scopes; must include `openid`. Default `["openid", "email"]`. */
  scopes: string[];
  /** Shown on the "Sign in with <label>" button. */
  label: string;
  /**
   * What a new account needs from the provider's `email_verified` claim. `"required"` (what its absence
   * means): the JSON boolean `true`; a missing claim counts as unverified. `"optional"`: a missing claim is
   * taken as verified, for a provider that verifies every address and never says so; `false` is still
   * refused. Only for new accounts: a linked identity signs in whatever the claim.
   */
  emailVerifiedClaim?: EmailVerifiedClaim;
}

/** See {@link ProviderSettings.emailVerifiedClaim}. */
export type EmailVerifiedClaim = 'required' | 'optional';

export const DEFAULT_SCOPES = ['openid', 'email'] as const;

const providerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters of a-z, 0-9, "_" or "-"'),
  issuer: z.string().superRefine((value, context) => {
    try {
      parseIssuer(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^issuer /, '') });
    }
  }),
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(1024),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token'))
    .refine((scopes) => scopes.includes('openid'), 'must include "openid"')
    .default([...DEFAULT_SCOPES]),
  label: z.string().trim().min(1).max(64),
  // No default here: the parsed list keeps the file's fields, and the site reads a missing one as "required".
  emailVerifiedClaim: z.enum(['required', 'optional']).optional(),
});

const providerListSchema = z.array(providerSchema).superRefine((list, context) => {
  const seen = new Set<string>();
  list.forEach((provider, index) => {
    if (seen.has(provider.id)) {
      context.addIssue({ code: 'custom', path: [index, 'id'], message: 'is used twice' });
    }
    seen.add(provider.id);
  });
});

/**
 * Reads a provider list (the parsed JSON of `CLOAKROOM_OIDC_CONFIG`): an array of
 * `{"id","issuer","clientId","clientSecret","scopes","label","emailVerifiedClaim"}`. Throws a `TypeError` that names the first
 * bad fields (never a secret's value).
 *
 * @example
 * ```ts
 * const providers = parseProviderList(JSON.parse(readFileSync(path, 'utf8')));
 * ```
 */
export function parseProviderList(input: unknown): ProviderSettings[] {
  const result = providerListSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length === 0 ? 'the list' : issue.path.map(String).join('.');
    // zod's messages name types and limits, never the received value.
    return `${where}: ${issue.message}`;
  });
  throw new TypeError(`invalid provider list (${problems.join('; ')})`);
}
