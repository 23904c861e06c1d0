import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ironSessionSource, jwtSource, LEGACY_JWT_ALGORITHMS } from 'cloakroom/migrate';

const cookieName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/, 'must be a cookie name');
const dotPath = z
  .string()
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'must be a dot path such as user.email');

const jwt = z.strictObject({
  kind: z.literal('jwt'),
  cookie: cookieName.optional(),
  bearer: z.boolean().optional(),
  algorithms: z.array(z.enum(LEGACY_JWT_ALGORITHMS)).min(1),
  secret: z.string().min(16).optional(),
  publicKeyPem: z.string().optional(),
  jwksUrl: z.url().optional(),
  issuer: z.string().min(1).optional(),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  emailClaim: dotPath.default('email'),
});
const iron = z.strictObject({
  kind: z.literal('iron-session'),
  cookie: cookieName,
  passwords: z.record(z.string().regex(/^\d+$/, 'password ids are numbers'), z.string().min(32)),
  emailField: dotPath.default('email'),
});
const express = z.strictObject({
  kind: z.literal('express-session'),
  cookie: cookieName.default('connect.sid'),
  secrets: z.array(z.string().min(1)).min(1),
  redisUrl: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
  prefix: z.string().default('sess:'),
  emailField: dotPath.default('user.email'),
});

const file = z.strictObject({
  acceptUntil: z.iso.datetime({ offset: true }).optional(),
  sources: z.array(z.discriminatedUnion('kind', [jwt, iron, express])).min(1),
});

/** The reference site's migration settings, from the JSON file named by `CLOAKROOM_MIGRATE_CONFIG`. */
export type MigrateConfig = z.infer<typeof file>;
export type MigrateSourceConfig = MigrateConfig['sources'][number];

/**
 * Reads and checks the migration file. Throws an `Error` whose message names `CLOAKROOM_MIGRATE_CONFIG` and
 * the field at fault (never a secret from the file).
 */
export function readMigrateFile(path: string): MigrateConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(
      `CLOAKROOM_MIGRATE_CONFIG: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`CLOAKROOM_MIGRATE_CONFIG: ${path} is not valid JSON`, { cause: error });
  }
  const parsed = file.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? '(file)' : fieldName(issue.path);
    throw new Error(`CLOAKROOM_MIGRATE_CONFIG: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  // The rules the sources themselves apply (one key kind, algorithms that fit it, a PEM that parses).
  parsed.data.sources.forEach((source, index) => {
    try {
      if (source.kind === 'jwt') jwtSource(jwtOptions(source));
      if (source.kind === 'iron-session') {
        ironSessionSource({
          cookie: source.cookie,
          passwords: source.passwords,
          userField: source.emailField,
        });
      }
    } catch (error) {
      throw new Error(`CLOAKROOM_MIGRATE_CONFIG: sources[${index}]: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
  return parsed.data;
}

/** The library options of a `jwt` source entry. */
export function jwtOptions(
  source: Extract<MigrateSourceConfig, { kind: 'jwt' }>,
): Parameters<typeof jwtSource>[0] {
  return {
    ...(source.cookie === undefined ? {} : { cookie: source.cookie }),
    bearer: source.bearer ?? false,
    algorithms: source.algorithms,
    ...(source.secret === undefined ? {} : { secret: source.secret }),
    ...(source.publicKeyPem === undefined ? {} : { publicKeyPem: source.publicKeyPem }),
    ...(source.jwksUrl === undefined ? {} : { jwksUrl: source.jwksUrl }),
    ...(source.issuer === undefined ? {} : { issuer: source.issuer }),
    ...(source.audience === undefined ? {} : { audience: source.audience }),
    userClaim: source.emailClaim,
  };
}

function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}
