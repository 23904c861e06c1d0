/**
 * `Cookie` request-header vectors for reading the session cookie, after the parsing rules of RFC 6265bis
 * (draft-ietf-httpbis-rfc6265bis, section 5.4 and the cookie-string grammar of section 4.2.1): pairs split on
 * `;`, a pair without `=` is a nameless cookie (never ours), name and value are trimmed of spaces and tabs,
 * quotes are part of the value, and nothing is percent-decoded. On top of those rules Cloakroom refuses a
 * header that carries its cookie more than once (cookie tossing) and a value longer than 64 characters.
 *
 * `expected` is the exact value `readSessionCookie(header, name)` must give, or `null` for "no session".
 */
export interface CookieHeaderVector {
  readonly description: string;
  readonly header: string;
  /** The cookie name read; default {@link HOST_NAME}. */
  readonly name?: string;
  readonly expected: string | null;
}

export const HOST_NAME = '__Host-cloakroom';
export const PLAIN_NAME = 'cloakroom';

/** A value shaped like a signed token (62 characters); any token-shaped text will do for parsing. */
export const TOKEN = 'AAECAwQFBgcICQoL.DA0ODxAREhMUFRYXGBkaGw.HB0eHyAhIiMkJSYnKCkqKw';
/** A second token-shaped value, for duplicates. */
export const OTHER_TOKEN = 'LC0uLzAxMjM0NTY3.ODk6Ozw9Pj9AQUJDREVGRw.SElKS0xNTk9QUVJTVFVWVw';

