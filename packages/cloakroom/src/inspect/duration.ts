/** A duration in words for people: `45 s`, `15 min`, `2 h`, `1.5 h`, `30 days`, `2 years`. */
export function formatDuration(seconds: number): string {
  const abs = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (abs < 120) return `${sign}${round(abs)} s`;
  if (abs < 2 * 3600) return `${sign}${round(abs / 60)} min`;
  if (abs < 2 * 86400) return `${sign}${round(abs / 3600)} h`;
  if (abs < 730 * 86400) return `${sign}${round(abs / 86400)} days`;
  return `${sign}${round(abs / (365.25 * 86400))} years`;
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** A NumericDate (seconds since the epoch) as an ISO 8601 string, or `null` when it is not a usable date. */
export function isoDate(seconds: number): string | null {
  const date = new Date(seconds * 1000);
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}
