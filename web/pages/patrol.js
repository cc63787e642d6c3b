// pages/patrol.js — today's grid patrol on a phone (网格巡查; docs/internals/
// patrol.md), working without a signal.
//
//   /patrol            my patrols (GET /patrols?mine=1): own grid and cross-supervision
//   /patrol/{id}       one patrol: its stops; 开始巡查 fetches an offline nonce per
//                      stop (POST /patrols/{id}/actions/start, kept in IndexedDB);
//                      扫码 opens the camera (BarcodeDetector where the browser has
//                      it) or takes the code typed in, then the point's checklist
//   /patrol/scan/{code} what a point's printed QR code opens: the stop of that
//                      point in today's patrol
//   /patrol/overview   巡查总览 for those who supervise (GET /patrols?day=&unit_id=):
//                      every grid's patrol of a day in the reader's scope, its
//                      patroller, progress, stops found wrong and state, missed first
//
// Online, a check asks the server for a one-time scan nonce for (patrol, point)
// and posts it with the results (and GPS when the phone gives it). Offline, it
// is queued (offline.js) with the phone's time and the offline nonce, marked
// 待同步, and sent when the signal is back; the server records that the time
// came from the phone. A failed item becomes a hidden danger on the server.
import { api, qs, listAll } from '../api.js';
import * as session from '../session.js';
import { t } from '../i18n.js';
import { h, clear, formError, clearErrors, showError, busy, toast, pageHead, badge, emptyState, fmtTime, openDialog, errorNode, stackTable } from '../ui.js';
import * as offline from '../offline.js';

const stateKind = { pending: 'warn', in_progress: 'info', done: 'ok', missed: 'danger' };

// GET through the network (the service worker falls back to its cache);
// without an answer, the copy kept in IndexedDB.
async function load(path, key) {
  try {
    const v = await api('GET', path);
    await offline.put(key, v).catch(() => null);
    return v;
  } catch (e) {
    if (e.status !== 0) throw e;
    const v = await offline.get(key);
    if (v) return v;
    throw e;
  }
}

function banner() {
  const node = h('div', { class: 'card pt-banner', id: 'pt-banner', 'aria-live': 'polite' });
  const draw = async () => {
    const q = await offline.queued().catch(() => []);
    const bad = q.filter((x) => x.error);
    clear(node);
    node.dataset.online = String(offline.isOnline());
    node.dataset.queued = String(q.length);
    node.classList.toggle('hidden', offline.isOnline() && !q.length);
    node.append(h('strong', { class: 'pt-net' }, offline.isOnline() ? t('pt.online') : t('pt.offline')), ' ',
      q.length ? h('span', { class: 'pt-queued' }, t('pt.queued', { n: q.length })) : null);
    if (q.length && offline.isOnline()) {
      const btn = h('button', { type: 'button', class: 'btn btn-small', id: 'pt-sync' }, t('pt.sync'));
      btn.addEventListener('click', () => offline.sync());
      node.append(' ', btn);
    }
    for (const x of bad) {
      const drop = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, t('pt.discard'));
      drop.addEventListener('click', () => offline.discard(x.id));
      node.append(h('p', { class: 'notice-error pt-refused' }, x.label || x.path, ': ', errorNode(x.error), ' ', drop));
    }
  };
  draw();
  return { node, draw };
}

// Call fn on queue and network changes while node is on the page.
function watch(node, fn) {
  const off = offline.onChange(() => { if (!document.body.contains(node)) { off(); return; } fn(); });
}

