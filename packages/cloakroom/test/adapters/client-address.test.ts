// The client address behind trusted proxies (issue 15, finding 2): the right-most untrusted hop of the one
// configured header, only when the socket peer is a trusted proxy; garbage falls back to the peer.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  clientAddress,
  trustedProxies,
  type ForwardedHeader,
  type TrustedProxies,
} from '../../src/adapters/client-address.js';
import type { IncomingMessage } from 'node:http';
import { requestInfoOfNode } from '../../src/adapters/node.js';
import { params } from '../property/support.js';

const PROXIES = trustedProxies('10.0.0.0/8, 127.0.0.1/32,::1/128');
const headers =
  (values: Partial<Record<ForwardedHeader, string>>) =>
  (name: ForwardedHeader): string | null =>
    values[name] ?? null;
const xff = (value: string, peer = '10.0.0.1', proxies: TrustedProxies = PROXIES) =>
  clientAddress(peer, headers({ 'x-forwarded-for': value }), proxies);

describe('trustedProxies', () => {
  test('takes CIDR ranges and bare addresses, as a string or a list', () => {
    const proxies = trustedProxies(['192.168.0.0/16', '2001:db8::/32', '203.0.113.7']);
    assert.equal(proxies.trusts('192.168.4.5'), true);
    assert.equal(proxies.trusts('2001:db8::1'), true);
    assert.equal(proxies.trusts('203.0.113.7'), true);
    assert.equal(proxies.trusts('203.0.113.8'), false);
    assert.equal(proxies.trusts('not an ip'), false);
    assert.equal(trustedProxies('').trusts('127.0.0.1'), false);
  });

  test('anything that is not a CIDR range is a TypeError naming it', () => {
    for (const bad of [
      '10.0.0.0/33',
      '::1/129',
      '10.0.0/8',
      'localhost',
      '10.0.0.0/',
      '10.0.0.0/-1',
      'fe80::1%eth0/64',
    ]) {
      assert.throws(() => trustedProxies(bad), TypeError, bad);
    }
    assert.throws(() => trustedProxies('10.0.0.0/8', { header: 'x-real-ip' as ForwardedHeader }), TypeError);
  });
});

