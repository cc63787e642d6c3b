// api.js — the one door to the server's REST API (/api/v1, see
// docs/internals/web.md). The session lives in the HttpOnly cookie ws_session
// that the server sets at login; fetch sends it (credentials: 'same-origin')
// and the browser adds the Origin header to writes. No token is kept in
// script-visible storage. Errors become ApiError with the envelope's code,
// message and field, and, for imports, the list of row errors.

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || '');
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'http_' + status);
    this.field = e.field || '';
    this.body = body;
    this.rows = rowErrors(body);
  }
}

// The import endpoints list row errors next to the envelope; accept the few
// shapes a server may use: error.rows, error.errors, errors, rows, items.
function rowErrors(body) {
  if (!body || typeof body !== 'object') return [];
  const e = body.error || {};
  for (const c of [e.rows, e.errors, e.details, body.errors, body.rows, body.row_errors, e.row_errors]) {
    if (Array.isArray(c)) return c;
  }
  return [];
}

let onUnauthorized = null;
// Called on a 401 from any call but login: the session ended.
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// api('GET', '/me') -> parsed JSON (null for 204). body: an object (sent as
// JSON) or a Blob/File (sent as is with opts.contentType).
export async function api(method, path, body, opts) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body instanceof Blob) {
    init.body = body;
    init.headers['Content-Type'] = (opts && opts.contentType) || body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let r;
  try {
    r = await fetch('/api/v1' + path, init);
  } catch (e) {
    throw new ApiError(0, null);
  }
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (r.status === 401 && !(opts && opts.noRedirect) && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return data;
}

// Every item of a list endpoint, following next_cursor (at most `max`).
export async function listAll(path, max) {
  const items = [];
  const sep = path.includes('?') ? '&' : '?';
  let cursor = null;
  const cap = max || 5000;
  for (;;) {
    const q = path + sep + 'limit=200' + (cursor !== null ? '&cursor=' + encodeURIComponent(cursor) : '');
    const page = await api('GET', q);
    const got = (page && page.items) || [];
    items.push(...got);
    if (!page || page.next_cursor === null || page.next_cursor === undefined || !got.length ||
        items.length >= cap) break;
    cursor = page.next_cursor;
  }
  return items;
}

export function qs(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  }
  return parts.length ? '?' + parts.join('&') : '';
}
