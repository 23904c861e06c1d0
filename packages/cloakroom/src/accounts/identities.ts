/**
 * A local account's link to a person at an OpenID provider. Accounts are linked by (issuer, subject) — the
 * only stable, unique name a provider gives — and never matched by email.
 */
export interface IdentityLink {
  userId: string;
  /** The provider's id in the site's configuration (for display and URLs). */
  provider: string;
  issuer: string;
  subject: string;
  createdAt: number;
}

/** What an unlink did: removed it, found nothing to remove, or refused because it is the last way in. */
export type UnlinkResult = 'unlinked' | 'not_found' | 'last_sign_in_method';

/** Where identity links live. `null` means not found; failures reject. */
export interface IdentityStore {
  findByIdentity(issuer: string, subject: string): Promise<IdentityLink | null>;
  /** The user's links, oldest first. */
  listByUser(userId: string): Promise<IdentityLink[]>;
  /** Inserts a link; resolves `false` (and changes nothing) when (issuer, subject) is already linked. */
  link(link: IdentityLink): Promise<boolean>;
  /**
   * Removes the user's link to (issuer, subject). With `keepOne` (the user has no password), refuses to
   * remove the user's only link, in the same statement, so the account always keeps a way to sign in.
   */
  unlink(
    userId: string,
    issuer: string,
    subject: string,
    options: { keepOne: boolean },
  ): Promise<UnlinkResult>;
}
