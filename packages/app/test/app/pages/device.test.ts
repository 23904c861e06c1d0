// The "your sessions" page's device summaries and the pages' formatting helpers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeUserAgent } from '../../../src/app/pages/device.js';
import { formatAddress, formatDateTime, formatWait } from '../../../src/app/pages/format.js';

test('user agents become short readable summaries', () => {
  const cases: [string | null, string][] = [
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      'Chrome 126 on Windows',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
      'Edge 126 on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0',
      'Firefox 128 on macOS',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Safari 17 on macOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari 17 on iPhone',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
      'Chrome 126 on iPad',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
      'Chrome 126 on Android',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      'Samsung Internet 25 on Android',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0',
      'Opera 111 on Linux',
    ],
    [
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      'Chrome 126 on ChromeOS',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
      'Headless Chrome 156 on Linux',
    ],
    ['curl/8.5.0', 'curl 8'],
    ['Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0', 'Browser on Linux'],
    ['node', 'Unknown browser'],
    ['', 'Unknown device'],
    [null, 'Unknown device'],
  ];
  for (const [userAgent, expected] of cases)
    assert.equal(describeUserAgent(userAgent), expected, String(userAgent));
});

test('a hostile user agent is summarised, never echoed', () => {
  assert.equal(describeUserAgent('<script>alert(1)</script>'), 'Unknown browser');
  assert.equal(describeUserAgent('x'.repeat(10_000)), 'Unknown browser');
});

test('times are shown in UTC, addresses without the IPv4-mapped prefix, waits in words', () => {
  assert.equal(formatDateTime(Date.UTC(2025, 2, 5, 14, 3)), '5 Mar 2025, 14:03 UTC');
  assert.equal(formatDateTime(Date.UTC(2025, 11, 31, 0, 0)), '31 Dec 2025, 00:00 UTC');
  assert.equal(formatAddress('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(formatAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(formatAddress(null), 'Unknown');
  assert.equal(formatWait(0.2), '1 second');
  assert.equal(formatWait(45), '45 seconds');
  assert.equal(formatWait(60), '1 minute');
  assert.equal(formatWait(61), '2 minutes');
  assert.equal(formatWait(15 * 60), '15 minutes');
  assert.equal(formatWait(3600), '1 hour');
  assert.equal(formatWait(5000), '2 hours');
});
