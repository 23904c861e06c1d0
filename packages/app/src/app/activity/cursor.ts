import { ApiError } from '../http/errors.js';
import type { ActivityPosition } from './types.js';

/**
 * The `next` cursor of `GET /api/activity`: opaque to clients (base64url of the last event's time and id).
 * It only narrows the signed-in user's own events, so a forged one shows nothing it should not.
 */
export function encodeCursor(position: ActivityPosition): string {
  return Buffer.from(`${position.at}.${position.id}`, 'utf8').toString('base64url');
}

const CURSOR = /^[A-Za-z0-9_-]{1,64}$/;
const POSITION = /^(\d{1,15})\.(\d{1,15})$/;

/** The position a `before` cursor names; 400 `invalid_cursor` for anything this site did not make. */
export function decodeCursor(cursor: string): ActivityPosition {
  const match = CURSOR.test(cursor) ? POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (match === null) throw invalidCursor();
  const at = Number(match[1]);
  const id = Number(match[2]);
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id)) throw invalidCursor();
  return { at, id };
}

const invalidCursor = () =>
  new ApiError(400, 'invalid_cursor', 'The cursor is not one this site gave; start from the first page.');
