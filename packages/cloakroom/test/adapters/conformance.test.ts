// Every HTTP adapter against the one adapter conformance suite (conformance.ts). To add an adapter, write
// its fixture in fixtures/ and list it here.
import { runAdapterConformance, type AdapterFixture } from './conformance.js';
import { expressFixture } from './fixtures/express.js';
import { fastifyFixture } from './fixtures/fastify.js';
import { honoFixture } from './fixtures/hono.js';
import { nextFixture } from './fixtures/next.js';
import { nodeFixture } from './fixtures/node.js';
import { webFixture } from './fixtures/web.js';

const FIXTURES: readonly AdapterFixture[] = [
  webFixture,
  nodeFixture,
  expressFixture,
  fastifyFixture,
  honoFixture,
  nextFixture,
];

for (const fixture of FIXTURES) runAdapterConformance(fixture);
