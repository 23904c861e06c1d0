import { createHash } from 'node:crypto';

/** A replay key: the source's name and a SHA-256 of what identifies the credential (never the credential). */
export function replayKey(source: string, ...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return `${source}:${hash.digest('base64url')}`;
}

/** The value at a dot path (`user.email`) in session data, or `undefined`. Own properties only. */
export function valueAt(data: unknown, path: readonly string[]): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A dot path option, checked. */
export function dotPath(value: unknown, field: string): string[] {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(value) ||
    value.length > 200
  ) {
    throw new TypeError(`${field} must be a dot path such as user.email`);
  }
  return value.split('.');
}
