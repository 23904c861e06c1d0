import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importBackend, MissingPackageError } from '../../src/app/optional.js';

test('a missing optional package is one line that names it and says how to install it', async () => {
  await assert.rejects(importBackend('cloakroom-no-such-package', 'CLOAKROOM_STORE (Redis)'), (error) => {
    assert.ok(error instanceof MissingPackageError);
    assert.equal(error.packageName, 'cloakroom-no-such-package');
    assert.equal(
      error.message,
      'CLOAKROOM_STORE (Redis) needs the package cloakroom-no-such-package, which is not installed: ' +
        'npm install cloakroom-no-such-package',
    );
    assert.ok(!error.message.includes('\n'));
    return true;
  });
});

test('an installed optional package is imported as is', async () => {
  const pg = await importBackend<{ default: { Pool: unknown } }>('pg', 'CLOAKROOM_DATABASE_URL (PostgreSQL)');
  assert.equal(typeof pg.default.Pool, 'function');
});
