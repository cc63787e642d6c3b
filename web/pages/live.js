// pages/live.js — what the live pages share (alarms.js, trends.js,
// alarmkpi.js): server-sent-event streams that degrade quietly, and Apache
// ECharts loaded on first use from /vendor/echarts.min.js (copied there from
// npm by `make web`; served by worksafe itself, never from another host).
//
// openStream(url, {events: {name: fn(data)}, onstate: fn(state), root}) first
// asks the URL with fetch: only a 200 text/event-stream answer opens an
// EventSource (an EventSource on a 404/503 JSON answer would log a console
// error and retry forever). state is 'live', 'reconnecting' or
// 'unavailable'. The stream closes itself once `root` has left the document
// (the router replaced the page) or when close() is called.
const CHECK_MS = 3000;

export function openStream(url, opts) {
  const o = opts || {};
  let es = null, closed = false, timer = 0;
  const ctrl = new AbortController();
  const state = (s) => { if (!closed && o.onstate) o.onstate(s); };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    ctrl.abort();
    if (es) es.close();
  };
  timer = setInterval(() => { if (o.root && !o.root.isConnected) close(); }, CHECK_MS);
  (async () => {
    let ok = false;
    try {
      const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/event-stream' }, signal: ctrl.signal });
      ok = r.ok && /text\/event-stream/.test(r.headers.get('content-type') || '');
    } catch (e) { ok = false; }
    ctrl.abort();
    if (closed) return;
    if (!ok) { state('unavailable'); return; }
    es = new EventSource(url);
    es.addEventListener('open', () => state('live'));
    es.addEventListener('error', () => state(es.readyState === EventSource.CLOSED ? 'unavailable' : 'reconnecting'));
    for (const [name, fn] of Object.entries(o.events || {})) {
      es.addEventListener(name, (ev) => {
        if (o.root && !o.root.isConnected) { close(); return; }
        let data = null;
        try { data = ev.data ? JSON.parse(ev.data) : null; } catch (e) { data = null; }
        fn(data, ev);
      });
    }
  })();
  return { close };
}

let echartsPromise = null;

// The ECharts global, loading the script once (a <script src> of our own
// origin, which the Content-Security-Policy allows).
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsPromise) {
    echartsPromise = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/echarts.min.js';
      s.async = true;
      s.addEventListener('load', () => resolve(window.echarts));
      s.addEventListener('error', () => { echartsPromise = null; reject(new Error('echarts')); });
      document.head.appendChild(s);
    });
  }
  return echartsPromise;
}

// An ECharts instance on el that follows the element's size and is disposed
// when el leaves the document.
export function chartOn(echarts, el) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  const ro = new ResizeObserver(() => { if (el.isConnected) chart.resize(); });
  ro.observe(el);
  const timer = setInterval(() => {
    if (!el.isConnected) { clearInterval(timer); ro.disconnect(); chart.dispose(); }
  }, CHECK_MS);
  return chart;
}

// Milliseconds of an RFC 3339 string or a number (ms); NaN when neither.
export function ms(v) {
  if (typeof v === 'number') return v;
  const d = Date.parse(v);
  return isNaN(d) ? NaN : d;
}

// "yyyy-MM-ddTHH:mm" in local time, for <input type=datetime-local>.
export function localInput(t) {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// RFC 3339 with the local offset of a datetime-local value ('' when empty).
export function rfc3339Local(v) {
  if (!v) return '';
  const d = new Date(v);
  if (isNaN(d.getTime())) return '';
  const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    (off >= 0 ? '+' : '-') + p(off / 60) + ':' + p(off % 60);
}
