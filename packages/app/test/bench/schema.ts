// Validation of results.json against its published JSON Schema with ajv, an implementation independent of
// the zod schema the file is generated from (so a schema that zod exports wrongly is caught too).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Compiles `schema` (draft 2020-12) and returns a validator giving the errors as text, or `null`. */
export function jsonSchemaValidator(schema: unknown): (data: unknown) => string | null {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  // ajv ships the format keywords separately (ajv-formats); date-time is the only one the schema uses.
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (text: string) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text) && !Number.isNaN(Date.parse(text)),
  });
  const validate = ajv.compile(schema as object);
  return (data) => (validate(data) ? null : ajv.errorsText(validate.errors, { separator: '\n' }));
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}
