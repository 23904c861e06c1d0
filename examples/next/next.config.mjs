import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository root (npm workspaces), where `cloakroom` is a linked package: built with
// `npm run build -w cloakroom` before `next build`. An application outside this repository needs none of this.
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** @type {import('next').NextConfig} */
export default {
  poweredByHeader: false,
  // Bundle cloakroom into the server code, so its `next/headers` import is the app's own.
  transpilePackages: ['cloakroom'],
  turbopack: { root },
  outputFileTracingRoot: root,
};