export async function render(main, ctx) {
  const data = await load('/patrols' + qs({ mine: 1, limit: 50 }), 'patrols:mine');
  const items = ((data && data.items) || []).filter((p) => p.state !== 'missed' || isRecent(p));
  const b = banner();
  const ov = session.can.patrolOverview() ? h('a', { href: '/patrol/overview', 'data-link': '', class: 'btn', id: 'pt-overview-link' }, t('pt.ov.title')) : null;
  const page = h('div', { class: 'page narrow', id: 'patrols' }, pageHead(t('pt.title'), ov),
    h('p', { class: 'muted' }, t('pt.intro')), b.node);
  if (!items.length) page.appendChild(emptyState(t('pt.empty')));
  for (const p of items) {
    page.appendChild(h('a', { href: '/patrol/' + p.id, 'data-link': '', class: 'card pt-card', dataset: { patrolId: p.id, state: p.state } },
      h('strong', null, p.grid_name), ' ', p.kind === 'cross' ? badge(t('pt.cross'), 'info') : null, ' ',
      badge(t('pt.state.' + p.state), stateKind[p.state]), h('br'),
      h('span', { class: 'muted' }, t('pt.day', { day: p.day, code: p.code }))));
  }
  main.appendChild(page);
  watch(page, () => b.draw());
  if (offline.isOnline()) offline.sync();
  void ctx;
}

function isRecent(p) { return Date.now() - new Date(p.window_end).getTime() < 3 * 86400000; }

const stateOrder = { missed: 0, pending: 1, in_progress: 2, done: 3 };

// A day's patrols in the reader's scope (under unitId when given); without a
// day, the newest patrol day the server has made (the patrol day starts with
// the first shift, so it is not always the calendar day).
export async function dayPatrols(day, unitId) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || '')) {
    const newest = await api('GET', '/patrols' + qs({ limit: 1, unit_id: unitId }));
    day = (newest && newest.items && newest.items[0] && newest.items[0].day) || new Date().toISOString().slice(0, 10);
  }
  return { day, items: await listAll('/patrols' + qs({ day, unit_id: unitId })) };
}

// 巡查总览: a day's patrols in the reader's scope (or one unit's subtree), unfinished first.
export async function overview(main, ctx) {
  const q = new URLSearchParams(location.search);
  const unitId = q.get('unit_id') || '';
  const [units, { day, items }] = await Promise.all([session.units(), dayPatrols(q.get('day'), unitId)]);
  const go = (d, u) => ctx.go('/patrol/overview' + qs({ day: d, unit_id: u }), true);
  const dayIn = h('input', { type: 'date', class: 'input', id: 'pt-ov-day', value: day, 'aria-label': t('pt.ov.day') });
  dayIn.addEventListener('change', () => dayIn.value && go(dayIn.value, unitSel.value));
  const unitSel = h('select', { class: 'input', id: 'pt-ov-unit', 'aria-label': t('pt.ov.unit') },
    session.unitOptions(units, { empty: t('pt.ov.all_units') })
      .map((o) => h('option', { value: o.value, selected: String(o.value) === unitId }, o.label)));
  unitSel.addEventListener('change', () => go(day, unitSel.value));
  const count = (st) => items.filter((p) => p.state === st).length;
  const done = count('done');
  const chips = h('div', { class: 'chips', id: 'pt-ov-counts', dataset: { total: items.length, done, missed: count('missed') } },
    badge(t('pt.ov.total', { n: items.length }), 'info'),
    ...['done', 'in_progress', 'pending', 'missed'].map((st) => badge(t('pt.state.' + st) + ' ' + count(st), count(st) ? stateKind[st] : 'off')),
    items.length ? badge(t('pt.ov.rate', { p: Math.round((100 * done) / items.length) }), done === items.length ? 'ok' : 'warn') : null);
  const rows = items.slice().sort((a, b) => stateOrder[a.state] - stateOrder[b.state] || String(a.grid_name).localeCompare(String(b.grid_name), 'zh-CN'));
  const short = (v) => (v ? new Date(v).toLocaleString(document.documentElement.lang || 'zh-CN',
    { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }) : '');
  const table = rows.length ? h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table', id: 'pt-ov-table' },
    h('thead', null, h('tr', null, ['grid', 'kind', 'who', 'due', 'progress', 'flagged', 'state', 'done_at'].map((c) => h('th', null, t('pt.ov.col.' + c))))),
    h('tbody', null, rows.map((p) => h('tr', { dataset: { patrolId: p.id, state: p.state } },
      h('td', null, h('a', { href: '/patrol/' + p.id, 'data-link': '' }, p.grid_name)),
      h('td', null, p.kind === 'cross' ? badge(t('pt.cross'), 'info') : t('pt.ov.own')),
      h('td', null, p.assignee_name || t('pt.ov.grid_people')),
      h('td', { class: 'num' }, short(p.window_end)),
      h('td', { class: 'num pt-ov-progress' }, `${p.stops_done} / ${p.stops_total}`),
      h('td', { class: 'num pt-ov-flagged' }, p.stops_flagged ? badge(t('pt.ov.flagged', { n: p.stops_flagged }), 'danger') : '0'),
      h('td', null, badge(t('pt.state.' + p.state), stateKind[p.state]),
        p.escalated_to && p.escalated_to.length ? h('span', { class: 'muted' }, ' ', t('pt.ov.escalated')) : null),
      h('td', { class: 'num' }, short(p.done_at)))))))) : emptyState(t('pt.ov.empty', { day }));
  main.appendChild(h('div', { class: 'page', id: 'pt-overview', dataset: { day } },
    pageHead(t('pt.ov.title'), h('a', { href: '/patrol', 'data-link': '', class: 'btn' }, t('pt.ov.mine'))),
    h('p', { class: 'muted' }, t('pt.ov.intro')),
    h('div', { class: 'filters' }, dayIn, unitSel), chips, table));
}