describe('clientAddress', () => {
  test('off (no trusted proxies), or a peer that is not trusted: the peer, headers ignored', () => {
    assert.equal(
      clientAddress('10.0.0.1', headers({ 'x-forwarded-for': '198.51.100.1' }), undefined),
      '10.0.0.1',
    );
    assert.equal(xff('198.51.100.1', '203.0.113.9'), '203.0.113.9');
    assert.equal(clientAddress(null, headers({ 'x-forwarded-for': '198.51.100.1' }), PROXIES), null);
  });

  test('X-Forwarded-For: the right-most hop that is not a trusted proxy', () => {
    assert.equal(xff('198.51.100.1'), '198.51.100.1');
    // The client wrote the left-most entry itself: it is not believed.
    assert.equal(xff('1.2.3.4, 198.51.100.1'), '198.51.100.1');
    assert.equal(xff('1.2.3.4, 198.51.100.1, 10.1.1.1,127.0.0.1'), '198.51.100.1');
    // Every hop trusted: the left-most one.
    assert.equal(xff('10.9.9.9, 10.1.1.1'), '10.9.9.9');
    assert.equal(xff('[2001:db8::5]:4711, 198.51.100.1:80'), '198.51.100.1');
    assert.equal(xff('2001:DB8::5'), '2001:db8::5');
  });

  test('IPv4-mapped IPv6 is IPv4, for the peer and the hops', () => {
    assert.equal(xff('::ffff:198.51.100.1', '::ffff:10.0.0.1'), '198.51.100.1');
    assert.equal(xff('::ffff:10.2.2.2, ::ffff:127.0.0.1', '::1'), '10.2.2.2');
  });

  test('Forwarded (RFC 7239) when configured: for= values, quoted, with ports, other parameters ignored', () => {
    const proxies = trustedProxies('10.0.0.0/8', { header: 'forwarded' });
    const forwarded = (value: string) =>
      clientAddress('10.0.0.1', headers({ forwarded: value, 'x-forwarded-for': '6.6.6.6' }), proxies);
    assert.equal(forwarded('for=198.51.100.1'), '198.51.100.1');
    assert.equal(
      forwarded('for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1'),
      '2001:db8:cafe::17',
    );
    assert.equal(forwarded('For="198.51.100.1:8080";proto=http, for=10.3.3.3'), '198.51.100.1');
    // The header that is not configured is never read: the client could have written it.
    assert.equal(xff('6.6.6.6', '10.0.0.1', proxies), '10.0.0.1');
    assert.equal(clientAddress('10.0.0.1', headers({ forwarded: 'for=198.51.100.1' }), PROXIES), '10.0.0.1');
  });

  test('garbage falls back to the peer', () => {
    const proxies = trustedProxies('10.0.0.0/8', { header: 'forwarded' });
    for (const value of [
      '',
      ' ',
      'unknown',
      'for=unknown',
      'for=_hidden',
      'for="1.2.3.4',
      'proto=https',
      'for=1.2.3.4;for=5.6.7.8',
      'for="a,b"',
    ]) {
      assert.equal(clientAddress('10.0.0.1', headers({ forwarded: value }), proxies), '10.0.0.1', value);
    }
    for (const value of [
      '',
      'garbage',
      '1.2.3.4, nope',
      '999.1.1.1',
      '[::1',
      '1.2.3.4:99999',
      'fe80::1%eth0',
      'x'.repeat(9000),
    ]) {
      assert.equal(xff(value), '10.0.0.1', value);
    }
    // Garbage left of the client's hop is never reached.
    assert.equal(xff('nope, 198.51.100.1'), '198.51.100.1');
  });

  test('property: never throws; the answer is the peer or a valid IP address', () => {
    const hop = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      fc.ipV6().map((ip) => `[${ip}]:443`),
      fc.constantFrom('10.1.2.3', '127.0.0.1', '::1', 'unknown', '_x', ''),
      fc.string({ maxLength: 12 }),
    );
    const xffValue = fc.oneof(
      fc.array(hop, { maxLength: 6 }).map((hops) => hops.join(', ')),
      fc.string(),
    );
    const forwardedValue = fc.oneof(
      fc.array(hop, { maxLength: 6 }).map((hops) => hops.map((h) => `for="${h}";proto=https`).join(',')),
      fc.string(),
    );
    const peer = fc.oneof(
      fc.constantFrom('10.0.0.1', '127.0.0.1', '::1', '::ffff:10.0.0.2'),
      fc.ipV4(),
      fc.ipV6(),
      fc.string(),
    );
    const proxies = [PROXIES, trustedProxies('10.0.0.0/8,::1/128', { header: 'forwarded' }), undefined];
    fc.assert(
      fc.property(peer, xffValue, forwardedValue, fc.nat(2), (from, x, f, which) => {
        const answer = clientAddress(from, headers({ 'x-forwarded-for': x, forwarded: f }), proxies[which]);
        assert.ok(answer === from || (answer !== null && isIP(answer) !== 0), String(answer));
      }),
      params(5000),
    );
  });
});

describe('requestInfoOfNode', () => {
  const req = (remoteAddress: string, forwardedFor: string) =>
    ({
      method: 'GET',
      headers: { 'x-forwarded-for': forwardedFor },
      socket: { remoteAddress },
    }) as unknown as IncomingMessage;

  test('the peer by default; the forwarded client with trustedProxies', () => {
    assert.equal(requestInfoOfNode(req('10.0.0.1', '198.51.100.1')).ip, '10.0.0.1');
    assert.equal(
      requestInfoOfNode(req('10.0.0.1', '6.6.6.6, 198.51.100.1'), { trustedProxies: PROXIES }).ip,
      '198.51.100.1',
    );
    assert.equal(
      requestInfoOfNode(req('203.0.113.1', '198.51.100.1'), { trustedProxies: PROXIES }).ip,
      '203.0.113.1',
    );
  });
});
