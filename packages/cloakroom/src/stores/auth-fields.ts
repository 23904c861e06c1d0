/**
 * The session's authentication fields (`authTime`, `amr`) as every store checks, packs and reads them, so
 * no store can be fed a value another store would refuse, and a record written before the fields existed
 * reads back the same everywhere: `authTime = createdAt`, `amr = []`.
 */

/** The most `amr` values a session keeps (RFC 8176 defines 17; a session uses two or three). */
export const MAX_AMR_VALUES = 8;
/** One `amr` value: a short token, so the list packs as one space-separated string in every store. */
const AMR_VALUE = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Checks an `amr` list and returns a frozen copy with duplicates removed (in first-seen order). Throws
 * `TypeError` (caller misuse) for anything else: not an array, more than {@link MAX_AMR_VALUES} distinct
 * values, or a value that is not 1–32 characters of letters, digits, `_`, `.` or `-`.
 */
export function checkAmr(amr: unknown): readonly string[] {
  if (!Array.isArray(amr)) throw new TypeError('amr must be an array of strings');
  const values: string[] = [];
  for (const value of amr as unknown[]) {
    if (typeof value !== 'string' || !AMR_VALUE.test(value)) {
      throw new TypeError('amr values must be 1-32 characters of letters, digits, _, . or -');
    }
    if (!values.includes(value)) values.push(value);
  }
  if (values.length > MAX_AMR_VALUES) throw new TypeError(`amr must have at most ${MAX_AMR_VALUES} values`);
  return Object.freeze(values);
}

/** Checks `authTime` (a whole, non-negative number of ms) and `amr` of a record about to be written. */
export function checkAuthFields(record: { authTime: number; amr: readonly string[] }): readonly string[] {
  const { authTime } = record;
  if (!Number.isSafeInteger(authTime) || authTime < 0) {
    throw new TypeError('authTime must be a whole, non-negative number of milliseconds');
  }
  return checkAmr(record.amr);
}

/** The `amr` list as stored: its values joined by single spaces (`''` for none). */
export function encodeAmr(amr: readonly string[]): string {
  return checkAmr(amr).join(' ');
}

/**
 * The `amr` list of a stored value; `null`/`undefined` (a record from before the field) is `[]`. A stored
 * value that is not a valid list is an error (the store's read fails), never a session with odd methods.
 */
export function decodeAmr(stored: string | null | undefined): readonly string[] {
  if (stored === null || stored === undefined || stored === '') return Object.freeze([]);
  try {
    return checkAmr(stored.split(' '));
  } catch {
    throw new Error('malformed session record (amr)');
  }
}

/** The stored `authTime`, or `createdAt` for a record from before the field. */
export function decodeAuthTime(stored: unknown, createdAt: number): number {
  if (stored === null || stored === undefined) return createdAt;
  const value = typeof stored === 'string' ? Number(stored) : stored;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error('malformed session record (authTime)');
  }
  return value;
}
