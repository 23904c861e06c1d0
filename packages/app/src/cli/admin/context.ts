import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Option } from 'commander';
import { pino } from 'pino';
import { StoreUnavailableError } from 'cloakroom';
import { normalizeEmail, type UserRecord } from 'cloakroom/accounts';
import type { AppConfig } from '../../app/config.js';
import { MissingPackageError } from '../../app/optional.js';
import { loadOrCreateSecrets } from '../../app/secrets.js';
import { createServices, type AppServices } from '../../app/services.js';
import { serverConfig } from '../clients.js';

/**
 * The exit codes of `cloakroom admin` (docs/admin.md): scripts branch on them, so they never change meaning.
 */
export const EXIT = {
  ok: 0,
  /** Anything else that went wrong (the message says what). */
  failure: 1,
  /** Bad arguments or configuration, or a destructive command without `--yes` when stdin is not a terminal. */
  usage: 2,
  /** No such user or session. */
  notFound: 3,
  /** A store (database, Redis) did not answer. */
  storeUnavailable: 4,
  /** The operator answered "no" at the confirmation prompt: nothing changed. */
  cancelled: 5,
} as const;

/** A refusal with its exit code and a one-line message (never a stack, a token or a password). */
export class AdminExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The flags every admin command takes. */
export interface AdminFlags {
  dataDir?: string;
  json?: boolean;
  yes?: boolean;
}

export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'the data folder of the server (default: CLOAKROOM_DATA_DIR or ./data)');
export const jsonOption = () => new Option('--json', 'print JSON (stable shapes: docs/admin.md)');
export const yesOption = () =>
  new Option('--yes', 'do it without asking (required when stdin is not a terminal)');

/** The site's services, opened from the same environment as `cloakroom serve`, and how to print. */
export interface AdminContext {
  config: AppConfig;
  services: AppServices;
  json: boolean;
  /** Prints `human` as text, or `data` as JSON with `--json`. */
  print: (human: string, data: unknown) => void;
}

/**
 * Runs one admin command: opens the site's services where `cloakroom serve` keeps them (the same
 * environment and `--data-dir`), runs `work`, closes everything, and ends the process with the documented
 * exit code. A failure prints one line on stderr: never a stack trace.
 */
export async function runAdmin(
  flags: AdminFlags,
  fail: (message: string) => never,
  work: (context: AdminContext) => Promise<void>,
  options: { onMailError?: () => void } = {},
): Promise<void> {
  const config = serverConfig(flags, fail);
  let services: AppServices | null = null;
  let code: number = EXIT.ok;
  try {
    services = await openServices(config, options.onMailError);
    const json = flags.json === true;
    await work({
      config,
      services,
      json,
      print: (human, data) => {
        console.log(json ? JSON.stringify(data, null, 2) : human);
      },
    });
  } catch (error) {
    code = exitCodeOf(error);
    console.error(`cloakroom: ${messageOf(error)}`);
  } finally {
    await services?.close().catch(() => {});
  }
  // Open connections (a Redis client reconnecting, a pool) must not keep a finished command alive.
  process.exit(code);
}

async function openServices(config: AppConfig, onMailError?: () => void): Promise<AppServices> {
  // The server's data folder holds its secrets and signing keys: without it, this is not the server's
  // configuration, and opening services would create a new, empty site instead.
  if (!existsSync(join(config.dataDir, 'secrets.json'))) {
    throw new AdminExit(
      EXIT.usage,
      `${config.dataDir} is not the data folder of a Cloakroom server (no secrets.json): give --data-dir ` +
        'or CLOAKROOM_DATA_DIR as for `cloakroom serve`',
    );
  }
  // The admin process never sets a cookie; it needs the keys only to build the session manager.
  const secrets = loadOrCreateSecrets(config.dataDir);
  const keys = secrets.sessionKeys;
  try {
    return await createServices({
      config,
      sessionKeys: keys.length > 0 ? keys : [randomBytes(32).toString('base64url')],
      mfaKeys: secrets.mfaKeys,
      log: pino({ level: 'silent' }),
      // A command waits for its mail: two retries, not four spread over half a minute.
      mailRetryDelaysMs: [500, 2000],
      ...(onMailError === undefined ? {} : { onMailError }),
    });
  } catch (error) {
    if (error instanceof MissingPackageError || error instanceof AdminExit) throw error;
    throw new AdminExit(EXIT.storeUnavailable, `store unavailable: ${messageOf(error)}`);
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof AdminExit) return error.exitCode;
  if (error instanceof StoreUnavailableError) return EXIT.storeUnavailable;
  return EXIT.failure;
}

function messageOf(error: unknown): string {
  if (error instanceof StoreUnavailableError) return `store unavailable: ${error.message}`;
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error && error.message !== '' ? error.message : 'unknown error';
}

/**
 * The account `who` names: a user id, or an email address (normalized as at sign-in). No such account:
 * exit 3.
 */
export async function findUser(services: AppServices, who: string): Promise<UserRecord> {
  const byId = await services.users.findById(who);
  if (byId !== null) return byId;
  if (who.includes('@')) {
    let email: string | null = null;
    try {
      email = normalizeEmail(who);
    } catch {
      // Not an address after all: reported as not found below.
    }
    const byEmail = email === null ? null : await services.users.findByEmail(email);
    if (byEmail !== null) return byEmail;
  }
  throw new AdminExit(EXIT.notFound, `no account with the id or email ${JSON.stringify(who)}`);
}

/**
 * Asks before a destructive change. `--yes` skips the question; without it, stdin must be a terminal
 * (exit 2 otherwise: a script must say `--yes`), and any answer but "y"/"yes" cancels (exit 5), Ctrl+C and
 * Ctrl+D at the prompt included. The question
 * goes to stderr, so `--json` output on stdout stays clean.
 */
export async function confirm(flags: AdminFlags, question: string): Promise<void> {
  if (flags.yes === true) return;
  if (!process.stdin.isTTY) {
    throw new AdminExit(
      EXIT.usage,
      'refusing to change anything without confirmation: stdin is not a terminal, so pass --yes',
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  let answer = '';
  try {
    answer = await prompt.question(`${question} [y/N] `);
  } catch {
    // Ctrl+C or Ctrl+D at the prompt (readline rejects with an AbortError): no answer, so not yes.
  } finally {
    prompt.close();
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new AdminExit(EXIT.cancelled, 'cancelled: nothing changed');
}

/** `1 session`, `2 sessions`, `0 refresh-token families`: a count and its noun, for the text output. */
export const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`;

/** A time for people and scripts alike: ISO 8601 in UTC. */
export const iso = (ms: number) => new Date(ms).toISOString();
