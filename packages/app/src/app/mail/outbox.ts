import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailMessage, MailTransport } from 'cloakroom/accounts';

/** A mail in the outbox, with when it was written. */
export interface OutboxMail extends MailMessage {
  id: string;
  sentAt: string;
}

const FILE = /^(\d{13})-([0-9a-f]{12})\.json$/;

/**
 * The development outbox: without SMTP on a loopback origin, each mail is a JSON file in `<data>/outbox/`
 * (owner-only, like the database), listed on `/dev/outbox`. Never used on a public origin: `serve` refuses
 * to start there without `CLOAKROOM_SMTP_URL`.
 */
export class FileOutbox implements MailTransport {
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'outbox');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  async send(message: MailMessage): Promise<void> {
    const name = `${String(Date.now()).padStart(13, '0')}-${randomBytes(6).toString('hex')}.json`;
    const mail = { ...message, sentAt: new Date().toISOString() };
    await writeFile(join(this.#dir, name), JSON.stringify(mail, null, 2), { mode: 0o600, flag: 'wx' });
  }

  /** The mails, newest first (at most `limit`). */
  list(limit = 50): OutboxMail[] {
    const names = readdirSync(this.#dir)
      .filter((name) => FILE.test(name))
      .sort()
      .reverse()
      .slice(0, limit);
    return names.flatMap((name) => {
      try {
        const mail = JSON.parse(readFileSync(join(this.#dir, name), 'utf8')) as Omit<OutboxMail, 'id'>;
        return [{ ...mail, id: name.replace(/\.json$/, '') }];
      } catch {
        return [];
      }
    });
  }
}