export const cookieHeaderVectors: readonly CookieHeaderVector[] = [
  // Ordinary headers.
  { description: 'the cookie alone', header: `${HOST_NAME}=${TOKEN}`, expected: TOKEN },
  { description: 'among other cookies', header: `a=1; ${HOST_NAME}=${TOKEN}; b=2`, expected: TOKEN },
  { description: 'first of several', header: `${HOST_NAME}=${TOKEN}; a=1; b=2`, expected: TOKEN },
  { description: 'last of several', header: `a=1; b=2; ${HOST_NAME}=${TOKEN}`, expected: TOKEN },
  { description: 'no space after ;', header: `a=1;${HOST_NAME}=${TOKEN};b=2`, expected: TOKEN },
  {
    description: 'spaces around name and value',
    header: `a=1;   ${HOST_NAME}  =  ${TOKEN}   ; b=2`,
    expected: TOKEN,
  },
  {
    description: 'tabs around name and value',
    header: `a=1;\t${HOST_NAME}\t=\t${TOKEN}\t;b=2`,
    expected: TOKEN,
  },
  { description: 'trailing ;', header: `${HOST_NAME}=${TOKEN};`, expected: TOKEN },
  { description: 'lots of ;', header: `;;;;${HOST_NAME}=${TOKEN};;;;`, expected: TOKEN },
  { description: 'a thousand ; first', header: `${';'.repeat(1000)} ${HOST_NAME}=${TOKEN}`, expected: TOKEN },
  { description: 'empty pairs between', header: `a=1; ; ;${HOST_NAME}=${TOKEN}; ;`, expected: TOKEN },
  {
    description: 'the plain name on loopback',
    header: `${PLAIN_NAME}=${TOKEN}`,
    name: PLAIN_NAME,
    expected: TOKEN,
  },
  {
    description: 'the plain name beside the prefixed one',
    header: `${HOST_NAME}=${OTHER_TOKEN}; ${PLAIN_NAME}=${TOKEN}`,
    name: PLAIN_NAME,
    expected: TOKEN,
  },
  {
    description: 'non-ASCII in another cookie',
    header: `a=é☃\u{1F600}; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },
  {
    description: 'percent-encoding in another cookie',
    header: `a=%E0%A4%A; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },

  // Values taken verbatim.
  { description: 'empty value (a cleared cookie): no session', header: `${HOST_NAME}=`, expected: null },
  { description: 'empty value among others', header: `a=1; ${HOST_NAME}=; b=2`, expected: null },
  { description: 'quoted value keeps its quotes', header: `${HOST_NAME}="${TOKEN}"`, expected: `"${TOKEN}"` },
  { description: 'empty quoted value', header: `${HOST_NAME}=""`, expected: '""' },
  { description: 'value containing =', header: `${HOST_NAME}=${TOKEN}=`, expected: `${TOKEN}=` },
  { description: 'value that is all =', header: `${HOST_NAME}====`, expected: '===' },
  {
    description: 'percent-encoded value is not decoded',
    header: `${HOST_NAME}=AB%2ECD`,
    expected: 'AB%2ECD',
  },
  {
    description: 'malformed percent-encoding is kept',
    header: `${HOST_NAME}=%E0%A4%A`,
    expected: '%E0%A4%A',
  },
  { description: 'inner spaces are kept', header: `${HOST_NAME}= a b `, expected: 'a b' },
  { description: 'CR LF are not trimmed', header: `${HOST_NAME}=${TOKEN}\r\n`, expected: `${TOKEN}\r\n` },
  { description: 'NUL is not trimmed', header: `${HOST_NAME}=\0${TOKEN}`, expected: `\0${TOKEN}` },
  {
    description: 'comma does not separate cookies',
    header: `${HOST_NAME}=a,${HOST_NAME}=b`,
    expected: `a,${HOST_NAME}=b`,
  },
  {
    description: 'quotes do not protect a ;',
    header: `a="x; ${HOST_NAME}=${TOKEN}"`,
    expected: `${TOKEN}"`,
  },
  {
    description: 'value of exactly 64 characters',
    header: `${HOST_NAME}=${'A'.repeat(64)}`,
    expected: 'A'.repeat(64),
  },

  // No session.
  { description: 'empty header', header: '', expected: null },
  { description: 'only spaces', header: '   ', expected: null },
  { description: 'only ;', header: ';;;', expected: null },
  { description: 'only =', header: '=', expected: null },
  { description: 'other cookies only', header: 'a=1; b=2', expected: null },
  { description: 'our name without = (a nameless cookie)', header: HOST_NAME, expected: null },
  { description: 'our name without = among others', header: `a=1; ${HOST_NAME}; b=2`, expected: null },
  {
    description: 'nameless cookie whose value looks like ours',
    header: `=${HOST_NAME}=${TOKEN}`,
    expected: null,
  },
  { description: 'our name inside another value', header: `a=${HOST_NAME}=${TOKEN}`, expected: null },
  { description: 'longer name ending with ours', header: `x${HOST_NAME}=${TOKEN}`, expected: null },
  { description: 'longer name starting with ours', header: `${HOST_NAME}2=${TOKEN}`, expected: null },
  { description: 'longer name with a dash', header: `${HOST_NAME}-x=${TOKEN}`, expected: null },
  { description: 'longer name with a dot', header: `${HOST_NAME}.x=${TOKEN}`, expected: null },
  { description: 'name differs in case', header: `__host-cloakroom=${TOKEN}`, expected: null },
  { description: '__Secure- prefix is another name', header: `__Secure-cloakroom=${TOKEN}`, expected: null },
  {
    description: 'unprefixed name is another name on https',
    header: `${PLAIN_NAME}=${TOKEN}`,
    expected: null,
  },
  {
    description: 'prefixed name is another name on loopback',
    header: `${HOST_NAME}=${TOKEN}`,
    name: PLAIN_NAME,
    expected: null,
  },
  { description: 'name with NBSP before it', header: `a=1;\u00a0${HOST_NAME}=${TOKEN}`, expected: null },
  { description: 'name with a newline before it', header: `a=1;\n${HOST_NAME}=${TOKEN}`, expected: null },
  { description: 'oversize value (65)', header: `${HOST_NAME}=${'A'.repeat(65)}`, expected: null },
  { description: 'oversize value (100,000)', header: `${HOST_NAME}=${'A'.repeat(100_000)}`, expected: null },
  {
    description: 'oversize token-shaped value',
    header: `${HOST_NAME}=${TOKEN}.${TOKEN}`,
    expected: null,
  },

  // Longer names that contain ours are other cookies, and do not count as duplicates.
  {
    description: 'ours after a longer name ending with ours',
    header: `x${HOST_NAME}=${OTHER_TOKEN}; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },
  {
    description: 'ours before a longer name starting with ours',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}2=${OTHER_TOKEN}`,
    expected: TOKEN,
  },
  {
    description: 'ours after our name inside a value',
    header: `a=${HOST_NAME}=${OTHER_TOKEN}; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },
  {
    description: 'ours after a nameless lookalike',
    header: `=${HOST_NAME}=${OTHER_TOKEN}; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },
  {
    description: 'ours after our name without =',
    header: `${HOST_NAME}; ${HOST_NAME}=${TOKEN}`,
    expected: TOKEN,
  },

  // Duplicates: a sign of cookie tossing, whichever copy comes first.
  {
    description: 'duplicate, same value',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}=${TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, other value',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, no space',
    header: `${HOST_NAME}=${TOKEN};${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, many spaces',
    header: `${HOST_NAME}=${TOKEN};     ${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, tab',
    header: `${HOST_NAME}=${TOKEN};\t${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, space before =',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME} =${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, tab before =',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}\t=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, leading space',
    header: ` ${HOST_NAME} = ${TOKEN} ;${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, first copy empty',
    header: `${HOST_NAME}=; ${HOST_NAME}=${TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, second copy empty',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}=`,
    expected: null,
  },
  {
    description: 'duplicate, second copy oversize',
    header: `${HOST_NAME}=${TOKEN}; ${HOST_NAME}=${'A'.repeat(1000)}`,
    expected: null,
  },
  {
    description: 'duplicate, far apart',
    header: `${HOST_NAME}=${TOKEN}; ${'a=1; '.repeat(200)}${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  {
    description: 'duplicate, separated by ;;;',
    header: `${HOST_NAME}=${TOKEN};;;${HOST_NAME}=${OTHER_TOKEN}`,
    expected: null,
  },
  { description: 'triplicate', header: `${HOST_NAME}=a; ${HOST_NAME}=b; ${HOST_NAME}=c`, expected: null },
  {
    description: 'duplicate plain name on loopback',
    header: `${PLAIN_NAME}=${TOKEN}; ${PLAIN_NAME}=${OTHER_TOKEN}`,
    name: PLAIN_NAME,
    expected: null,
  },
];
