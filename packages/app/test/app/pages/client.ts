// A form-posting "browser" for the HTTP-level page tests: it keeps the session cookie (and the site's other
// cookies: the pending sign-in's, the passkey challenge's), sends what a browser sends on a same-origin form
// post (Origin and Sec-Fetch-Site), and never follows redirects, so tests see every 303.
import assert from 'node:assert/strict';
import type { TestApp } from '../../helpers/app.js';

/** The session cookie's name on a plain-http loopback origin (no `__Host-` prefix there). */
export const COOKIE = 'cloakroom';

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body with whitespace around tags removed and other runs of it collapsed, for matching markup. */
  flat: string;
  /** Where a redirect points, as a path (`/notes?notice=…`), or `null`. */
  location: string | null;
  /** The session cookie this response set: a token, `''` when cleared, `undefined` when not set. */
  cookie: string | undefined;
}

export interface PageRequestOptions {
  /** `true` (default): the app's own Origin. `false`: none. A string: that Origin. */
  origin?: boolean | string;
  /** The Sec-Fetch-Site header; `same-origin` by default, `null` for none. */
  fetchSite?: string | null;
  /** The session cookie to send; defaults to the client's own, `null` for none. */
  cookie?: string | null;
  headers?: Record<string, string>;
  /** A raw body instead of form fields. */
  body?: string;
}

export class PageClient {
  readonly app: TestApp;
  readonly userAgent: string;
  cookie: string | null = null;
  /** The site's other cookies, by name, kept as a browser keeps them (dropped when cleared). */
  readonly otherCookies = new Map<string, string>();

  constructor(
    app: TestApp,
    userAgent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  ) {
    this.app = app;
    this.userAgent = userAgent;
  }

  get(path: string, options: PageRequestOptions = {}): Promise<PageResponse> {
    return this.#send('GET', path, undefined, { fetchSite: null, origin: false, ...options });
  }

  /** Posts `fields` urlencoded, as an HTML form does. */
  post(
    path: string,
    fields: Record<string, string> = {},
    options: PageRequestOptions = {},
  ): Promise<PageResponse> {
    return this.#send('POST', path, options.body ?? new URLSearchParams(fields).toString(), options);
  }

  /** Posts `body` as JSON, as the passkey script's `fetch` does (same-origin, with the cookies). */
  json(path: string, body: unknown = {}): Promise<PageResponse & { body: unknown }> {
    return this.#send('POST', path, JSON.stringify(body), {
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    }).then((response) => ({ ...response, body: JSON.parse(response.text) as unknown }));
  }

  async #send(
    method: string,
    path: string,
    body: string | undefined,
    options: PageRequestOptions,
  ): Promise<PageResponse> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'text/html' };
    const origin = options.origin ?? true;
    if (origin === true) headers.origin = this.app.origin;
    else if (typeof origin === 'string') headers.origin = origin;
    const fetchSite = options.fetchSite === undefined ? 'same-origin' : options.fetchSite;
    if (fetchSite !== null) headers['sec-fetch-site'] = fetchSite;
    const cookie = options.cookie === undefined ? this.cookie : options.cookie;
    const pairs = [...this.otherCookies].map(([name, value]) => `${name}=${value}`);
    if (cookie !== null) pairs.unshift(`${COOKIE}=${cookie}`);
    if (pairs.length > 0) headers.cookie = pairs.join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    Object.assign(headers, options.headers);
    const response = await fetch(this.app.url + path, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    if (options.cookie === undefined) this.#keepOtherCookies(response);
    const set = sessionCookieOf(response);
    if (set !== undefined && options.cookie === undefined) this.cookie = set === '' ? null : set;
    const location = response.headers.get('location');
    return {
      status: response.status,
      headers: response.headers,
      text,
      flat: flatten(text),
      location: location === null ? null : toPath(location, this.app.origin),
      cookie: set,
    };
  }

  #keepOtherCookies(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!;
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (name === COOKIE) continue;
      if (value === '' || /max-age=0(;|$)/i.test(line)) this.otherCookies.delete(name);
      else this.otherCookies.set(name, value);
    }
  }

  /** Registers `email` through the form and keeps the session. */
  async register(email: string, password = 'a long enough passphrase'): Promise<void> {
    const response = await this.post('/register', { email, password });
    assert.equal(response.status, 303, response.text);
    assert.ok(this.cookie, 'registration signs in');
  }

  /** Signs in through the form and keeps the session. */
  async signIn(email: string, password = 'a long enough passphrase'): Promise<void> {
    const response = await this.post('/sign-in', { email, password });
    assert.equal(response.status, 303, response.text);
    assert.equal(response.location, '/notes');
  }

  /** Creates a note through the form; resolves to its id (read from its Edit link on the list page). */
  async createNote(title: string, body = ''): Promise<string> {
    const response = await this.post('/notes', { title, body });
    assert.equal(response.status, 303, response.text);
    const list = await this.get('/notes');
    const edit = new RegExp(
      `href="/notes/([0-9a-f-]{36})">Edit<span class="visually-hidden">“${escapeRegExp(escapeHtml(title))}”`,
    );
    const id = edit.exec(list.flat)?.[1];
    assert.ok(id, 'the new note is listed');
    return id;
  }
}

function sessionCookieOf(response: Response): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!;
    const at = pair.indexOf('=');
    if (pair.slice(0, at) === COOKIE) return pair.slice(at + 1);
  }
  return undefined;
}

function toPath(location: string, origin: string): string {
  const url = new URL(location, origin);
  assert.equal(url.origin, origin, 'redirects stay on the site');
  return url.pathname + url.search;
}

/** Asserts a 303 to `path`. */
export function assertSeeOther(response: PageResponse, path: string): void {
  assert.equal(
    response.status,
    303,
    `expected 303 to ${path}, got ${response.status}: ${response.text.slice(0, 300)}`,
  );
  assert.equal(response.location, path);
}

/** Markup with the whitespace around tags removed and other runs of whitespace collapsed to one space. */
export function flatten(html: string): string {
  return html.replace(/\s+/g, ' ').replace(/ ?([<>]) ?/g, '$1');
}

/** The text of the first `<h1>`. */
export function h1Of(html: string): string | undefined {
  return /<h1>([^<]*)<\/h1>/.exec(flatten(html))?.[1];
}

let counter = 0;
/** A fresh email address for each test. */
export function uniqueEmail(name = 'user'): string {
  counter += 1;
  return `${name}.${process.pid}.${counter}@example.com`;
}

/** What an HTML text node or attribute holding `text` looks like after escaping. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
