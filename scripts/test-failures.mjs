// The failing tests of a test run's output, with where and why each failed, as `#` lines for a CI summary:
// a flaky failure seen once must be readable from the summary alone, since the full log is not kept.
//
//   node scripts/test-failures.mjs <log>      prints the failures in <log> (nothing when there are none)
//
// It reads Node 20's TAP reporter (`not ok N - name`, then a YAML block with `location`, `error` and `stack`)
// and the spec reporter of Node 22 and later (the list after `✖ failing tests:`, each name followed by its
// indented error).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Lines kept per failure: enough for the assertion's message and the test's own stack frame. */
const DETAIL_LINES = 8;
const MAX_LINE = 240;

const clip = (line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);

/** The YAML block after a TAP `not ok` line: its location, its error text and the first stack frames. */
function tapDetails(lines, start, indent) {
  const details = [];
  const inner = `${indent}  `;
  if (lines[start + 1]?.trimEnd() !== `${inner}---`) return details;
  let field = null;
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i];
    if (line.trimEnd() === `${inner}...`) break;
    const key =
      line.startsWith(inner) && !line.startsWith(`${inner} `)
        ? /^(\w+):/.exec(line.slice(inner.length))
        : null;
    if (key !== null) {
      field = key[1];
      if (field === 'location') details.push(line.slice(inner.length));
      else if (field === 'error' || field === 'stack') {
        const value = line.slice(inner.length + field.length + 1).trim();
        if (value !== '|-' && value !== '|' && value !== '') details.push(`${field}: ${value}`);
        else details.push(`${field}:`);
      }
      continue;
    }
    if (field === 'error' || field === 'stack') {
      const text = line.trim();
      if (text !== '') details.push(`  ${text}`);
    }
  }
  // The error text and the first frames of the stack, which name the test's line.
  const stackAt = details.findIndex((line) => line.startsWith('stack'));
  const kept = stackAt === -1 ? details : details.slice(0, stackAt + 3);
  return kept.slice(0, DETAIL_LINES + 3);
}

/** The failures in `output`, as lines (without the `#` prefix). */
export function testFailures(output) {
  const lines = output.split('\n');
  const failures = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^( *)not ok \d+ - (.+)$/.exec(lines[i]);
    if (match === null) continue;
    const [, indent, name] = match;
    const details = tapDetails(lines, i, indent);
    // A suite is listed too when a test in it fails; its block says only that subtests failed.
    const own = details.some((line) => /subtests? failed|test failed/.test(line)) ? [] : details;
    failures.push(`${indent}${name}`, ...own.map((line) => `${indent}    ${clip(line)}`));
  }
  const specAt = output.lastIndexOf('✖ failing tests:');
  if (specAt !== -1) {
    let kept = 0;
    for (const line of output.slice(specAt).split('\n').slice(1)) {
      if (/^✖ /.test(line)) {
        kept = 0;
        failures.push(line.replace(/ \([\d.]+ms\)$/, ''));
      } else if (line.trim() !== '' && kept < DETAIL_LINES) {
        kept++;
        failures.push(`    ${clip(line.trim())}`);
      }
    }
  }
  return failures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = process.argv[2];
  if (path === undefined) {
    console.error('usage: node scripts/test-failures.mjs <log>');
    process.exit(2);
  }
  const failures = testFailures(readFileSync(path, 'utf8'));
  if (failures.length > 0) console.log(failures.map((line) => `#   ${line}`).join('\n'));
}
