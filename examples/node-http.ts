/**
 * Cloakroom sessions on plain `node:http` with the embedded SQLite store: a tiny site where you sign in
 * (demo: by name only; real accounts come with `cloakroom/accounts`), see your sessions, revoke one, and
 * sign out everywhere. Plain HTML forms, no JavaScript: the origin checks protect them from CSRF.
 *
 *   npx tsx examples/node-http.ts        # then open http://localhost:3000
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sendSessionError, sessionOfNode } from 'cloakroom/node';
import { createSessionManager, type Session, type SessionManager } from 'cloakroom';
import { SqliteStore } from 'cloakroom/stores/sqlite';

export interface ExampleOptions {
  dataDir: string;
  origin: string;
}

/** Reads the signing key from the data folder, creating it (mode 0600) on first run. It is never printed. */
function loadKey(dataDir: string): string {
  const file = join(dataDir, 'session-key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

export function createSessions(options: ExampleOptions): SessionManager<{ id: string }> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(options.dataDir, 'sessions.db'));
  return createSessionManager({
    store: new SqliteStore(db),
    origin: options.origin,
    keys: [loadKey(options.dataDir)],
  });
}

export function createExampleServer(sessions: SessionManager<{ id: string }>): Server {
  return createServer((req, res) => {
    handle(sessions, req, res).catch((error: unknown) => {
      if (sendSessionError(res, error)) return;
      console.error('request failed', error instanceof Error ? error.message : 'unknown error');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal error');
    });
  });
}

async function handle(sessions: SessionManager<{ id: string }>, req: IncomingMessage, res: ServerResponse) {
  const session = await sessionOfNode(sessions, req, res);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /': {
      const list = session.user ? await sessions.listUserSessions(session.user.id) : [];
      return page(res, 200, render(session.user?.id ?? null, session.session, list));
    }
    case 'POST /sign-in': {
      const name = new URLSearchParams(await readBody(req)).get('name')?.trim() ?? '';
      if (!/^[\w.@-]{1,64}$/.test(name)) return page(res, 400, '<p>Pick a name of letters and digits.</p>');
      await session.signIn(name);
      return redirect(res);
    }
    case 'POST /sign-out':
      await session.signOut();
      return redirect(res);
    case 'POST /sign-out-everywhere':
      await session.signOutEverywhere();
      return redirect(res);
    case 'POST /revoke': {
      const id = new URLSearchParams(await readBody(req)).get('id') ?? '';
      if (session.user === null) return page(res, 401, '<p>Sign in first.</p>');
      const own = await sessions.listUserSessions(session.user.id);
      if (own.some((s) => s.id === id)) await sessions.revoke(id);
      return redirect(res);
    }
    default:
      return page(res, 404, '<p>Not found.</p>');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) throw new Error('body too large');
  }
  return body;
}

function redirect(res: ServerResponse): void {
  res.writeHead(303, { location: '/' });
  res.end();
}

function page(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Cloakroom</title>
<style>body{font:16px/1.5 system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem}td{padding:.2rem .6rem}</style>
<h1>Cloakroom</h1>${body}</html>`);
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(userId: string | null, current: Session | null, list: Session[]): string {
  if (userId === null) {
    return `<p>You are signed out.</p>
<form method="post" action="/sign-in"><label>Name <input name="name" required maxlength="64"></label>
<button>Sign in</button></form><p><small>Demo sign-in by name only: real accounts arrive with the reference site.</small></p>`;
  }
  const rows = list
    .map(
      (
        s,
      ) => `<tr><td>${escape(s.userAgent ?? 'unknown device')}${s.id === current?.id ? ' (this one)' : ''}</td>
<td>${escape(s.ip ?? '')}</td><td>${new Date(s.lastSeenAt).toISOString()}</td>
<td><form method="post" action="/revoke"><input type="hidden" name="id" value="${escape(s.id)}"><button>Revoke</button></form></td></tr>`,
    )
    .join('');
  return `<p>Signed in as <strong>${escape(userId)}</strong>.</p>
<h2>Your sessions</h2><table>${rows}</table>
<form method="post" action="/sign-out"><button>Sign out</button></form>
<form method="post" action="/sign-out-everywhere"><button>Sign out everywhere</button></form>`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const origin = process.env.CLOAKROOM_ORIGIN ?? `http://localhost:${port}`;
  const sessions = createSessions({ dataDir: process.env.CLOAKROOM_DATA_DIR ?? 'data', origin });
  createExampleServer(sessions).listen(port, host, () => {
    console.log(`Cloakroom example listening on ${origin} (bound to ${host}:${port})`);
  });
}
