/**
 * What a reader of the report wants first: each peer beside the Cloakroom server that keeps its sessions the
 * same way, as ratios of figures from the same run (same machine, same load, same rounds), so the numbers
 * say how much faster, cheaper and smaller, whatever the machine. The project's own targets come later.
 */
import type { BenchResults, HttpScenario } from '../results.js';
import { formatNumber, formatRatio, type ReportTable } from './tables.js';

/** One row of the comparison table: a peer's scenario and the Cloakroom scenario beside it. */
export interface Comparison {
  /** The peer's HTTP scenario. */
  peer: string;
  /** Cloakroom's scenarios to put beside it, the closest first (the first one that ran is used). */
  cloakroom: readonly string[];
  /** One line: what the two servers do for each request. */
  does: string;
}

/**
 * The pairs, each on the same storage (and the same framework for Express), so the ratio measures the session
 * layer and not a choice of database.
 */
export const COMPARISONS: readonly Comparison[] = [
  {
    peer: 'jwt-hs256-user',
    cloakroom: ['cloakroom-sqlite'],
    does:
      'JWT sessions: verify an HS256 JWT from the cookie with jose, then read the user from SQLite; Cloakroom ' +
      'checks its cookie and reads session and user in one SQLite query.',
  },
  {
    peer: 'jwt-eddsa-user',
    cloakroom: ['cloakroom-sqlite'],
    does: 'The same with an EdDSA-signed JWT (public-key signatures, as when other services verify it too).',
  },
  {
    peer: 'express-session-redis',
    cloakroom: ['express-cloakroom-redis'],
    does:
      'Express 5: express-session loads the session, the user kept inside it, from Redis (connect-redis); ' +
      "Cloakroom's Express adapter reads session and user from Redis in one round trip.",
  },
  {
    peer: 'fastify-session-redis',
    cloakroom: ['fastify-cloakroom-redis'],
    does:
      'Fastify 5: @fastify/session (with @fastify/cookie) loads the session, the user kept inside it, from ' +
      "Redis (connect-redis); Cloakroom's Fastify plugin reads session and user from the same Redis in one " +
      'round trip.',
  },
  {
    peer: 'iron-session',
    cloakroom: ['cloakroom-sqlite'],
    does:
      "iron-session unseals its encrypted cookie, then reads the user from SQLite; Cloakroom's SQLite store " +
      'reads both at once.',
  },
  {
    peer: 'better-auth-sqlite',
    cloakroom: ['cloakroom-sqlite'],
    does: "better-auth's getSession on SQLite against Cloakroom's SQLite store.",
  },
  {
    peer: 'better-auth-cookie-cache',
    cloakroom: ['cloakroom-sqlite-near-cache', 'cloakroom-sqlite'],
    does:
      'better-auth with its cookie cache (session data signed into a second cookie) against Cloakroom on ' +
      'SQLite with its in-process near-cache: each skips the database on most requests.',
  },
  {
    peer: 'better-auth-redis',
    cloakroom: ['cloakroom-redis'],
    does: 'better-auth with Redis as secondary storage against Cloakroom with its Redis store.',
  },
];

const measured = (scenario: HttpScenario | undefined): scenario is HttpScenario =>
  scenario !== undefined &&
  scenario.status === 'ran' &&
  scenario.ratio !== undefined &&
  Number.isFinite(scenario.ratio);

const times = (value: number): string => (Number.isFinite(value) ? `${formatRatio(value)}x` : '—');

function row(comparison: Comparison, scenarios: readonly HttpScenario[]): string[] {
  const find = (id: string) => scenarios.find((scenario) => scenario.id === id);
  const peer = find(comparison.peer);
  const cloakroom = comparison.cloakroom.map(find).find(measured);
  const peerLabel = peer?.label ?? comparison.peer;
  const closest = find(comparison.cloakroom[0] ?? '');
  const cloakroomLabel = cloakroom?.label ?? closest?.label ?? 'Cloakroom';
  // Why there is no ratio; the "Not run" list gives the reason in full.
  const absent = (label: string, scenario: HttpScenario | undefined): string[] => [
    peerLabel,
    cloakroomLabel,
    `${label}: ${scenario?.status ?? 'not run'}`,
    '—',
    '—',
    comparison.does,
  ];
  if (!measured(peer)) return absent(peerLabel, peer);
  if (cloakroom === undefined) return absent(cloakroomLabel, closest);
  const peerMicros = peer.medianServerMicrosPerRequest;
  const cloakroomMicros = cloakroom.medianServerMicrosPerRequest;
  const cookie =
    peer.cookieBytes === undefined || cloakroom.cookieBytes === undefined
      ? '—'
      : `${formatNumber(peer.cookieBytes)} B / ${formatNumber(cloakroom.cookieBytes)} B`;
  return [
    peerLabel,
    cloakroomLabel,
    times((cloakroom.ratio ?? Number.NaN) / (peer.ratio ?? Number.NaN)),
    peerMicros === undefined || cloakroomMicros === undefined ? '—' : times(peerMicros / cloakroomMicros),
    cookie,
    comparison.does,
  ];
}

/**
 * Cloakroom beside each peer: requests per second (Cloakroom's over the peer's), server CPU per request (the
 * peer's over Cloakroom's) and the `Cookie` header of each, one line saying what the two servers do.
 */
export function comparisonsTable(results: BenchResults): ReportTable {
  return {
    title: 'Cloakroom beside each peer',
    header: [
      'peer',
      'Cloakroom beside it',
      'req/s, Cloakroom ÷ peer',
      'server CPU per request, peer ÷ Cloakroom',
      'Cookie header, peer / Cloakroom',
      'what each server does per request',
    ],
    rows: COMPARISONS.map((comparison) => row(comparison, results.http.scenarios)),
    leftColumns: 2,
    detailColumn: 5,
  };
}

/** The sentence under the comparison table: how to read it. */
export const COMPARISONS_INTRO =
  'Every figure is a ratio of two servers measured in the same run, on this machine, under the same load ' +
  '(autocannon, an authenticated GET of the user, each server in its own process); above 1x favours ' +
  "Cloakroom. A server's rate is first divided by the bare node:http rate measured around it in the same " +
  'round (median over rounds), so the baseline cancels out; the CPU ratio compares server CPU time per ' +
  'answered request, which a busy machine disturbs less.';
