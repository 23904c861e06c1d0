import type { Transporter } from 'nodemailer';
import type { MailMessage, MailTransport } from './transport.js';

export interface SmtpTransportOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). */
  url: string;
  /** Milliseconds to wait for the connection and for each reply; default 10 000. */
  timeoutMs?: number;
}

/**
 * Sends mail over SMTP with nodemailer (an optional peer dependency: `npm install nodemailer`), loaded on the
 * first send, so importing this entry works without it. One pooled connection is reused between messages.
 *
 * @example
 * ```ts
 * import { SmtpTransport } from 'cloakroom/accounts/smtp';
 * const transport = new SmtpTransport({ url: process.env.SMTP_URL! });
 * ```
 */
export class SmtpTransport implements MailTransport {
  readonly #settings: Parameters<typeof import('nodemailer').createTransport>[0];
  #transporter: Promise<Transporter> | null = null;

  constructor(options: SmtpTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      // Not the URL itself in the message (nor the error, whose `input` repeats it): it may hold a password.
      throw new TypeError('the SMTP URL is not a valid URL');
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new TypeError('the SMTP URL must start with smtp:// or smtps://');
    }
    const timeout = options.timeoutMs ?? 10_000;
    this.#settings = {
      host: url.hostname,
      port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
      secure: url.protocol === 'smtps:',
      ...(url.username === ''
        ? {}
        : { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
      pool: true,
      maxConnections: 1,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // Nodemailer logs nothing unless asked; keep it so (a logged message would carry its link).
      logger: false,
    };
  }

  async send(message: MailMessage): Promise<void> {
    this.#transporter ??= import('nodemailer').then(({ createTransport }) => createTransport(this.#settings));
    const transporter = await this.#transporter.catch((error: unknown) => {
      this.#transporter = null;
      throw error;
    });
    await transporter.sendMail({
      from: message.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  async close(): Promise<void> {
    const transporter = await this.#transporter?.catch(() => null);
    transporter?.close();
  }
}
