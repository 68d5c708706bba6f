#!/usr/bin/env node
// mxconform adapter template: the Mendix native sign-in flow with Node.js (>= 18) fetch.
//
// Run:  build/mxconform run --client-cmd "node /abs/path/examples/adapters/node_client.mjs"
//
// What it does (PROTOCOL.md sections 2 and 3):
//   launch:   get_session_data -> anonymous session cookie + csrftoken -> Anonymous home page
//   attempt:  (one tap of Sign in) empty field -> 401 with no request; otherwise ONE login POST
//             with the session cookie and X-Csrf-Token. Status = the HTTP status, or 0 when no
//             usable HTTP response came back (fetch rejected, the timeout, a cut answer, a 3xx)
//   200:      restart = get_session_data with the new session cookie, page from the new roles;
//             the remaining attempts are not made
//   relaunch: drop the session cookies, keep the persistent ones (authtoken) in MXC_STATE_DIR
//
// fetch never resends a POST on its own, `redirect: 'manual'` hands redirects back instead of
// following them, and one AbortSignal.timeout covers the whole exchange, body included.
//
// TEMPLATE: to wire a real app, replace the MSG_* texts with your app's validation messages,
// `navigation` (read from the case file here) with your app's role -> home page table, and the
// CookieStore with your platform's cookie storage. Logs go to stderr; stdout gets only the
// result JSON.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const MSG_EMPTY = 'Please enter your username and password.';
const MSG_DENIED = 'The username or password is incorrect.';
const MSG_NETWORK = 'Cannot reach the server. Check your connection and try again.';

const log = (...args) => console.error('node_client:', ...args);

// HTTPS: fetch trusts only the CAs Node knew at start-up, so with a scenario's own CA the
// adapter runs itself again with NODE_EXTRA_CA_CERTS (a real app ships its trust store).
const caFile = process.env.MXC_CA_FILE;
if (caFile && process.env.NODE_EXTRA_CA_CERTS !== caFile) {
  const r = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  process.exit(r.status ?? 1);
}

// A small cookie store for one origin (the runtime): name -> {value, expires}. Cookies with
// Max-Age or Expires are persistent and written to the state dir; the others are session
// cookies and live only as long as this launch of the app.
class CookieStore {
  constructor(file) {
    this.file = file;
    this.cookies = new Map();
  }

  launch() {
    // a new launch: only the persistent cookies come back
    this.cookies.clear();
    if (!existsSync(this.file)) return;
    for (const [name, c] of Object.entries(JSON.parse(readFileSync(this.file, 'utf8'))))
      if (c.expires > Date.now()) this.cookies.set(name, c);
  }

  save() {
    const persistent = [...this.cookies].filter(([, c]) => c.expires !== null);
    writeFileSync(this.file, JSON.stringify(Object.fromEntries(persistent)), { mode: 0o600 });
  }

  header() {
    const now = Date.now();
    return [...this.cookies]
      .filter(([, c]) => c.expires === null || c.expires > now)
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  store(headers) {
    // getSetCookie() is Node >= 18.14; before it, the joined header is split on the commas
    // that start a new cookie (Expires dates have commas too)
    const lines = headers.getSetCookie?.() ??
      (headers.get('set-cookie') ?? '').split(/,(?=\s*[^;,=\s]+=)/).filter(Boolean);
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      let expires = null; // a session cookie
      for (const a of attrs) {
        const [k, v = ''] = a.split('=').map((s) => s.trim());
        if (k.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
        else if (k.toLowerCase() === 'expires' && expires === null) expires = Date.parse(v);
      }
      if (expires !== null && !(expires > Date.now())) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(eq + 1).trim(), expires });
    }
  }
}

class App {
  constructor(c) {
    this.case = c;
    this.base = c.base_url.endsWith('/') ? c.base_url : `${c.base_url}/`;
    this.timeoutMs = c.timeout_ms ?? 10000;
    const state = process.env.MXC_STATE_DIR || mkdtempSync(join(tmpdir(), 'node-client-'));
    this.jar = new CookieStore(join(state, 'cookies.json'));
    this.csrf = null;
    this.page = '';
    this.counter = 0;
  }

