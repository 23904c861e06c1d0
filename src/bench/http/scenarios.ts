/**
 * The HTTP scenarios: every server answers `GET /me` with the signed-in user's data as JSON
 * (`{"user":{"id","email","name"}}`), except the two bare baselines, which answer the same body without
 * any session. The parent runs them; server.ts builds each one in its own process.
 */
export interface HttpScenarioDefinition {
  id: string;
  label: string;
  stack: 'node:http' | 'express';
  /** Packages it needs beyond Cloakroom's own (checked before starting it). */
  packages: readonly string[];
  redis: boolean;
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
    id: 'cloakroom-sqlite',
    label: 'Cloakroom on node:http, SQLite (user joined)',
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
