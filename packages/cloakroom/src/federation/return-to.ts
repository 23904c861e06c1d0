/** The longest `returnTo` kept; anything longer is dropped. */
const MAX_RETURN_TO = 512;

/**
 * `value` if it is a local relative path to return to after sign-in, else `null`. Honoured: a path that
 * starts with a single `/` (not `//`, not `/\`, which browsers read as another host), with no control
 * characters or backslashes anywhere, of at most 512 characters. Everything else (absolute URLs,
 * `javascript:`, protocol-relative paths) is dropped, so the sign-in can never redirect off the site.
 *
 * @example
 * ```ts
 * safeReturnTo('/notes?x=1'); // '/notes?x=1'
 * safeReturnTo('//evil.example'); // null
 * ```
 */
export function safeReturnTo(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  // Backslashes and control characters (tabs and newlines are stripped by URL parsers) never appear in a
  // path we would produce ourselves.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return null;
  // The path must stay on this origin once resolved.
  const resolved = new URL(value, 'http://local.invalid');
  if (resolved.origin !== 'http://local.invalid') return null;
  return value;
}