  launch() {
    this.jar.launch();
    this.csrf = null;
  }

  // POSTs {action, params} to {base}xas/: {status, body, ms}; status 0 for no usable response.
  async xas(action, params) {
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-Mx-ReqToken': `${Date.now()}-${++this.counter}`,
      // No `Connection: close` here, although it would keep fetch from reusing a pooled
      // connection: with it, undici takes a chunked body cut before its last chunk as complete
      // (a truncated 200 would sign in, NET-3). A pooled connection the server closes at the
      // very moment the login is sent fails that login with status 0; it is not resent.
    };
    if (this.csrf) headers['X-Csrf-Token'] = this.csrf;
    const cookie = this.jar.header();
    if (cookie) headers.Cookie = cookie;
    const started = performance.now();
    let status = 0;
    let body = '';
    try {
      const res = await fetch(`${this.base}xas/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ action, params }),
        redirect: 'manual', // never follow: a redirect on /xas/ is status 0
        signal: AbortSignal.timeout(this.timeoutMs), // bounds the body read too
      });
      body = await res.text(); // rejects when the body is cut short
      this.jar.store(res.headers);
      status = res.status;
      if (res.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
        log(action, 'redirect', status, 'not followed');
        status = 0;
      }
    } catch (e) {
      log(action, 'no usable response:', e.name, e.cause?.code ?? e.message);
      status = 0;
      body = '';
    }
    const ms = performance.now() - started;
    log(action, 'status', status, `in ${ms.toFixed(1)} ms`);
    this.jar.save();
    return { status, body, ms };
  }

  // (Re)loads the session: keeps the csrftoken, shows the home page of the first role.
  async getSessionData() {
    this.csrf = null;
    const { status, body, ms } = await this.xas('get_session_data', {});
    this.page = '';
    if (status === 200) {
      try {
        const doc = JSON.parse(body);
        this.csrf = doc.csrftoken ?? null;
        const nav = this.case.navigation ?? {};
        const role = (doc.roles ?? []).find((r) => typeof nav[r] === 'string');
        this.page = role === undefined ? '' : nav[role];
      } catch (e) {
        log('get_session_data: bad session data:', e.message);
      }
    }
    return ms;
  }

  // One tap of Sign in: {status, message, ms}.
  async signIn(username, password) {
    if (!username || !password) return { status: 401, message: MSG_EMPTY, ms: 0 }; // no request
    const params = { username, password };
    if (typeof this.case.use_auth_token === 'boolean') params.useAuthToken = this.case.use_auth_token;
    const { status, body, ms } = await this.xas('login', params);
    if (status === 200) return { status, message: '', ms };
    if (status === 401) return { status, message: MSG_DENIED, ms };
    if (status === 0) return { status, message: MSG_NETWORK, ms };
    if (status === 560) {
      // the runtime's own text for the user
      try {
        const { description } = JSON.parse(body);
        if (typeof description === 'string' && description) return { status, message: description, ms };
      } catch {
        // not JSON: the generic message below
      }
    }
    return { status, message: `Sign-in failed (HTTP ${status}). Please try again later.`, ms };
  }
}

const c = JSON.parse(readFileSync(process.env.MXC_CASE, 'utf8'));
const app = new App(c);
const timings = {};
const attempts = [];
let restarted = false;

app.launch();
timings.startup_ms = await app.getSessionData();
for (const a of c.attempts ?? []) {
  const { status, message, ms } = await app.signIn(a.username, a.password);
  attempts.push({ status, validation_message: message });
  if (ms) timings.signin_ms = ms;
  if (status === 200) {
    restarted = true; // the app restarts into the user's home page
    timings.restart_ms = await app.getSessionData();
    break; // the remaining attempts are not made
  }
}
if (c.relaunch) {
  app.launch(); // closed and launched again
  timings.relaunch_ms = await app.getSessionData();
}

for (const k of Object.keys(timings)) timings[k] = Math.round(timings[k] * 10) / 10;
console.log(JSON.stringify({ attempts, restarted, page: app.page, timings }));
// exit now: an aborted fetch may leave a socket that would keep the event loop alive
process.exit(0);
