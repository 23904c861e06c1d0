import { Command, InvalidArgumentError, Option } from 'commander';
import {
  buildReport,
  decodeToken,
  extractToken,
  formatReport,
  InspectError,
  isAtLeast,
  loadJwks,
  loadKey,
  MAX_INPUT_BYTES,
  measureSessionCookie,
  SEVERITIES,
  verifyToken,
  type KeySource,
  type Severity,
  type VerificationResult,
} from 'cloakroom/inspect';

interface InspectFlags {
  jwks?: string;
  key?: string;
  alg?: string[];
  issuer?: string;
  audience?: string;
  requests: number;
  cookie?: string;
  json?: boolean;
  failOn?: Severity;
}

/**
 * Exit codes: 0 done, 1 a finding at or above --fail-on or a verification asked for that did not pass, 2 usage
 * or unreadable input.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function requestCount(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('a whole number of requests, e.g. 100000');
  return Number(value);
}

function algorithmList(value: string): string[] {
  const list = value
    .split(',')
    .map((alg) => alg.trim())
    .filter((alg) => alg.length > 0);
  if (list.length === 0) throw new InvalidArgumentError('a comma-separated list, e.g. EdDSA,ES256');
  if (list.some((alg) => alg.toLowerCase() === 'none')) {
    throw new InvalidArgumentError('"none" is never an acceptable algorithm');
  }
  return list;
}

/** The `cloakroom inspect` command: decode, verify and audit a JWT, JWE or session cookie. */
export function inspectCommand(): Command {
  const command = new Command('inspect')
    .description(
      'Decode a JWT or JWE without trusting it, verify it against a JWKS or key, and audit it: algorithm,\n' +
        'lifetime, missing claims, data readable in clear, size against a Cloakroom session cookie and the\n' +
        'extra traffic it costs. Accepts a bare token, an "Authorization: Bearer" header, a Cookie header or\n' +
        'a name=value pair; reads stdin when the argument is "-" or absent (prefer stdin: arguments end up\n' +
        'in shell history and process lists).\n\n' +
        'Exit codes: 0 done; 1 a finding at or above --fail-on, or --jwks/--key given and the token not\n' +
        'valid; 2 usage error or unreadable input.',
    )
    .argument('[token]', 'the token, cookie or header; "-" or nothing to read stdin')
    .option('--jwks <url|file>', 'verify with this JWKS (https URL, http on loopback, or a JSON file)')
    .option('--key <file>', 'verify with this key: PEM public key or certificate, JWK, or JWKS file')
    .option('--alg <list>', 'algorithms allowed when verifying (default: those of the key)', algorithmList)
    .option('--issuer <iss>', 'required iss when verifying')
    .option('--audience <aud>', 'required aud when verifying')
    .option('--requests <n>', 'requests a month for the traffic projection', requestCount, 100_000)
    .option('--cookie <name>', 'inspect this cookie of a Cookie header (default: the first holding a token)')
    .option('--json', 'print one JSON object (the report) instead of text')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(SEVERITIES),
    )
    .showHelpAfterError()
    .exitOverride((error) => {
      // Commander's own errors (unknown option, bad value) are usage errors: exit 2, help stays 0.
      process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    })
    .action(async (token: string | undefined, flags: InspectFlags) => {
      try {
        process.exitCode = await runInspect(token, flags, command);
      } catch (error) {
        // Bad input or key material: a clear message, no stack. Anything else is a bug, reported by name only.
        const message =
          error instanceof InspectError
            ? error.message
            : `unexpected ${error instanceof Error ? error.name : 'error'}`;
        process.stderr.write(`cloakroom inspect: ${message}\n`);
        process.exitCode = EXIT.usage;
      }
    });
  return command;
}

async function runInspect(token: string | undefined, flags: InspectFlags, command: Command): Promise<number> {
  if (flags.jwks !== undefined && flags.key !== undefined) {
    command.error('cloakroom inspect: give --jwks or --key, not both', { exitCode: EXIT.usage });
  }
  const input = await readInput(token, command);
  const found = extractToken(input, flags.cookie === undefined ? {} : { cookieName: flags.cookie });
  const decoded = decodeToken(found);
  const source = await keySource(flags);
  let verification: VerificationResult | undefined;
  if (source !== null) {
    verification = await verifyToken(found, {
      source,
      ...(flags.alg === undefined ? {} : { algorithms: flags.alg }),
      ...(flags.issuer === undefined ? {} : { issuer: flags.issuer }),
      ...(flags.audience === undefined ? {} : { audience: flags.audience }),
    });
  }
  const report = buildReport(found, decoded, {
    requests: flags.requests,
    now: Math.floor(Date.now() / 1000),
    cookie: await measureSessionCookie(),
    ...(verification === undefined ? {} : { verification }),
  });
  process.stdout.write(
    flags.json === true
      ? `${JSON.stringify(report, null, 2)}\n`
      : formatReport(report, { color: useColor() }),
  );
  const threshold = flags.failOn;
  const failing = threshold !== undefined && report.findings.some((f) => isAtLeast(f.severity, threshold));
  // Asking to verify is asking to fail unless the token verifies: invalid, and unverifiable (a JWE, a session).
  const unverified = report.verification.status !== 'skipped' && report.verification.status !== 'valid';
  return failing || unverified ? EXIT.failed : EXIT.ok;
}

async function keySource(flags: InspectFlags): Promise<KeySource | null> {
  if (flags.jwks !== undefined) return loadJwks(flags.jwks);
  if (flags.key !== undefined) return loadKey(flags.key);
  return null;
}

async function readInput(token: string | undefined, command: Command): Promise<string> {
  if (token !== undefined && token !== '-') return token;
  if (token === undefined && process.stdin.isTTY) {
    command.error('cloakroom inspect: give a token, or pipe one in (e.g. pbpaste | cloakroom inspect)', {
      exitCode: EXIT.usage,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES)
      throw new InspectError('no_token', `stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Colour only for a terminal, and never when NO_COLOR is set to anything (https://no-color.org).
function useColor(): boolean {
  const noColor = process.env.NO_COLOR;
  return process.stdout.isTTY && (noColor === undefined || noColor === '') && process.env.TERM !== 'dumb';
}
