/** The parts of one mail a template writes. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** What every template gets: the site's origin (`https://example.com`), named in every mail. */
export interface MailContext {
  origin: string;
}

/** A mail that carries a one-time link. */
export interface LinkMailContext extends MailContext {
  /** `<origin>/verify-email?token=…` or `<origin>/reset-password?token=…`. */
  link: string;
  /** How long the link works, in words (`24 hours`, `30 minutes`). */
  validFor: string;
}

/**
 * The mails account recovery sends. Override any of them (`new AccountRecovery({ templates: { … } })`); a
 * template must put the link in the text part on a line of its own, so mail clients can follow it.
 */
export interface MailTemplates {
  /** To the account's address: "confirm this is your address". */
  verifyEmail(context: LinkMailContext): MailContent;
  /** To a new address the user asked to change to: "confirm the change". */
  confirmEmailChange(context: LinkMailContext & { newEmail: string }): MailContent;
  /** To the old address, when a change is asked for: "someone asked to move this account". */
  emailChangeRequested(context: MailContext & { newEmail: string }): MailContent;
  /** "Reset your password". */
  resetPassword(context: LinkMailContext): MailContent;
  /** After a reset: "your password was changed". */
  passwordChanged(context: MailContext): MailContent;
  /** A registration with an address that has an account: "you already have an account". */
  alreadyRegistered(context: MailContext & { resetLink: string }): MailContent;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escape = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function page(origin: string, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${escape(p)}</p>`).join('\n');
  const button =
    link === undefined ? '' : `\n<p><a href="${escape(link.href)}">${escape(link.label)}</a></p>`;
  return (
    `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5">\n${body}${button}\n` +
    `<p style="color:#666">— ${escape(origin)}</p>\n</body></html>\n`
  );
}

function text(origin: string, paragraphs: string[], link?: string): string {
  const lines = [...paragraphs];
  if (link !== undefined) lines.splice(1, 0, link);
  return `${lines.join('\n\n')}\n\n— ${origin}\n`;
}

const IGNORE = 'If you did not ask for this, ignore this mail: nothing changes.';

/** The default mails: short, plain English, the origin named in each. */
export const DEFAULT_MAIL_TEMPLATES: MailTemplates = {
  verifyEmail: ({ origin, link, validFor }) => {
    const lines = [
      `Confirm your email address for ${origin} by opening this link:`,
      `The link works once, for ${validFor}. ${IGNORE}`,
    ];
    return {
      subject: `Confirm your email address for ${origin}`,
      text: text(origin, lines, link),
      html: page(origin, lines, { href: link, label: 'Confirm my address' }),
    };
  },
  confirmEmailChange: ({ origin, link, validFor, newEmail }) => {
    const lines = [
      `Confirm that ${newEmail} is the new address of your account at ${origin} by opening this link:`,
      `The link works once, for ${validFor}. ${IGNORE}`,
    ];
    return {
      subject: `Confirm your new email address for ${origin}`,
      text: text(origin, lines, link),
      html: page(origin, lines, { href: link, label: 'Confirm my new address' }),
    };
  },
  emailChangeRequested: ({ origin, newEmail }) => {
    const lines = [
      `Someone signed in to your account at ${origin} asked to change its email address to ${newEmail}.`,
      'The change happens only when the link sent to the new address is opened. If it was not you, change ' +
        'your password now.',
    ];
    return {
      subject: `A change of email address was asked for at ${origin}`,
      text: text(origin, lines),
      html: page(origin, lines),
    };
  },
  resetPassword: ({ origin, link, validFor }) => {
    const lines = [
      `Choose a new password for your account at ${origin} by opening this link:`,
      `The link works once, for ${validFor}. ${IGNORE}`,
    ];
    return {
      subject: `Reset your password for ${origin}`,
      text: text(origin, lines, link),
      html: page(origin, lines, { href: link, label: 'Choose a new password' }),
    };
  },
  passwordChanged: ({ origin }) => {
    const lines = [
      `The password of your account at ${origin} was just reset, and every session was signed out.`,
      `If it was not you, reset it again at ${origin}/forgot-password and check your mailbox's security.`,
    ];
    return {
      subject: `Your password for ${origin} was changed`,
      text: text(origin, lines),
      html: page(origin, lines),
    };
  },
  alreadyRegistered: ({ origin, resetLink }) => {
    const lines = [
      `Someone tried to register at ${origin} with this address, which already has an account.`,
      `If it was you, sign in, or choose a new password at ${resetLink}. ${IGNORE}`,
    ];
    return {
      subject: `You already have an account at ${origin}`,
      text: text(origin, lines),
      html: page(origin, lines),
    };
  },
};
