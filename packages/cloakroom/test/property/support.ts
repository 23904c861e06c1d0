/**
 * Shared pieces of the property-based tests: the fixed seed, a store that counts its calls, and the
 * arbitraries for hostile strings, cookie headers and near-miss tokens.
 */
import fc from 'fast-check';
import { Keyring } from '../../src/session/keyring.js';
import type { SessionRecord, SessionStore, SessionTouch, StoredSession } from '../../src/stores/types.js';

/**
 * Every property runs from this seed, so a run is reproducible; fast-check prints the seed and the
 * counterexample's path when a property fails. Set `FC_SEED` to explore other inputs.
 */
export const SEED = Number(process.env.FC_SEED ?? 20260101);

export function params(numRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns };
}

export const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A fixed time for the injected clocks: nothing here waits. */
export const T0 = Date.UTC(2026, 0, 1);

/** A store that forwards to another and counts the calls the session layer makes. */
export class CountingStore<U> implements SessionStore<U> {
  readonly calls = { get: 0, create: 0, touch: 0, replace: 0, delete: 0 };
  readonly #inner: SessionStore<U>;

  constructor(inner: SessionStore<U>) {
    this.#inner = inner;
  }

  get(id: string): Promise<StoredSession<U> | null> {
    this.calls.get++;
    return this.#inner.get(id);
  }

  create(session: SessionRecord): Promise<void> {
    this.calls.create++;
    return this.#inner.create(session);
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    this.calls.touch++;
    return this.#inner.touch(id, touch);
  }

  replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    this.calls.replace++;
    return this.#inner.replace(id, version, next);
  }

  delete(id: string): Promise<void> {
    this.calls.delete++;
    return this.#inner.delete(id);
  }

  /** Calls that change the store. */
  get writes(): number {
    return this.calls.create + this.calls.replace + this.calls.delete;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hostile strings.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const controlChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\x7f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u200b'),
);
/** Characters that mean something to cookie, token or origin parsers. */
const syntaxChar = fc.constantFrom(
  ';',
  '=',
  '%',
  '"',
  "'",
  ' ',
  '\t',
  '.',
  ',',
  '\\',
  ':',
  '/',
  '+',
  '-',
  '_',
);
/** A character whose low byte is an ASCII token character but which is not ASCII. */
const highByteTwin = fc
  .tuple(fc.constantFrom(...B64URL_ALPHABET), fc.integer({ min: 1, max: 0xff }))
  .map(([c, high]) => String.fromCharCode(c.charCodeAt(0) + high * 0x100));

/** One character of any kind: full Unicode, lone surrogates, control characters, syntax characters. */
export const anyChar: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
  loneSurrogate,
  controlChar,
  syntaxChar,
  highByteTwin,
  fc.constantFrom(...B64URL_ALPHABET),
);

/** Arbitrary text: full Unicode, ASCII with control characters, graphemes, and syntax-heavy mixes. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: anyChar, maxLength: 80 }),
);

export function base64url(length: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...B64URL_ALPHABET), minLength: length, maxLength: length });
}

/** Random strings with the exact shape of a token (unsigned or signed), and nearly that shape. */
export const tokenShaped: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(base64url(16), base64url(22)).map(([id, secret]) => `${id}.${secret}`),
  fc.tuple(base64url(16), base64url(22), base64url(22)).map(([id, secret, mac]) => `${id}.${secret}.${mac}`),
  // A store's tagged ids (Redis): 18 characters, and the 17- and 19-character near misses.
  fc
    .tuple(fc.constantFrom(17, 18, 19), base64url(22), base64url(22))
    .chain(([length, secret, mac]) => base64url(length).map((id) => `${id}.${secret}.${mac}`)),
  fc
    .tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 24 }))
    .chain(([a, b, c]) => fc.tuple(base64url(a), base64url(b), base64url(c)))
    .map((parts) => parts.join('.')),
);

// ---------------------------------------------------------------------------------------------------------
// Near-miss tokens: genuine tokens bent slightly.

const FOREIGN_KEYS = [new Keyring(['f'.repeat(32)]), new Keyring([Buffer.alloc(32, 7)])];

