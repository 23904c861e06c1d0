#!/usr/bin/env node
// The `cloakroom` command. Installed from npm it runs the compiled CLI in dist/. In a checkout, where src/
// is present (the published package carries no src/), it runs the TypeScript source through tsx with the
// repository's tsconfig (whose `paths` map `cloakroom/*` to the library's source), exactly as `npm start`
// does: so `npx cloakroom …` works right after `npm ci`, and never runs a stale build. See docs/decisions.md.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli/main.js');
}
await cli.main(process.argv);
