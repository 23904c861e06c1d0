/**
 * A short, readable summary of a user agent for the "your sessions" page, such as `Firefox 128 on Windows`
 * or `Safari on iPhone`. It only names what it recognises: a summary is a hint for the user, never a fact the
 * site relies on (the header is whatever the client chose to send).
 */
export function describeUserAgent(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'Unknown device';
  const browser = browserOf(userAgent);
  const system = systemOf(userAgent);
  if (browser === null && system === null) return 'Unknown browser';
  if (browser === null) return `Browser on ${system ?? ''}`;
  return system === null ? browser : `${browser} on ${system}`;
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\b(?:OPR|Opera)\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\bVivaldi\/(\d+)/, 'Vivaldi'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\b(?:Chrome|CriOS)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  [/^curl\/(\d+)/, 'curl'],
  [/^Wget\/(\d+)/, 'Wget'],
];

function browserOf(userAgent: string): string | null {
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(userAgent);
    if (match !== null) return match[1] === undefined ? name : `${name} ${match[1]}`;
  }
  return null;
}

// Order matters: iPhones and iPads say "like Mac OS X", Android says "Linux".
const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

function systemOf(userAgent: string): string | null {
  for (const [pattern, name] of SYSTEMS) if (pattern.test(userAgent)) return name;
  return null;
}
