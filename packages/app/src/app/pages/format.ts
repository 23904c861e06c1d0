const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/** A moment for people, in UTC (the server does not know the reader's zone): `5 Mar 2025, 14:03 UTC`. */
export function formatDateTime(ms: number): string {
  return `${DATE_TIME.format(ms)} UTC`;
}

/** An ISO 8601 instant for `<time datetime>`. */
export function isoDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A client address for display: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) shown as plain IPv4. */
export function formatAddress(ip: string | null): string {
  if (ip === null || ip === '') return 'Unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

/** A wait in words, rounded up: `45 seconds`, `1 minute`, `15 minutes`, `2 hours`. */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return plural(whole, 'second');
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
