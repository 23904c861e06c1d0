/** A piece of HTML whose interpolated values were escaped (made only by {@link html}). */
export class Html {
  readonly #text: string;

  /** @internal Use the {@link html} tag. */
  constructor(text: string) {
    this.#text = text;
  }

  toString(): string {
    return this.#text;
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the five characters that matter in HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.toString();
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  if (Array.isArray(value)) return value.map(render).join('');
  // A promise (templates are synchronous) or any other object is a programming error, never `[object …]`.
  throw new TypeError('page templates take strings, numbers, html pieces and arrays of them');
}

/**
 * The pages' template tag: every interpolated string is escaped, nested `html` pieces are kept as they are,
 * arrays are joined, numbers written as they are, and `null`, `undefined` and booleans (the `cond && x`
 * idiom) write nothing; anything else (a promise, an object) throws `TypeError`. Quote every attribute value (`href="${url}"`): escaping protects quoted attributes
 * and text, not unquoted attributes or URLs' schemes.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}
