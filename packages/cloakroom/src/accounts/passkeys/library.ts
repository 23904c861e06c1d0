type SimpleWebAuthn = typeof import('@simplewebauthn/server');

let simpleWebAuthn: Promise<SimpleWebAuthn> | null = null;

/**
 * `@simplewebauthn/server` is an optional peer (only passkeys need it), loaded on first use, so
 * `cloakroom/accounts` imports without it installed.
 */
export function loadSimpleWebAuthn(): Promise<SimpleWebAuthn> {
  simpleWebAuthn ??= import('@simplewebauthn/server').catch((error: unknown) => {
    simpleWebAuthn = null;
    throw new Error(
      "cloakroom/accounts: passkeys need the optional peer '@simplewebauthn/server' (npm install @simplewebauthn/server)",
      { cause: error },
    );
  });
  return simpleWebAuthn;
}
