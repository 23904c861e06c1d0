/** One mail, as a transport sends it: a text part and an HTML part, always both. */
export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Where mail goes: SMTP (`SmtpTransport` from `cloakroom/accounts/smtp`), a development outbox, or a test's
 * memory. `send` resolves once the message is accepted and rejects when it was not; retrying is the caller's
 * (the `Mailer`'s) business.
 */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  /** Closes connections, if any. */
  close?(): Promise<void> | void;
}

/**
 * Keeps every mail in an array: for tests and examples.
 *
 * @example
 * ```ts
 * const transport = new MemoryMailTransport();
 * // … after a password reset request
 * const [mail] = transport.sent;
 * ```
 */
export class MemoryMailTransport implements MailTransport {
  readonly sent: MailMessage[] = [];

  send(message: MailMessage): Promise<void> {
    this.sent.push({ ...message });
    return Promise.resolve();
  }
}
