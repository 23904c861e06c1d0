import { html as honoHtml } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** A piece of HTML whose interpolated values were escaped. */
export type Html = HtmlEscapedString;

/**
 * Hono's `html` tag (every interpolated string is escaped; nested `html` pieces are kept as they are),
 * narrowed to the synchronous templates the pages use: a promise among the values is a programming error.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = honoHtml(strings, ...values);
  if (out instanceof Promise) throw new TypeError('page templates must be synchronous');
  return out;
}