function respellLast(part: string, spare: number): string {
  const last = B64URL_ALPHABET.indexOf(part.at(-1) ?? '');
  if (last === -1) return `${part}A`;
  return part.slice(0, -1) + B64URL_ALPHABET[(last & 0b110000) | spare]!;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** A change that turns one token into another string, given the other genuine tokens to borrow parts from. */
type Mutation = (token: string, others: readonly string[]) => string;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Replace one character with a different one.
  fc.tuple(fc.nat(), anyChar).map(([at, c]): Mutation => (token) => {
    const i = at % token.length;
    const replacement = c === token[i] ? B64URL_ALPHABET[(B64URL_ALPHABET.indexOf(c) + 1) % 64]! : c;
    return token.slice(0, i) + replacement + token.slice(i + 1);
  }),
  // Insert one character.
  fc.tuple(fc.nat(), anyChar).map(([at, c]): Mutation => (token) => {
    const i = at % (token.length + 1);
    return token.slice(0, i) + c + token.slice(i);
  }),
  // Remove one character.
  fc.nat().map((at): Mutation => (token) => {
    const i = at % token.length;
    return token.slice(0, i) + token.slice(i + 1);
  }),
  // Swap the parts around.
  fc.nat().map((pick): Mutation => (token) => {
    const parts = token.split('.');
    if (parts.length > 4) return parts.reverse().join('.');
    const others = permutations(parts).filter((p) => p.join('.') !== token);
    return others.length === 0 ? `${token}.` : others[pick % others.length]!.join('.');
  }),
  // Sign the payload with a key the manager does not have.
  fc.nat().map((pick): Mutation => (token) => {
    const payload = token.split('.').slice(0, 2).join('.');
    return `${payload}.${FOREIGN_KEYS[pick % FOREIGN_KEYS.length]!.sign(payload)}`;
  }),
  // Borrow the MAC, the secret or the id of another genuine token.
  fc.tuple(fc.nat(), fc.constantFrom(0, 1, 2)).map(([pick, part]): Mutation => (token, others) => {
    const donor = others[pick % others.length]!.split('.');
    const parts = token.split('.');
    if (donor[part] === undefined) return `${token}.${donor[0]!}`;
    parts[part] = donor[part];
    return parts.join('.');
  }),
  // Drop the MAC, or add one where there was none.
  fc.constant<Mutation>((token) => {
    const parts = token.split('.');
    return parts.length === 3 ? parts.slice(0, 2).join('.') : `${token}.${FOREIGN_KEYS[0]!.sign(token)}`;
  }),
  // The same bytes spelt differently: the last character's spare bits, in the secret or the MAC.
  fc
    .tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(1, 2))
    .map(([spare, part]): Mutation => (token) => {
      const parts = token.split('.');
      const index = parts[part] === undefined ? parts.length - 1 : part;
      parts[index] = respellLast(parts[index] ?? '', spare);
      return parts.join('.');
    }),
  // Standard base64 instead of base64url, and padding.
  fc.constant<Mutation>((token) => {
    const standard = token.replaceAll('-', '+').replaceAll('_', '/');
    return standard === token ? `${token}==` : standard;
  }),
  // Flip the case of one letter.
  fc.nat().map((at): Mutation => (token) => {
    const letters: number[] = [];
    for (let j = 0; j < Math.min(token.length, 200); j++) if (/[A-Za-z]/.test(token[j]!)) letters.push(j);
    const i = letters[at % letters.length];
    if (i === undefined) return `${token}a`;
    const c = token[i]!;
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    return token.slice(0, i) + flipped + token.slice(i + 1);
  }),
  // Wrap it: whitespace, quotes, separators, percent-encoding.
  fc.constantFrom(' ', '\t', '\n', '"', ';', '=', '%20', '\0', '\u00a0', '\ufeff').chain((w) =>
    fc.constantFrom<Mutation>(
      (t) => w + t,
      (t) => t + w,
      (t) => w + t + w,
    ),
  ),
  fc.nat().map((at): Mutation => (token) => {
    const i = at % token.length;
    return `${token.slice(0, i)}%${token.charCodeAt(i).toString(16).toUpperCase()}${token.slice(i + 1)}`;
  }),
  // Huge: repeated, or padded far past any token length.
  fc.integer({ min: 2, max: 2000 }).map(
    (n): Mutation =>
      (token) =>
        token.length < 1000 ? token.repeat(n) : token + token,
  ),
  fc.tuple(fc.integer({ min: 1, max: 100_000 }), anyChar).map(
    ([n, c]): Mutation =>
      (token) =>
        token + c.repeat(n),
  ),
);

/**
 * Strings close to one of `genuine`: one to three mutations applied in turn. A run of mutations can cancel out,
 * so callers must compare the result with the genuine tokens rather than assume it differs.
 */
export function nearMissToken(genuine: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...genuine), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([token, mutations]) => mutations.reduce((value, mutate) => mutate(value, genuine), token));
}

// ---------------------------------------------------------------------------------------------------------
// Cookie headers.

/** `Cookie` headers built from cookie-ish fragments around `name`, carrying any of `values`. */
export function cookieHeader(name: string, values: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const separator = fc.constantFrom(';', '; ', ';;', ' ; ', ';\t', '\t', ' ', '', ',', ';;;;;;');
  const pairName = fc.oneof(
    { weight: 4, arbitrary: fc.constant(name) },
    fc.constantFrom(
      `x${name}`,
      `${name}2`,
      `${name}-`,
      `__Host-${name}`,
      name.toLowerCase(),
      name.toUpperCase(),
      name.slice(1),
      name.slice(0, -1),
      ` ${name}`,
      `${name} `,
      `\t${name}\t`,
      `\u00a0${name}`,
      `"${name}"`,
      '',
      'a',
      'theme',
    ),
    anyString,
  );
  const pair = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(pairName, values).map(([n, v]) => `${n}=${v}`) },
    pairName,
    fc.tuple(pairName, values).map(([n, v]) => `${n}="${v}"`),
    fc.tuple(pairName, values, values).map(([n, v, w]) => `${n}=${v}=${w}`),
  );
  const piece = fc.oneof(
    { weight: 5, arbitrary: pair },
    separator,
    fc.constantFrom('=', '"', '%', '%2E', '\\', '\r\n', '\0', name, `${name}=`, `=${name}=`),
    anyString,
  );
  return fc.array(fc.tuple(piece, separator), { maxLength: 10 }).map((items) => items.flat().join(''));
}