// The stop of a scanned point: /patrol/scan/{code}.
export async function scan(main, ctx) {
  const code = ctx.params[0];
  const data = await load('/patrols' + qs({ mine: 1, limit: 50 }), 'patrols:mine');
  const open = ((data && data.items) || []).filter((p) => p.state === 'pending' || p.state === 'in_progress');
  for (const p of open) {
    const full = await load('/patrols/' + p.id, 'patrol:' + p.id).catch(() => null);
    if (full && full.stops.some((s) => s.code === code)) return ctx.go('/patrol/' + p.id + '?point=' + encodeURIComponent(code), true);
  }
  main.appendChild(h('div', { class: 'page narrow' }, pageHead(t('pt.title')),
    h('div', { class: 'card notice notice-error', id: 'pt-scan-none' }, t('pt.scan.none', { code }))));
}

export async function detail(main, ctx) {
  const id = Number(ctx.params[0]);
  let p = await load('/patrols/' + id, 'patrol:' + id);
  const local = (await offline.get('local:' + id)) || {}; // point_id -> {at, items} queued here
  const nonces = (await offline.get('nonces:' + id)) || {};
  const b = banner();
  const stopsBox = h('div', { class: 'pt-stops' });
  const head = h('div', { class: 'card pt-head' });
  const page = h('div', { class: 'page narrow', id: 'patrol', dataset: { patrolId: id } }, pageHead(t('pt.title')), b.node, head, stopsBox);

  // open and this reader may record it (a supervisor reads a grid's patrol)
  const open = () => (p.state === 'pending' || p.state === 'in_progress') && p.can_check !== false;
  function drawHead() {
    clear(head);
    const done = p.stops.filter((s) => s.state === 'done' || local[s.point_id]).length;
    head.dataset.state = p.state;
    head.append(h('strong', null, p.grid_name), ' ', p.kind === 'cross' ? badge(t('pt.cross'), 'info') : '', ' ',
      badge(t('pt.state.' + p.state), stateKind[p.state]), h('br'),
      h('span', { class: 'muted' }, t('pt.day', { day: p.day, code: p.code })), h('br'),
      h('span', { id: 'pt-progress' }, t('pt.progress', { done, total: p.stops.length })));
    if (p.can_check === false) head.append(h('p', { class: 'muted', id: 'pt-readonly' }, t('pt.readonly')));
    if (p.escalated_to && p.escalated_to.length)
      head.append(h('p', { class: 'notice-error' }, t('pt.escalated', { who: p.escalated_to.map((x) => x.name + '（' + x.unit_name + '）').join('、') })));
    if (open() && offline.isOnline() && !Object.keys(nonces).length) {
      const start = h('button', { type: 'button', class: 'btn btn-primary', id: 'pt-start' }, t('pt.start'));
      start.addEventListener('click', async () => {
        try {
          const r = await api('POST', `/patrols/${id}/actions/start`, {});
          for (const n of r.offline_nonces || []) nonces[n.point_id] = n.nonce;
          await offline.put('nonces:' + id, nonces);
          delete r.offline_nonces;
          p = r;
          await offline.put('patrol:' + id, p);
          toast(t('pt.started'), 'ok');
          drawAll();
        } catch (e) { toast(errorNode(e), 'error'); }
      });
      head.append(h('div', { class: 'form-actions' }, start));
    } else if (open() && Object.keys(nonces).length) {
      head.append(h('p', { class: 'muted', id: 'pt-ready' }, t('pt.ready')));
    }
  }
  function drawStops() {
    clear(stopsBox);
    for (const s of p.stops) stopsBox.appendChild(stopCard(s));
  }
  function drawAll() { drawHead(); drawStops(); }

  function stopCard(s) {
    const q = local[s.point_id];
    const st = s.state === 'done' ? 'done' : q ? 'queued' : 'pending';
    const box = h('section', { class: 'card pt-stop', dataset: { pointId: s.point_id, code: s.code, state: st } },
      h('div', { class: 'pt-stop-head' }, h('strong', null, s.seq + '. ' + s.name), ' ',
        h('span', { class: 'muted' }, s.code), ' ',
        st === 'done' ? badge(t('pt.stop.done'), 'ok') : st === 'queued' ? badge(t('pt.stop.queued'), 'warn') : badge(t('pt.stop.pending'), 'warn'),
        s.photo_required ? h('span', { class: 'muted' }, ' ', t('pt.photo_required')) : null));
    if (st === 'done') box.append(doneView(s));
    else if (st === 'queued') box.append(h('p', { class: 'muted pt-queued-at' }, t('pt.queued_at', { at: fmtTime(q.at) })));
    else if (open()) {
      const btn = h('button', { type: 'button', class: 'btn btn-primary pt-scan' }, '📷 ', t('pt.scan'));
      btn.addEventListener('click', () => scanDialog(s.code, () => box.replaceWith(checkForm(s))));
      box.append(btn);
    }
    return box;
  }

  function doneView(s) {
    const pr = s.proof || {};
    const lines = [];
    lines.push(h('li', { class: 'pt-proof-nonce' }, t('pt.proof.nonce.' + (pr.nonce || 'none'))));
    lines.push(h('li', { class: 'pt-proof-gps' }, pr.gps === 'within' || pr.gps === 'outside'
      ? t('pt.proof.gps.' + pr.gps, { d: pr.distance_m, r: pr.radius_m }) : t('pt.proof.gps.' + (pr.gps || 'not_given'))));
    lines.push(h('li', null, pr.photo ? t('pt.proof.photo') : t('pt.proof.nophoto')));
    lines.push(h('li', { class: 'pt-proof-time', dataset: { source: s.time_source || '' } }, s.time_source === 'phone'
      ? t('pt.proof.time.phone', { at: fmtTime(s.checked_at), rx: fmtTime(s.received_at) })
      : t('pt.proof.time.server', { at: fmtTime(s.checked_at) })));
    const res = (s.results || []).map((r) => h('li', { dataset: { ok: String(!!r.ok) } }, r.item, ' — ',
      r.ok ? badge(t('pt.ok'), 'ok') : badge(t('pt.bad'), 'danger'), r.note ? h('span', { class: 'muted' }, ' ', r.note) : null,
      r.hazard_id ? h('span', null, ' ', h('a', { href: '/hazards/' + r.hazard_id, 'data-link': '', class: 'pt-hazard-link' }, t('pt.hazard', { id: r.hazard_id }))) : null));
    return h('div', null, h('ol', { class: 'pt-results' }, res), h('ul', { class: 'pt-proof' }, lines));
  }

  // The checklist of stop s.
  function checkForm(s) {
    const rows = (s.items || []).map((it, i) => itemRow(it.text, i));
    let pos = null;
    const gpsOut = h('span', { class: 'muted', 'aria-live': 'polite' });
    if (navigator.geolocation && s.lat !== null) {
      navigator.geolocation.getCurrentPosition((g) => {
        pos = { lat: Math.round(g.coords.latitude * 1e6) / 1e6, lon: Math.round(g.coords.longitude * 1e6) / 1e6, acc: g.coords.accuracy };
        gpsOut.textContent = t('hz.gps.got', { lat: pos.lat, lon: pos.lon, acc: Math.round(pos.acc || 0) });
      }, () => { gpsOut.textContent = t('hz.gps.failed'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    const form = h('form', { class: 'form card pt-form', novalidate: true, dataset: { pointId: s.point_id } },
      h('strong', null, s.seq + '. ' + s.name), formError(), ...rows.map((r) => r.node),
      h('p', null, '📍 ', gpsOut),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary pt-submit' }, t('pt.submit'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(form);
      for (let i = 0; i < rows.length; i++)
        if (rows[i].ok() === null) return showError(form, { field: `items[${i}].ok`, message: t('insp.need.choice') });
      const body = { point_id: s.point_id, items: rows.map((r) => {
        const o = { ok: r.ok() };
        const note = r.note.value.trim();
        if (note) o.note = note;
        return o;
      }) };
      if (pos) { body.lat = pos.lat; body.lon = pos.lon; if (pos.acc) body.accuracy_m = Math.round(pos.acc * 10) / 10; }
      busy(form, async () => {
        if (!offline.isOnline()) return queue(s, body, form);
        try {
          const n = await api('POST', `/patrols/${id}/nonces`, { point_id: s.point_id });
          body.nonce = n.nonce;
          p = await api('POST', `/patrols/${id}/actions/check`, body);
          await offline.put('patrol:' + id, p);
          toast(p.hazards_opened ? t('pt.done.hazards', { n: p.hazards_opened }) : t('pt.done'), 'ok');
          drawAll();
        } catch (e) {
          if (e.status === 0) return queue(s, body, form);
          showError(form, e);
        }
      });
    });
    return form;
  }

  async function queue(s, body, form) {
    const at = new Date().toISOString();
    const b2 = Object.assign({}, body, { offline: true, client_time: at });
    if (nonces[s.point_id]) b2.nonce = nonces[s.point_id];
    try {
      await offline.enqueue({ kind: 'patrol_check', path: `/patrols/${id}/actions/check`, body: b2,
        label: p.grid_name + ' · ' + s.name });
      local[s.point_id] = { at };
      await offline.put('local:' + id, local);
      toast(t('pt.queued.toast'), 'ok');
      drawAll();
    } catch (e) { showError(form, e); }
  }

  drawAll();
  main.appendChild(page);
  // Back online and synced: read the record again (the server's view wins).
  // A stop kept on the phone is let go only once the record shows it done:
  // on a weak signal the service worker may answer from its cache, and then
  // the record is read again a little later (at most five times).
  let rereads = 0;
  const reread = async () => {
    b.draw();
    const q = await offline.queued().catch(() => []);
    if (offline.isOnline() && Object.keys(local).length && !q.some((x) => x.path === `/patrols/${id}/actions/check`)) {
      try {
        p = await api('GET', '/patrols/' + id);
        await offline.put('patrol:' + id, p);
        for (const s of p.stops) if (s.state === 'done') delete local[s.point_id];
        await offline.put('local:' + id, local);
        drawAll();
        if (Object.keys(local).length && rereads++ < 5 && document.body.contains(page)) setTimeout(reread, 3000);
      } catch (e) { /* still away */ }
    } else drawHead();
  };
  watch(page, reread);
  if (offline.isOnline()) offline.sync();
  // Opened from a printed QR code: straight to that point's checklist.
  const want = new URLSearchParams(location.search).get('point');
  const s0 = want && p.stops.find((s) => s.code === want && s.state !== 'done' && !local[s.point_id]);
  if (s0 && open()) {
    const card = stopsBox.querySelector(`.pt-stop[data-point-id="${s0.point_id}"]`);
    if (card) card.replaceWith(checkForm(s0));
  }
}

// 合格 / 不合格 and a note.
function itemRow(text, i) {
  const name = `items[${i}]`;
  let ok = null;
  const okBtn = h('button', { type: 'button', class: 'btn pt-ok', 'aria-pressed': 'false' }, '✓ ', t('pt.ok'));
  const badBtn = h('button', { type: 'button', class: 'btn pt-bad', 'aria-pressed': 'false' }, '✗ ', t('pt.bad'));
  const pick = (v) => {
    ok = v;
    okBtn.setAttribute('aria-pressed', String(v === true));
    badBtn.setAttribute('aria-pressed', String(v === false));
    okBtn.classList.toggle('btn-primary', v === true);
    badBtn.classList.toggle('btn-danger', v === false);
    const slot = node.querySelector('.field');
    slot.classList.remove('has-error');
    slot.querySelector('.field-error').textContent = '';
  };
  okBtn.addEventListener('click', () => pick(true));
  badBtn.addEventListener('click', () => pick(false));
  const note = h('textarea', { name: name + '.note', class: 'input pt-note', rows: 2, maxlength: 2000, placeholder: t('insp.note') });
  const node = h('div', { class: 'pt-item', dataset: { item: i } },
    h('div', { class: 'field', dataset: { field: name + '.ok' } },
      h('span', { class: 'label' }, (i + 1) + '. ' + text), h('div', { class: 'pt-choice' }, okBtn, ' ', badBtn),
      h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'field', dataset: { field: name + '.note' } }, note, h('div', { class: 'field-error', role: 'alert' })));
  return { node, ok: () => ok, note };
}

// Scan the point's QR code with the camera, or type its code; onok when it
// names the expected point.
function scanDialog(code, onok) {
  const input = h('input', { type: 'text', class: 'input', id: 'pt-code', autocomplete: 'off', placeholder: t('pt.scan.placeholder') });
  const err = h('div', { class: 'field-error', role: 'alert', id: 'pt-code-error' });
  const video = h('video', { class: 'pt-video hidden', playsinline: '', muted: '' });
  let stream = null, timer = null;
  const stop = () => { if (timer) clearInterval(timer); if (stream) stream.getTracks().forEach((tr) => tr.stop()); };
  const accept = (text) => {
    const m = /\/patrol\/scan\/([A-Za-z0-9_-]{1,32})\s*$/.exec(text) || /^\s*([A-Za-z0-9_-]{1,32})\s*$/.exec(text);
    if (!m || m[1] !== code) { err.textContent = t('pt.scan.wrong', { code }); return; }
    stop();
    dlg.close();
    onok();
  };
  const ok = h('button', { type: 'button', class: 'btn btn-primary', id: 'pt-code-ok' }, t('pt.scan.confirm'));
  ok.addEventListener('click', () => accept(input.value));
  const dlg = openDialog(t('pt.scan'), h('div', { class: 'pt-scan-box' }, video,
    h('p', { class: 'muted' }, t('pt.scan.hint')), input, err, h('div', { class: 'form-actions' }, ok)), { onclose: stop });
  if ('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then((s) => {
      stream = s;
      video.srcObject = s;
      video.classList.remove('hidden');
      video.play().catch(() => null);
      // eslint-disable-next-line no-undef
      const det = new BarcodeDetector({ formats: ['qr_code'] });
      timer = setInterval(async () => {
        try {
          const found = await det.detect(video);
          if (found.length) accept(found[0].rawValue);
        } catch (e) { /* next frame */ }
      }, 400);
    }).catch(() => null);
  }
  input.focus();
}
