// sw.js — the service worker (served from the web root, so its scope is the
// whole app; the server's Content-Security-Policy default-src 'self' admits
// it). It keeps the app shell so that the patrol and hazard-report pages open
// without a signal (docs/internals/patrol.md "Works offline"):
// - page assets (same origin, not /api/): stale-while-revalidate from the
//   cache 'ws-shell'; the shell list is precached at install, and the page
//   sends every asset it loaded (message 'cache') so that all modules are kept;
// - navigations: the network, else the cached index.html (the router takes over);
// - GETs of the data the phone pages read (/api/v1/me, patrols, patrol points,
//   units, hazard reference, risk events): the network, else the last answer
//   kept in 'ws-data' (cleared at sign-out: message 'clear');
// - every other request, and every write, goes to the network untouched:
//   writes made offline are queued by the pages (offline.js), never here.
const SHELL = 'ws-shell-v1';
const DATA = 'ws-data-v1';
// every module i18n-zh.js and i18n-en.js import, or neither loads offline
const I18N = ['', '-permit', '-plant', '-monitor', '-rules', '-alarms', '-evidence'].flatMap((p) => [`/i18n-zh${p}.js`, `/i18n-en${p}.js`]);
const PRECACHE = ['/', '/index.html', '/app.js', '/app.css', '/api.js', '/i18n.js', ...I18N,
  '/session.js', '/ui.js', '/offline.js', '/favicon.svg', '/pages/patrol.js',
  '/pages/hazard_report.js', '/pages/hazard_ui.js'];
const DATA_PATHS = [/^\/api\/v1\/me$/, /^\/api\/v1\/patrols(\/\d+)?$/, /^\/api\/v1\/patrol-points$/,
  /^\/api\/v1\/units$/, /^\/api\/v1\/hazards\/reference$/, /^\/api\/v1\/risk\/events$/];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== DATA)
    .map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

self.addEventListener('message', (ev) => {
  const m = ev.data || {};
  if (m.type === 'cache' && Array.isArray(m.urls)) {
    const same = m.urls.filter((u) => { try { const x = new URL(u, self.location.origin); return x.origin === self.location.origin && !x.pathname.startsWith('/api/'); } catch (e) { return false; } });
    ev.waitUntil(caches.open(SHELL).then((c) => Promise.all(same.map((u) => c.add(u).catch(() => null)))));
  } else if (m.type === 'clear') {
    ev.waitUntil(caches.delete(DATA));
  }
});

async function networkFirst(req, cacheName, fallbackUrl) {
  const cache = await caches.open(cacheName);
  try {
    const r = await fetch(req);
    if (r.ok) cache.put(fallbackUrl || req, r.clone());
    return r;
  } catch (e) {
    const hit = await cache.match(fallbackUrl || req);
    if (hit) return hit;
    throw e;
  }
}

async function staleWhileRevalidate(req) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(req, { ignoreSearch: true });
  const net = fetch(req).then((r) => { if (r.ok) cache.put(req, r.clone()); return r; });
  if (hit) { net.catch(() => null); return hit; }
  return net;
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    ev.respondWith(networkFirst(req, SHELL, '/index.html'));
    return;
  }
  if (url.pathname.startsWith('/api/')) {
    if (DATA_PATHS.some((re) => re.test(url.pathname))) ev.respondWith(networkFirst(req, DATA));
    return;
  }
  ev.respondWith(staleWhileRevalidate(req));
});
