// Shared pieces of the security-event tests: a site whose event stream is recorded, and the check that no
// event and no log line carries a secret the test used.
import assert from 'node:assert/strict';
import type { SecurityEvent, SecurityEventType } from 'cloakroom/events';
import type { TestApp } from '../../helpers/app.js';

/** Every event the site emits from now on, in order. */
export function recordEvents(app: TestApp): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  app.services.events.subscribe((event) => {
    events.push(event);
  });
  return events;
}

/** The events of one type, asserting there is at least one. */
export function eventsOf<T extends SecurityEventType>(
  events: readonly SecurityEvent[],
  type: T,
): Extract<SecurityEvent, { type: T }>[] {
  const found = events.filter((event): event is Extract<SecurityEvent, { type: T }> => event.type === type);
  assert.ok(found.length > 0, `a ${type} event among ${events.map((event) => event.type).join(', ')}`);
  return found;
}

/** Asserts that none of `secrets` (passwords, cookie values, tokens, client secrets) is in `text`. */
export function assertNoSecrets(text: string, secrets: Iterable<string | null | undefined>): void {
  let checked = 0;
  for (const secret of secrets) {
    if (secret === null || secret === undefined || secret.length < 8) continue;
    checked += 1;
    assert.ok(!text.includes(secret), `a secret (${secret.length} characters) is in the events or the log`);
    // Nor a token's secret or signature half alone (parts of 20+ characters; a session token's first part
    // is its 16-character public id, which events carry as `sessionId`).
    for (const part of secret.split('.')) {
      if (part.length >= 20) assert.ok(!text.includes(part), 'part of a token is in the events or the log');
    }
  }
  assert.ok(checked > 0, 'some secrets were checked');
}
