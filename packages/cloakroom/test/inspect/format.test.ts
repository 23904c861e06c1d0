import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatReport } from '../../src/inspect/index.js';
import { craft, goodClaims, inspect, sign } from './support.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe('inspect text output', () => {
  test('shows the header, claims, ISO times, lifetime, part sizes, traffic, verification and findings', async () => {
    const token = await sign({ ...goodClaims(), email: 'ada@example.com' });
    const text = formatReport(await inspect(token), { color: false });
    for (const expected of [
      /^JWT \(signed, JWS\) · \d+ bytes$/m,
      /^Header \(\d+ B encoded\)$/m,
      /"alg": "EdDSA"/,
      /"email": "ada@example.com"/,
      /^ {2}iat {2}1767225540 {3}2025-12-31T23:59:00\.000Z$/m,
      /^ {2}exp {2}1767226140 {3}2026-01-01T00:09:00\.000Z$/m,
      /^ {2}lifetime {2}10 min$/m,
      /^ {2}expires in 9 min$/m,
      /^ {2}header +\d+ B$/m,
      /^ {2}payload +\d+ B$/m,
      /^ {2}signature +86 B$/m,
      new RegExp(`^  total +${token.length} B \\(dots included\\)$`, 'm'),
      /x a Cloakroom signed session cookie \(62 B\)/,
      new RegExp(
        `\\(${token.length - 62} B x 100,000 = ${((token.length - 62) * 100000).toLocaleString('en-US')} B\\)`,
      ),
      /assumes the token travels once per request, client to server/,
      /not verified \(give --jwks/,
      /^ {2}MEDIUM +personal_data_in_clear +personal data readable/m,
    ]) {
      assert.match(text, expected);
    }
    assert.doesNotMatch(text, ANSI);
  });

  test('colours only when asked', async () => {
    const report = await inspect(await sign(goodClaims()));
    assert.match(formatReport(report, { color: true }), ANSI);
  });

  test('control characters from a crafted token cannot reach the terminal', async () => {
    const report = await inspect(
      craft({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k' }, { ...goodClaims(), name: '\u001b[2J\u009b31m\u2028' }),
    );
    const text = formatReport(report, { color: false });
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\u001b\u009b\u2028]/);
    assert.match(text, /\\u001b\[2J\\u009b31m\\u2028/);
  });

  test('a JWE says its claims are encrypted; a session cookie says there is nothing to decode', async () => {
    const jwe = `${craft({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }, {}).split('.')[0]}.a.b.c.d`;
    assert.match(formatReport(await inspect(jwe), { color: false }), /encrypted: only the holder/);
    const session = 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCA';
    const text = formatReport(await inspect(session), { color: false });
    assert.match(text, /^Cloakroom session token · 62 bytes$/m);
    assert.match(text, /an opaque ticket: nothing to decode/);
    assert.doesNotMatch(text, /Traffic/);
    assert.match(text, /checked by the server that issued it/);
  });
});
