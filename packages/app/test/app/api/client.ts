// A small JSON client for the reference site's API over real HTTP, and the assertions every API test shares.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { pino, type Logger } from 'pino';
import type { TestApp } from '../../helpers/app.js';

/** The session cookie's name on a plain-http loopback origin (no `__Host-` prefix there). */
export const COOKIE = 'cloakroom';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or `undefined` when it is empty or not JSON. */
  body: unknown;
  /** The session cookie's new value: a token, `''` when cleared, `undefined` when not set. */
  cookie: string | undefined;
}

export interface RequestOptions {
  /** Sent as a JSON body with `Content-Type: application/json`. */
  json?: unknown;
  /** A raw body, sent as given (set the content type in `headers`). */
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** `true` (default): send the app's own Origin. `false`: no Origin. A string: that Origin. */
  origin?: boolean | string;
  /** The session cookie value to send; defaults to the client's own, `null` for none. */
  cookie?: string | null;
}

/** The session cookie value a response set ('' when cleared), or `undefined`. */
export function sessionCookieOf(response: Response): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!;
    const at = pair.indexOf('=');
    if (pair.slice(0, at) === COOKIE) return pair.slice(at + 1);
  }
  return undefined;
}

/**
 * One "browser": it keeps the session cookie the server sets (and drops it when cleared), and sends the
 * app's Origin on every request unless told otherwise.
 */
export class ApiClient {
  readonly app: TestApp;
  cookie: string | null = null;

  constructor(app: TestApp) {
    this.app = app;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const origin = options.origin ?? true;
    if (origin === true) headers.origin = this.app.origin;
    else if (typeof origin === 'string') headers.origin = origin;
    const cookie = options.cookie === undefined ? this.cookie : options.cookie;
    if (cookie !== null) headers.cookie = `${COOKIE}=${cookie}`;
    let body: RequestOptions['body'];
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else {
      body = options.body;
    }
    Object.assign(headers, options.headers);
    const init: RequestInit = { method, headers, redirect: 'manual' };
    if (body !== undefined) init.body = body;
    const response = await fetch(this.app.url + path, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    const set = sessionCookieOf(response);
    if (set !== undefined && options.cookie === undefined) this.cookie = set === '' ? null : set;
    return { status: response.status, headers: response.headers, text, body: parsed, cookie: set };
  }

  get(path: string, options?: RequestOptions) {
    return this.request('GET', path, options);
  }

  post(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request('POST', path, json === undefined ? options : { ...options, json });
  }

  patch(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request('PATCH', path, json === undefined ? options : { ...options, json });
  }

  delete(path: string, options?: RequestOptions) {
    return this.request('DELETE', path, options);
  }

  /** Registers (and so signs in) a new account; asserts success. */
  async register(email: string, password = 'correct horse battery'): Promise<{ id: string; email: string }> {
    const response = await this.post('/api/auth/register', { email, password });
    assert.equal(response.status, 201, response.text);
    assert.ok(this.cookie, 'registration sets the session cookie');
    return (response.body as { user: { id: string; email: string } }).user;
  }

  /** Signs in; asserts success. */
  async login(email: string, password = 'correct horse battery'): Promise<ApiResponse> {
    const response = await this.post('/api/auth/login', { email, password });
    assert.equal(response.status, 200, response.text);
    return response;
  }
}

/** A fresh address per test, so accounts never collide. */
let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${counter}-${process.pid}@example.test`;
}

/** No stack frames, no source paths: what an error response must never contain. */
export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /\n\s+at\s/, 'no stack frames');
  assert.doesNotMatch(text, /\bat\s+\S+\s+\(/, 'no stack frames');
  assert.doesNotMatch(text, /(file:\/\/|\/work\/|node_modules|\.ts:\d+|\.js:\d+)/, 'no file paths');
}

/**
 * The documented error: exactly `{"error":{"code","message"}}` with this status and code, as JSON, never
 * cached, with no stack trace.
 */
export function assertError(response: ApiResponse, status: number, code: string): void {
  assert.equal(response.status, status, `status for ${code}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = response.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  assert.ok(body !== undefined && typeof body === 'object', `a JSON body: ${response.text}`);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error ?? {}).sort(), ['code', 'message']);
  assert.equal(body.error?.code, code);
  assert.equal(typeof body.error?.message, 'string');
  assert.ok((body.error?.message as string).length > 0);
  assertNoStackTrace(response.text);
}

/** A pino logger at debug level that keeps every line in memory, to check what the site logs. */
export function captureLog(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, text: () => lines.join('') };
}

/**
 * One request on its own connection (node:http, no keep-alive), for bodies the server refuses without
 * reading (413): the server then drains or drops that connection, which must not hit the next request of a
 * pooled client. `chunks` are written one by one without a Content-Length (chunked transfer).
 */
export function requestOnce(
  app: TestApp,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; chunks?: string[] },
): Promise<ApiResponse> {
  return new Promise<ApiResponse>((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string | number> = { ...options.headers };
    // Node sends no length for a DELETE body unless told: declare it, as fetch does.
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    else if (options.chunks !== undefined) headers['transfer-encoding'] = 'chunked';
    const req = httpRequest(app.url + path, { method, headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const received = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? '']) received.append(name, item);
        }
        let body: unknown;
        try {
          body = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: received, text, body, cookie: undefined });
      });
    });
    // Once the answer is in, a write cut short by the server closing the connection is expected.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}
