import type { IdentityLink, IdentityStore, UnlinkResult } from '../../identities.js';

const keyOf = (issuer: string, subject: string) => JSON.stringify([issuer, subject]);

/** Identity links in a `Map`: for tests and examples. */
export class MemoryIdentityStore implements IdentityStore {
  readonly #links = new Map<string, IdentityLink>();

  findByIdentity(issuer: string, subject: string): Promise<IdentityLink | null> {
    const link = this.#links.get(keyOf(issuer, subject));
    return Promise.resolve(link === undefined ? null : { ...link });
  }

  listByUser(userId: string): Promise<IdentityLink[]> {
    const links = [...this.#links.values()].filter((link) => link.userId === userId);
    return Promise.resolve(links.sort((a, b) => a.createdAt - b.createdAt).map((link) => ({ ...link })));
  }

  link(link: IdentityLink): Promise<boolean> {
    const key = keyOf(link.issuer, link.subject);
    if (this.#links.has(key)) return Promise.resolve(false);
    this.#links.set(key, { ...link });
    return Promise.resolve(true);
  }

  unlink(
    userId: string,
    issuer: string,
    subject: string,
    options: { keepOne: boolean },
  ): Promise<UnlinkResult> {
    const key = keyOf(issuer, subject);
    const link = this.#links.get(key);
    if (link === undefined || link.userId !== userId) return Promise.resolve('not_found');
    if (options.keepOne && [...this.#links.values()].filter((l) => l.userId === userId).length <= 1) {
      return Promise.resolve('last_sign_in_method');
    }
    this.#links.delete(key);
    return Promise.resolve('unlinked');
  }
}
