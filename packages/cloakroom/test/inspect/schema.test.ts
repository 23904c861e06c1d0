import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { UnsecuredJWT } from 'jose';
import { FINDING_IDS, SEVERITIES, type InspectionReport } from '../../src/inspect/index.js';
import { craft, goodClaims, inspect, sign } from './support.js';

// The published schema of `--json` (docs/inspect-report.schema.json), checked with ajv against real reports.
const schema = JSON.parse(readFileSync('docs/inspect-report.schema.json', 'utf8')) as {
  properties: { findings: { items: { properties: { id: { enum: string[] } } } } };
  $defs: { severity: { enum: string[] } };
};
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
const validate = ajv.compile(schema);

function assertValid(report: InspectionReport): void {
  // Through JSON, as --json prints it.
  const data = JSON.parse(JSON.stringify(report)) as unknown;
  assert.ok(validate(data), ajv.errorsText(validate.errors));
}

describe('inspect --json schema', () => {
  test('lists exactly the finding ids and severities the code can produce', () => {
    assert.deepEqual(schema.properties.findings.items.properties.id.enum, [...FINDING_IDS]);
    assert.deepEqual(schema.$defs.severity.enum, [...SEVERITIES]);
  });

  test('reports of every kind validate', async () => {
    const inputs = [
      await sign(goodClaims()),
      await sign(
        { ...goodClaims(), email: 'a@b.c', roles: ['x'] },
        { typ: 'JWT', jku: 'https://x' },
        'HS256',
      ),
      new UnsecuredJWT({}).encode(),
      craft({ alg: 'RSA1_5', enc: 'A128GCM' }, {}).split('.')[0] + '.a.b.c.d',
      'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCA',
      `Cookie: a=1; jwt=${await sign(goodClaims())}; other=${await sign(goodClaims())}`,
      craft({ alg: 'EdDSA' }, { exp: 1e300, iat: 'yesterday' }),
    ];
    for (const input of inputs) assertValid(await inspect(input));
  });

  test('a report that breaks the shape is refused (the schema is not vacuous)', async () => {
    const report = await inspect(await sign(goodClaims()));
    assert.equal(validate({ ...report, extra: true }), false);
    assert.equal(
      validate({ ...report, findings: [{ id: 'made_up', severity: 'info', message: '' }] }),
      false,
    );
    assert.equal(validate({ ...report, kind: 'jwt' }), false);
  });
});
