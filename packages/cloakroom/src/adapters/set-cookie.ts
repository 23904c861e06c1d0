/**
 * One `Set-Cookie` per cookie name (RFC 6265 4.1.1: servers should not send two for one name), the last one
 * a request produced: signing in over a stale cookie first clears it and then sets the new session, and only
 * the new session must go out.
 */
export function lastPerCookie(setCookies: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const value of setCookies) {
    const name = value.slice(0, value.indexOf('='));
    byName.delete(name);
    byName.set(name, value);
  }
  return [...byName.values()];
}
