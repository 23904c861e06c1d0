import { readFileSync } from 'node:fs';
import { parseProviderList, type ProviderSettings } from 'cloakroom/federation';

/**
 * Reads the provider list from the JSON file named by `CLOAKROOM_OIDC_CONFIG`. Throws an `Error` whose
 * message names the variable and the problem (never a secret from the file) when the file cannot be read,
 * is not JSON, or does not match the contract.
 */
export function readProvidersFile(path: string): ProviderSettings[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(
      `CLOAKROOM_OIDC_CONFIG: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The parser's message may quote the file's content (a secret): only the cause keeps it.
    throw new Error(`CLOAKROOM_OIDC_CONFIG: ${path} is not valid JSON`, { cause: error });
  }
  try {
    return parseProviderList(json);
  } catch (error) {
    throw new Error(`CLOAKROOM_OIDC_CONFIG: ${(error as Error).message}`, { cause: error });
  }
}
