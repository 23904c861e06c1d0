// The pages' template tag: what is interpolated is escaped exactly once, whatever it contains.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, html } from '../../../src/app/pages/markup.js';

const unescape = (text: string) =>
  text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');

test('interpolated strings are escaped: text and quoted attributes', () => {
  const hostile = `"><script>alert('x')</script>&amp;`;
  assert.equal(
    html`<a title="${hostile}">${hostile}</a>`.toString(),
    '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;">' +
      '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;</a>',
  );
});

test('nested pieces are not escaped twice; arrays are joined; numbers, null, undefined and booleans', () => {
  const items = ['<a>', 'b&c'].map((item) => html`<li>${item}</li>`);
  assert.equal(
    html`<ul>
      ${items}
    </ul>`
      .toString()
      .replace(/\s+/g, ''),
    '<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>',
  );
  assert.equal(html`${1.5}|${null}|${undefined}|${false}|${true}|${''}`.toString(), '1.5|||||');
});

test('a promise or another object is a programming error, never written as [object …]', () => {
  assert.throws(() => html`${Promise.resolve('x')}`, TypeError);
  assert.throws(() => html`${{ toString: () => '<b>' }}`, TypeError);
});

test('any string survives escaping unchanged in meaning and never leaves markup characters', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      const escaped = escapeHtml(text);
      assert.doesNotMatch(escaped, /[<>"']/);
      assert.doesNotMatch(escaped, /&(?!amp;|lt;|gt;|quot;|#39;)/);
      assert.equal(unescape(escaped), text);
      assert.equal(html`${text}`.toString(), escaped);
    }),
  );
});
