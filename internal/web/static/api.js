// Calls to the server's JSON API. Every refusal becomes an ApiError with
// the server's code; the page turns codes into its own words (see
// describe), never a status number.

import { t } from './i18n.js';

let csrf = '';

export function setCSRF(token) {
  csrf = token || '';
}

export function csrfToken() {
  return csrf;
}

export class ApiError extends Error {
  constructor(code, message, retryAfterMS = 0) {
    super(message || code);
    this.code = code;
    this.retryAfterMS = retryAfterMS;
  }
}

// onSessionEnded is called when the server says the session is gone.
let onSessionEnded = () => {};
export function whenSessionEnds(f) {
  onSessionEnded = f;
}

// sessionEnded tells the page its session is gone, if err says so (from
// any request: the JSON API, tus, a preview).
export function sessionEnded(err) {
  if (err instanceof ApiError && (err.code === 'session_expired' || err.code === 'not_logged_in')) onSessionEnded(err);
}

// errorFrom reads a refusal's body.
export async function errorFrom(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (body && typeof body.code === 'string') {
    return new ApiError(body.code, String(body.message || ''), Number(body.retry_after_ms) || 0);
  }
  return new ApiError(res.status >= 500 ? 'internal' : 'unknown', '');
}

// call sends one request: a GET with query values, or a POST with a JSON body.
export async function call(method, path, { query, body } = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
    }
    url += '?' + q.toString();
  }
  const headers = {};
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError('network', '');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (err.code === 'session_expired' || (err.code === 'not_logged_in' && path !== '/api/session')) onSessionEnded(err);
    throw err;
  }
  if (res.status === 204) return null;
  return res.json();
}

// Codes whose server message carries the rule that was broken.
const detailed = new Set(['bad_username', 'bad_password', 'bad_path', 'quota_exceeded', 'bad_request', 'too_large']);

// describe says what went wrong, in the page's language; name is the file
// or folder it was about, if any.
export function describe(err, name) {
  const code = err instanceof ApiError ? err.code : 'unknown';
  let s = t('err.' + code, { wait: Math.ceil((err.retryAfterMS || 1000) / 1000) });
  if (s === 'err.' + code) s = t('err.unknown');
  if (detailed.has(code) && err.message && err.message !== code) s += ' (' + err.message + ')';
  return name ? name + ': ' + s : s;
}

// encodePath makes a path safe in a URL path, segment by segment.
export function encodePath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}

export function join(dir, name) {
  return dir ? dir + '/' + name : name;
}
