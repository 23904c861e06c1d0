/**
 * The HTTP scenarios: every server answers `GET /me` with the signed-in user's data as JSON
 * (`{"user":{"id","email","name"}}`), except the two bare baselines, which answer the same body without
 * any session. The parent runs them; server.ts builds each one in its own process.
 *
 * Two calibration servers rebuild reference points the issue measured before Cloakroom existed (wrk, 50
 * connections): a session looked up in an in-process `Map` (0.90 of bare) and one Redis `GET` per request
 * (0.60). Measured in the same run, they show what this machine and load generator make of a known amount
 * of work, so a ratio can be read against them rather than only against the issue's numbers.
 */
export interface HttpScenarioDefinition {
  id: string;
  label: string;
  stack: 'node:http' | 'express' | 'fastify' | 'hono';
  /** Packages it needs beyond Cloakroom's own (checked before starting it). */
  packages: readonly string[];
  redis: boolean;
  /** For a calibration server: the ratio to bare the issue measured for it (wrk, 50 connections). */
  issueRatio?: number;
}

export const BASELINE_ID = 'bare-node-http';

export const HTTP_SCENARIOS: readonly HttpScenarioDefinition[] = [
  {
    id: BASELINE_ID,
    label: 'bare node:http (baseline: same JSON body, no session)',
    stack: 'node:http',
    packages: [],
    redis: false,
  },
  {
    id: 'calibration-map',
    label: 'calibration: session id looked up in an in-process Map',
    stack: 'node:http',
    packages: [],
    redis: false,
    issueRatio: 0.9,
  },
  {
    id: 'calibration-redis-get',
    label: 'calibration: one Redis GET per request (ioredis)',
    stack: 'node:http',
    packages: ['ioredis'],
    redis: true,
    issueRatio: 0.6,
  },
  {
    id: 'cloakroom-sqlite',
    label: 'Cloakroom on node:http, SQLite (user joined)',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'cloakroom-sqlite-near-cache',
    label: 'Cloakroom on node:http, SQLite + near-cache',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'cloakroom-redis',
    label: 'Cloakroom on node:http, Redis (user snapshot)',
    stack: 'node:http',
    packages: ['ioredis'],
    redis: true,
  },
  {
    id: 'cloakroom-near-cache',
    label: 'Cloakroom on node:http, Redis + near-cache',
    stack: 'node:http',
    packages: ['ioredis'],
    redis: true,
  },
  {
    id: 'site-sqlite',
    label: 'the reference site, SQLite: GET /api/me, metrics and tracing off',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'site-sqlite-observed',
    label: 'the reference site, SQLite: GET /api/me, metrics (prom-client) and tracing (no SDK) on',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'jwt-eddsa-user',
    label: 'jose JWT EdDSA + user from SQLite, node:http',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'jwt-hs256-user',
    label: 'jose JWT HS256 + user from SQLite, node:http',
    stack: 'node:http',
    packages: ['better-sqlite3'],
    redis: false,
  },
  {
    id: 'express-bare',
    label: 'Express 5 bare (same JSON body, no session)',
    stack: 'express',
    packages: ['express'],
    redis: false,
  },
  {
    id: 'express-cloakroom-redis',
    label: "Cloakroom's Express adapter, Redis",
    stack: 'express',
    packages: ['express', 'ioredis'],
    redis: true,
  },
  {
    id: 'express-session-redis',
    label: 'express-session + connect-redis (Express 5)',
    stack: 'express',
    packages: ['express', 'express-session', 'connect-redis', 'redis'],
    redis: true,
  },
  {
    id: 'fastify-bare',
    label: 'Fastify 5 bare (same JSON body, no session)',
    stack: 'fastify',
    packages: ['fastify'],
    redis: false,
  },
  {
    id: 'fastify-cloakroom-redis',
    label: "Cloakroom's Fastify plugin, Redis",
    stack: 'fastify',
    packages: ['fastify', 'ioredis'],
    redis: true,
  },
  {
    id: 'fastify-cloakroom-near-cache',
    label: "Cloakroom's Fastify plugin, Redis + near-cache",
    stack: 'fastify',
    packages: ['fastify', 'ioredis'],
    redis: true,
  },
  {
    id: 'fastify-session-redis',
    label: '@fastify/session + @fastify/cookie + connect-redis (Fastify 5)',
    stack: 'fastify',
    packages: ['fastify', '@fastify/session', '@fastify/cookie', 'connect-redis', 'redis'],
    redis: true,
  },
  {
    id: 'hono-bare',
    label: 'Hono 4 bare on @hono/node-server (same JSON body, no session)',
    stack: 'hono',
    packages: ['hono', '@hono/node-server'],
    redis: false,
  },
  {
    id: 'hono-cloakroom-redis',
    label: "Cloakroom's Hono middleware, Redis",
    stack: 'hono',
    packages: ['hono', '@hono/node-server', 'ioredis'],
    redis: true,
  },
  {
    id: 'hono-cloakroom-near-cache',
    label: "Cloakroom's Hono middleware, Redis + near-cache",
    stack: 'hono',
    packages: ['hono', '@hono/node-server', 'ioredis'],
    redis: true,
  },
  {
    id: 'iron-session',
    label: 'iron-session + user from SQLite, node:http',
    stack: 'node:http',
    packages: ['iron-session', 'better-sqlite3'],
    redis: false,
  },
  {
    id: 'better-auth-sqlite',
    label: 'better-auth, SQLite, node:http',
    stack: 'node:http',
    packages: ['better-auth', 'better-sqlite3'],
    redis: false,
  },
  {
    id: 'better-auth-cookie-cache',
    label: 'better-auth, SQLite + its cookie cache',
    stack: 'node:http',
    packages: ['better-auth', 'better-sqlite3'],
    redis: false,
  },
  {
    id: 'better-auth-redis',
    label: 'better-auth, Redis secondary storage',
    stack: 'node:http',
    packages: ['better-auth', 'better-sqlite3', 'ioredis'],
    redis: true,
  },
];

export function httpScenario(id: string): HttpScenarioDefinition | undefined {
  return HTTP_SCENARIOS.find((scenario) => scenario.id === id);
}
