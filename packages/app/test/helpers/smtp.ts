// A real SMTP server in the test process (smtp-server), receiving what the site sends, parsed with
// mailparser: the tests read mails as a mail client would, and follow the links in them.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './app.js';

export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The raw message as it came over SMTP. */
  raw: string;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for CLOAKROOM_SMTP_URL. */
  url: string;
  readonly mails: ReceivedMail[];
  /** Refuses the next `count` messages with a temporary failure (451), to exercise retries. */
  failNext(count: number): void;
  /** How many messages were refused so far. */
  readonly refused: number;
  /**
   * The first mail to `to` not taken yet that `match` accepts (any, by default), waiting up to 10 s; it is
   * taken.
   */
  next(to: string, match?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  let failures = 0;
  let refused = 0;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (its certificate would be self-signed), no authentication.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures > 0) {
          failures -= 1;
          refused += 1;
          const error = Object.assign(new Error('Try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const address = (value: typeof parsed.to) =>
              (Array.isArray(value) ? value : value === undefined ? [] : [value])
                .map((a) => a.text)
                .join(', ');
            mails.push({
              from: parsed.from?.text ?? '',
              to: address(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              raw,
            });
            callback();
          })
          .catch((error: unknown) => {
            callback(error instanceof Error ? error : new Error('unparsable'));
          });
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    failNext(count) {
      failures = count;
    },
    get refused() {
      return refused;
    },
    async next(to, match = () => true) {
      const timeoutMs = 10_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = mails.find((m) => !taken.has(m) && m.to === to && match(m));
        if (mail !== undefined) {
          taken.add(mail);
          return mail;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Matches the mails that carry a link to `page`. */
export const linkTo = (page: 'verify-email' | 'reset-password') => (mail: ReceivedMail) =>
  mail.text.includes(`/${page}?token=`);

/** Matches the mails without any link (notices). */
export const notice = (mail: ReceivedMail) => !mail.text.includes('?token=');

/** The token of the `<origin>/<page>?token=…` link, which the text part carries on a line of its own. */
export function linkToken(
  mail: ReceivedMail,
  origin: string,
  page: 'verify-email' | 'reset-password',
): string {
  const line = mail.text.split(/\r?\n/).find((l) => l.startsWith(`${origin}/${page}?token=`));
  if (line === undefined) throw new Error(`no ${page} link on a line of its own in: ${mail.text}`);
  const token = new URL(line.trim()).searchParams.get('token');
  if (token === null) throw new Error('the link has no token');
  return token;
}
