// offline.js — what the phone pages keep when there is no signal (tank farms,
// basements; docs/internals/patrol.md "Works offline"). IndexedDB holds two
// stores: `outbox`, the actions queued while offline (a patrol point's check,
// a hazard report), each with the phone's time; and `kv`, the data a page
// needs to go on offline (today's patrols, a started patrol's offline
// nonces). sync() sends the outbox in order once the browser is back online:
// an answer 2xx removes the item, a 4xx keeps it with the server's error for
// the user to see (and discard), a network failure ends the pass and, while
// the phone says it is online, the pass is tried again with backoff.
import { api } from './api.js';

const DB = 'worksafe-offline';
let dbp = null;
const listeners = new Set();

function db() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const rq = indexedDB.open(DB, 1);
      rq.onupgradeneeded = () => {
        const d = rq.result;
        if (!d.objectStoreNames.contains('outbox')) d.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
        if (!d.objectStoreNames.contains('kv')) d.createObjectStore('kv', { keyPath: 'k' });
      };
      rq.onsuccess = () => resolve(rq.result);
      rq.onerror = () => reject(rq.error);
    });
  }
  return dbp;
}

async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const s = t.objectStore(store);
    let out;
    const r = fn(s);
    if (r) r.onsuccess = () => { out = r.result; };
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export function isOnline() { return navigator.onLine !== false; }

// The queue, oldest first: [{id, kind, path, body, label, queued_at, error}].
export function queued() { return tx('outbox', 'readonly', (s) => s.getAll()).then((v) => v || []); }

// Queue one action: {kind: 'patrol_check'|'hazard', path, body, label}.
export async function enqueue(item) {
  const row = Object.assign({ queued_at: new Date().toISOString(), error: null }, item);
  await tx('outbox', 'readwrite', (s) => s.add(row));
  changed();
}

export async function discard(id) {
  await tx('outbox', 'readwrite', (s) => s.delete(id));
  changed();
}

export function put(k, v) { return tx('kv', 'readwrite', (s) => s.put({ k, v })); }
export async function get(k) {
  const r = await tx('kv', 'readonly', (s) => s.get(k));
  return r ? r.v : null;
}

// Called with no argument whenever the queue changes or a sync ends.
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed() { for (const fn of listeners) { try { fn(); } catch (e) { /* a page went away */ } } }

let syncing = null;
// A weak signal: the phone says it is online but a request still fails. The
// pass is tried again after 2, 4, 8 … 60 s while the phone says online.
const RETRY_MIN_MS = 2000, RETRY_MAX_MS = 60000;
let retryMs = RETRY_MIN_MS, retryTimer = null;
function retryLater() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => { retryTimer = null; sync(); }, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

// Send the queue. Resolves {sent, failed, left}.
export function sync() {
  if (syncing) return syncing;
  syncing = (async () => {
    let sent = 0, failed = 0, noNetwork = false;
    try {
      if (!isOnline()) return { sent, failed, left: (await queued()).length };
      for (const it of await queued()) {
        if (it.error) continue; // refused before: waits for the user
        try {
          await api('POST', it.path, it.body, { noRedirect: true });
          await tx('outbox', 'readwrite', (s) => s.delete(it.id));
          sent++;
        } catch (e) {
          if (e.status === 0) { noNetwork = true; break; } // no network after all: keep the rest
          if (e.status === 401) break; // signed out: keep it for after sign-in
          it.error = { status: e.status, code: e.code, field: e.field, message: e.message };
          await tx('outbox', 'readwrite', (s) => s.put(it));
          failed++;
        }
      }
      return { sent, failed, left: (await queued()).length };
    } finally {
      syncing = null;
      if (noNetwork && isOnline()) retryLater();
      else if (!noNetwork) retryMs = RETRY_MIN_MS;
      changed();
    }
  })();
  return syncing;
}

// Back online, or the phone's screen on again: send what waited. The service
// worker keeps the shell.
window.addEventListener('online', () => { sync(); });
window.addEventListener('offline', () => changed());
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync(); });
