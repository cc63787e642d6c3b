// pages/alarms.js — /alarms: the live alarm console (报警台) and its history.
//
// Open alarms (GET /alarms?state=open) sorted 紧急 first, then newest, as
// rows coloured by level (1 预警, 2 报警, 3 紧急) with a state badge
// (unacknowledged ones blink; acknowledged, returned, shelved, out of
// service), count, tag, unit, value and raised time; counts per level above.
// New alarms and changes arrive without reload over EventSource
// /api/v1/alarms/stream (event "alarm": the list is read again, the changed
// row flashes; "reset": read again). Actions (POST /alarms/{id}/actions/…):
// 确认 ack, 搁置 shelve (reason, until; a 紧急 alarm needs an approver),
// 恢复 unshelve, 关闭 close with the handling record (cause, action) — the
// server refuses close unless the alarm is cleared and acknowledged and
// says which state or field; the page shows that next to the form. An
// option sounds a tone and flashes the page for a new 紧急 alarm (Web Audio,
// no sound file). Filters (level, unit, state, part of a tag or title: ?q=)
// live in the URL; the 历史 tab lists closed alarms with their handling
// record (?tab=closed), raised between two dates (?from=, ?to=, inclusive
// days in the browser's zone).
// Both tabs export what they list as the 报警记录台账 (导出 Excel / CSV:
// GET /alarms?<the same filters>&format=xlsx|csv, every row). In an alarm
// flood the unacknowledged rows can be ticked (or all visible ones at once)
// and 确认所选 (N) acknowledges them in one POST /alarms/actions/ack; the
// selection lives in the page, so the stream's re-reads keep it for the rows
// still there and unacknowledged. /alarms/{id} is the console with that
// alarm's detail open: the link a handover record, a message or a colleague
// gives.
import { api, qs } from '../api.js';
import { t, serverText } from '../i18n.js';
import { alarmCard, contextNode } from './response.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { openStream, localInput, rfc3339Local } from './live.js';

const { h, clear, input, select, badge, pageHead, emptyState, fmtTime, toastError, stackTable } = ui;
const STATES = ['unack', 'acked', 'rtn_unack', 'rtn_acked', 'shelved', 'oos'];
let audible = false; // the 紧急 cue (kept for the visit, not stored)

export function levelBadge(level) {
  return h('span', { class: 'badge al-level al-level-' + level, dataset: { level } }, t('al.level.' + level));
}

export function stateBadge(state) {
  return h('span', { class: 'badge al-state al-state-' + state + (state === 'unack' || state === 'rtn_unack' ? ' al-blink' : ''),
    dataset: { state } }, t('al.state.' + state, null, state));
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readFilter() {
  const p = new URLSearchParams(location.search);
  const day = (k) => (DAY.test(p.get(k) || '') ? p.get(k) : '');
  return { tab: p.get('tab') === 'closed' ? 'closed' : 'open', level: p.get('level') || '', unit_id: p.get('unit_id') || '',
    state: STATES.includes(p.get('state')) ? p.get('state') : '', from: day('from'), to: day('to'),
    q: (p.get('q') || '').slice(0, 64) };
}

// The server's filters for f: from/to (days, local) as instants, to exclusive.
function listParams(f) {
  const at = (day, plus) => {
    if (!day) return '';
    const d = new Date(day + 'T00:00:00');
    d.setDate(d.getDate() + plus);
    return isNaN(d.getTime()) ? '' : d.toISOString();
  };
  return { state: f.tab === 'closed' ? 'closed' : 'open', level: f.level, unit_id: f.unit_id, q: f.q,
    from: f.tab === 'closed' ? at(f.from, 0) : '', to: f.tab === 'closed' ? at(f.to, 1) : '' };
}

// Whether the account may act on alarms (alarm.ack); the server decides.
function mayAct() {
  const m = session.me();
  return !!m && !(m.roles || []).every((r) => r === 'regulator');
}

function fmtValue(a) {
  if (a.value === null || a.value === undefined) return '';
  const v = String(Math.round(a.value * 1000) / 1000);
  return a.uom ? v + ' ' + a.uom : v; // the point's unit of measure: 56 %LEL, 31 mg/m³
}

export async function render(main, ctx) {
  const f = readFilter();
  const units = await session.units();
  const root = h('div', { class: 'page al-page', id: 'alarms' });
  main.appendChild(root);
  const go = () => ctx.go('/alarms' + qs({ tab: f.tab === 'closed' ? 'closed' : '', level: f.level, unit_id: f.unit_id,
    state: f.tab === 'open' ? f.state : '', q: f.q, from: f.tab === 'closed' ? f.from : '', to: f.tab === 'closed' ? f.to : '' }), true);

  const tabs = h('div', { class: 'segmented al-tabs', role: 'tablist' },
    ['open', 'closed'].map((k) => h('a', { href: '/alarms' + qs({ tab: k === 'closed' ? 'closed' : '' }), 'data-link': '', role: 'tab',
      class: 'seg-link' + (f.tab === k ? ' active' : ''), id: 'al-tab-' + k, 'aria-selected': f.tab === k ? 'true' : 'false' }, t('al.tab.' + k))));
  const levelSel = select('level', [{ value: '', label: t('al.all_levels') }, ...[3, 2, 1].map((l) => ({ value: l, label: t('al.level.' + l) }))],
    f.level, { 'aria-label': t('al.f.level'), id: 'al-level' });
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('al.all_units') }), f.unit_id, { 'aria-label': t('al.f.unit'), id: 'al-unit' });
  const stateSel = select('state', [{ value: '', label: t('al.all_states') }, ...STATES.map((s) => ({ value: s, label: t('al.state.' + s) }))],
    f.state, { 'aria-label': t('al.f.state'), id: 'al-state' });
  if (f.tab === 'closed') stateSel.classList.add('hidden');
  const fromIn = h('input', { type: 'date', class: 'input', id: 'al-from', value: f.from, 'aria-label': t('al.f.from') });
  const toIn = h('input', { type: 'date', class: 'input', id: 'al-to', value: f.to, 'aria-label': t('al.f.to') });
  fromIn.title = t('al.f.from');
  toIn.title = t('al.f.to');
  const qIn = h('input', { type: 'search', class: 'input', id: 'al-q', value: f.q, maxlength: 64,
    placeholder: t('al.f.q'), 'aria-label': t('al.f.q') });
  for (const [s, k] of [[levelSel, 'level'], [unitSel, 'unit_id'], [stateSel, 'state'], [qIn, 'q'], [fromIn, 'from'], [toIn, 'to']]) {
    s.addEventListener('change', () => { f[k] = s.value; go(); });
  }
  const sound = h('input', { type: 'checkbox', id: 'al-sound', checked: audible });
  sound.addEventListener('change', () => { audible = sound.checked; if (audible) beep(0.01); });
  const liveBadge = h('span', { id: 'al-live', class: 'al-live' });
  // New alarms are read out by screen readers; the tab's title carries the
  // count to acknowledge, for a console left in a background tab.
  const announce = h('div', { id: 'al-announce', class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const summary = h('div', { class: 'chips al-summary', id: 'al-summary' });
  const body = h('div', { id: 'al-body' });

  // The selection for 确认所选 (open tab, accounts that may act): alarm ids,
  // pruned at each read to the visible unacknowledged rows (pickable).
  const picked = new Set();
  let pickable = [], sending = false;
  const pickAll = h('input', { type: 'checkbox', id: 'al-select-all' });
  const ackSel = h('button', { type: 'button', class: 'btn btn-primary btn-small', id: 'al-ack-selected', disabled: true });
  const bulkBar = f.tab === 'open' && mayAct()
    ? h('div', { class: 'toolbar al-bulk', id: 'al-bulk' }, h('label', { class: 'check' }, pickAll, h('span', null, t('al.select_all'))), ackSel)
    : null;
  function syncPick() {
    ackSel.textContent = t('al.ack_selected', { n: picked.size });
    ackSel.disabled = sending || !picked.size;
    pickAll.disabled = !pickable.length;
    pickAll.checked = pickable.length > 0 && pickable.every((id) => picked.has(id));
    pickAll.indeterminate = !pickAll.checked && pickable.some((id) => picked.has(id));
    for (const cb of body.querySelectorAll('input.al-select')) cb.checked = picked.has(Number(cb.value));
  }
  const sel = { has: (id) => picked.has(id), set: (id, on) => { if (on) picked.add(id); else picked.delete(id); syncPick(); } };
  pickAll.addEventListener('change', () => {
    for (const id of pickable) { if (pickAll.checked) picked.add(id); else picked.delete(id); }
    syncPick();
  });
  ackSel.addEventListener('click', async () => {
    const ids = pickable.filter((id) => picked.has(id)); // in the order shown
    if (!ids.length) return;
    sending = true; syncPick();
    try {
      const r = await api('POST', '/alarms/actions/ack', { ids });
      for (const id of ids) picked.delete(id);
      const skipped = (r && r.skipped) || [];
      ui.toast(t('al.acked_n', { n: ((r && r.acked) || []).length }) + (skipped.length ? ' · ' + t('al.skipped_n', { n: skipped.length }) : ''));
      reload();
    } catch (e) { toastError(e); } finally { sending = false; syncPick(); }
  });

  root.append(
    pageHead(t('al.title'),
      h('a', { href: '/trends', 'data-link': '', class: 'btn', id: 'al-trends' }, t('nav.trends')),
      h('a', { href: '/alarms/kpi', 'data-link': '', class: 'btn', id: 'al-kpi' }, t('al.kpi')),
      session.can.alarmRuleRead() ? h('a', { href: '/alarms/rules', 'data-link': '', class: 'btn', id: 'al-rules' }, t('al.rules')) : null),
    h('div', { class: 'toolbar' }, tabs, h('div', { class: 'al-toolbar-right' }, liveBadge,
      f.tab === 'open' ? h('label', { class: 'check al-sound' }, sound, h('span', null, t('al.sound'))) : null,
      ui.exportButtons(() => '/alarms' + qs(listParams(f)), 'al'))),
    h('div', { class: 'filters al-filters' + (f.tab === 'closed' ? ' al-filters-days' : ''), id: 'al-filter' },
      levelSel, unitSel, stateSel, qIn, f.tab === 'closed' ? fromIn : null, f.tab === 'closed' ? toIn : null),
    summary, ...(bulkBar ? [bulkBar] : []), body, announce);

  if (f.tab === 'closed') { await history(body, f); return; }

  let known = new Set();
  let first = true;
  let drawn = ''; // the alarms the list shows, as read: an unchanged read keeps the list
  async function load(flashId) {
    const page = await api('GET', '/alarms' + qs({ state: 'open', level: f.level, unit_id: f.unit_id, q: f.q, limit: 200 }));
    let items = (page && page.items) || [];
    if (f.state) items = items.filter((a) => a.state === f.state);
    items.sort((a, b) => (b.level - a.level) || (Date.parse(b.raised_at) - Date.parse(a.raised_at)) || (b.id - a.id));
    clear(summary).append(
      badge(t('al.count.open', { n: items.length }), items.length ? 'state' : 'off'),
      badge(t('al.count.unack', { n: items.filter((a) => a.state === 'unack' || a.state === 'rtn_unack').length }), 'warn'),
      ...[3, 2, 1].map((l) => { const n = items.filter((a) => a.level === l).length; return n ? h('span', { class: 'badge al-level al-level-' + l }, t('al.level.' + l) + ' ' + n) : null; })
        .filter(Boolean)); /* append(null) would print "null" */
    summary.dataset.count = String(items.length);
    const ids = new Set(items.map((a) => a.id));
    const fresh = first ? [] : items.filter((a) => !known.has(a.id));
    known = ids; first = false;
    if (root.isConnected) {
      const unack = items.filter(unacked).length;
      document.title = (unack ? `(${unack}) ` : '') + t('al.title') + ' · ' + t('app.title');
      if (fresh.length) {
        announce.textContent = fresh.length === 1 ? t('al.announce.one', { title: serverText(fresh[0].title) || fresh[0].tag || '#' + fresh[0].id })
          : t('al.announce.many', { n: fresh.length });
      }
    }
    pickable = items.filter(unacked).map((a) => a.id);
    const still = new Set(pickable);
    for (const id of [...picked]) if (!still.has(id)) picked.delete(id);
    // Redrawn only when something changed: a re-read that finds the same
    // alarms (the stream's catch-up as it opens, an event of another unit)
    // must not replace the row under a click, the focus or the scroll.
    const seen = JSON.stringify(items);
    if (seen === drawn && !flashId && body.querySelector('#al-list')) return;
    drawn = seen;
    clear(body);
    if (!items.length) { body.appendChild(emptyState(t('al.empty'))); syncPick(); return; }
    // Alarms of one point (H and HH of a detector, its fault) stay together under
    // the highest: groups in the order of their first member, which the sort
    // above made the most severe and newest. The others are drawn as related
    // rows, and the first offers to acknowledge the point's alarms at once
    // (in one request; each is still its own acknowledgement by this person, on the record).
    const groups = new Map();
    for (const a of items) {
      const k = a.point_id ? 'point:' + a.point_id : 'id:' + a.id; // tags may repeat across enterprises
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(a);
    }
    const rows = [];
    const pick = bulkBar ? sel : null;
    for (const g of groups.values()) g.forEach((a, i) => rows.push(row(a, reload, g.length > 1 ? { group: g, first: i === 0 } : null, pick)));
    const list = h('div', { class: 'al-list', id: 'al-list' }, rows);
    body.appendChild(list);
    syncPick();
    for (const a of fresh) {
      const el = list.querySelector(`[data-alarm-id="${a.id}"]`);
      if (el) el.classList.add('al-new');
      if (a.level === 3) cue();
    }
    if (flashId) {
      const el = list.querySelector(`[data-alarm-id="${flashId}"]`);
      if (el) el.classList.add('al-flash');
    }
  }
  let timer = 0, lastId = 0;
  function reload(id) {
    if (id) lastId = id;
    clearTimeout(timer);
    timer = setTimeout(() => { if (root.isConnected) load(lastId).catch(toastError); lastId = 0; }, 150);
  }
  await load();
  const linked = Number((ctx.params || [])[0]);
  if (linked) detail(linked);
  openStream('/api/v1/alarms/stream', {
    root,
    onstate: (s) => {
      clear(liveBadge).appendChild(badge(t('al.live.' + s), s === 'live' ? 'live' : 'off'));
      liveBadge.dataset.state = s;
      if (s === 'live') reload(); // catch up on what happened before the stream opened
    },
    events: { alarm: (d) => reload(d && d.alarm_id), reset: () => reload() },
  });
}

function cue() {
  document.body.classList.remove('al-emergency');
  void document.body.offsetWidth; // restart the animation
  document.body.classList.add('al-emergency');
  setTimeout(() => document.body.classList.remove('al-emergency'), 4000);
  if (audible) beep(0.6);
}

let audio = null;
function beep(seconds) {
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator(), g = audio.createGain();
    o.type = 'square'; o.frequency.value = 880;
    g.gain.value = 0.08;
    o.connect(g).connect(audio.destination);
    o.start(); o.stop(audio.currentTime + seconds);
  } catch (e) { /* no audio device: the visual cue remains */ }
}

const unacked = (a) => a.state === 'unack' || a.state === 'rtn_unack';

// One alarm; rel = {group, first} when other open alarms share its point;
// sel = {has, set} of the page's selection when rows can be ticked.
function row(a, reload, rel, sel) {
  const acts = mayAct() ? actions(a, reload, rel && rel.first ? rel.group : null) : null;
  return h('article', { class: 'al-row al-row-' + a.level + ' al-row-' + a.state + (rel && !rel.first ? ' al-row-related' : ''),
    dataset: { alarmId: a.id, level: a.level, state: a.state, tag: a.tag || '', related: rel ? (rel.first ? 'first' : 'rest') : '' } },
    h('div', { class: 'al-row-top' },
      sel && unacked(a) ? h('label', { class: 'check al-pick' }, h('input', { type: 'checkbox', class: 'al-select', value: String(a.id),
        checked: sel.has(a.id), 'aria-label': t('al.select', { title: serverText(a.title) || a.tag || '#' + a.id }),
        onchange: (ev) => sel.set(a.id, ev.currentTarget.checked) })) : null,
      levelBadge(a.level), stateBadge(a.state),
      rel ? badge(rel.first ? t('al.related', { n: rel.group.length - 1 }) : t('al.related_of', { tag: a.tag }), 'info al-related') : null,
      a.count > 1 ? h('span', { class: 'badge badge-off al-count', title: t('al.count') }, '×' + a.count) : null,
      a.chattering ? badge(t('al.chattering'), 'info') : null,
      a.flood_group ? badge(t('al.flood'), 'info') : null,
      a.active === false ? badge(t('al.cleared'), 'off') : null),
    h('div', { class: 'al-title' }, h('button', { type: 'button', class: 'link al-open-detail', onclick: () => detail(a.id) }, serverText(a.title) || a.tag || '#' + a.id)),
    h('div', { class: 'row-meta' },
      a.tag ? h('span', { class: 'mono al-tag' }, a.tag) : null,
      h('span', { class: 'al-unit' }, a.unit_name || ''),
      a.value !== null && a.value !== undefined ? h('span', { class: 'al-value' }, t('al.value', { v: fmtValue(a) })) : null,
      h('span', { class: 'al-raised' }, t('al.raised_at', { at: fmtTime(a.raised_at) })),
      a.point_id ? h('a', { href: trendHref(a), 'data-link': '', class: 'al-trend' }, t('al.trend')) : null,
      sourceLink(a),
      a.acked_by ? h('span', null, t('al.acked_by', { who: a.acked_by })) : null,
      a.shelved_until ? h('span', null, t('al.shelved_until', { at: fmtTime(a.shelved_until) })) : null),
    respHint(a),
    acts);
}

// The first step of the point's response card and its time limit, red once
// passed while unacknowledged; the detail has the whole card.
function respHint(a) {
  if (!a.response_first) return null;
  const late = unacked(a) && Date.now() > Date.parse(a.raised_at) + a.response_min * 60000;
  return h('div', { class: 'al-resp' + (late ? ' al-resp-late' : '') },
    t('al.resp', { step: a.response_first, n: a.response_min }), late ? ' · ' + t('al.resp_late') : '');
}

// The alarms of other modules open what raised them (src/warn/warn.h, the
// source is that record's id): a process monitor's (107) its page, with each
// point's share of the departure; a risk forecast's (106) the area's index
// with the reasons; a permit's gas test (104) the permit; a shift handover
// nobody has taken (108) that handover, to take it; a shift change with no
// handover (109, the source is the unit) the unit's handover page, to make it.
const SOURCE_PAGES = {
  109: { path: '/plant/handover?unit_id=', label: 'al.handover', cls: 'al-handover', allow: () => true },
  108: { path: '/plant/handover?id=', label: 'al.handover', cls: 'al-handover', allow: () => true },
  107: { path: '/monitors/', label: 'al.monitor', cls: 'al-monitor', allow: () => session.can.monitorRead() },
  106: { path: '/risk/index/', label: 'al.riskindex', cls: 'al-riskindex', allow: () => true },
  104: { path: '/permits/', label: 'al.permit', cls: 'al-permit', allow: () => true },
};
function sourceLink(a, onclick) {
  const sp = SOURCE_PAGES[a.rule_id];
  if (!sp || !sp.allow()) return null;
  return h('a', { href: sp.path + a.source_id, 'data-link': '', class: sp.cls, onclick }, t(sp.label));
}

// The buttons of one alarm; group: the open alarms of its point when this is
// the first of several (it then also acknowledges the point's unacknowledged ones).
function actions(a, reload, group) {
  const btn = (cls, label, fn) => h('button', { type: 'button', class: 'btn btn-small ' + cls, onclick: fn }, label);
  const post = async (what, body, el) => {
    el.disabled = true;
    try { await api('POST', `/alarms/${a.id}/actions/${what}`, body || {}); reload(a.id); } catch (e) { toastError(e); } finally { el.disabled = false; }
  };
  const ackAll = async (el, list) => {
    el.disabled = true;
    try {
      await api('POST', '/alarms/actions/ack', { ids: list.map((x) => x.id) });
    } catch (e) { toastError(e); } finally { el.disabled = false; reload(a.id); }
  };
  const out = [];
  if (unacked(a)) {
    out.push(btn('btn-primary al-ack', t('al.ack'), (ev) => post('ack', {}, ev.currentTarget)));
  }
  const pending = group ? group.filter(unacked) : [];
  if (pending.length > 1) out.push(btn('al-ack-point', t('al.ack_point', { n: pending.length }), (ev) => ackAll(ev.currentTarget, pending)));
  if (a.state === 'shelved') out.push(btn('al-unshelve', t('al.unshelve'), (ev) => post('unshelve', {}, ev.currentTarget)));
  else if (a.state !== 'oos') out.push(btn('al-shelve', t('al.shelve'), () => shelveForm(a, reload)));
  out.push(btn('al-close', t('al.close'), () => closeForm(a, reload)));
  return h('div', { class: 'al-actions' }, out);
}

// The server's refusals in the page language: close before the alarm is
// cleared and acknowledged is a conflict on "state".
function explain(form, err) {
  if (err && err.status === 409 && err.field === 'state') {
    ui.showError(form, { field: '', message: t('al.err.state') });
    const fe = form.querySelector('.form-error');
    if (fe && err.message) fe.appendChild(h('span', { class: 'err-detail' }, err.message));
    return;
  }
  ui.showError(form, err, { labels: { cause: t('al.f.cause'), action: t('al.f.action'), reason: t('al.f.reason'),
    until: t('al.f.until'), approver_person_id: t('al.f.approver'), approver: t('al.f.approver') } });
}

function closeForm(a, reload) {
  const cause = h('textarea', { name: 'cause', class: 'input', rows: 3, maxlength: 1000, id: 'al-close-cause' });
  const action = h('textarea', { name: 'action', class: 'input', rows: 3, maxlength: 1000, id: 'al-close-action' });
  const form = h('form', { class: 'form', id: 'al-close-form', novalidate: true }, ui.formError(),
    h('p', { class: 'muted' }, serverText(a.title) || a.tag || ''),
    ui.field(t('al.f.cause'), cause), ui.field(t('al.f.action'), action),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'al-close-submit' }, t('al.close'))));
  const d = ui.openDialog(t('al.close.title'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ui.clearErrors(form);
    ui.busy(form, async () => {
      try {
        await api('POST', `/alarms/${a.id}/actions/close`, { cause: cause.value.trim(), action: action.value.trim() });
        d.close();
        ui.toast(t('al.closed'));
        reload(a.id);
      } catch (e) { explain(form, e); }
    });
  });
}

function shelveForm(a, reload) {
  const reason = input('reason', { maxlength: 200, id: 'al-shelve-reason' });
  const until = input('until', { type: 'datetime-local', value: localInput(Date.now() + 3600e3), id: 'al-shelve-until' });
  const fields = [ui.field(t('al.f.reason'), reason), ui.field(t('al.f.until'), until, t('al.f.until_hint'))];
  let approver = null;
  if (a.level === 3) {
    const q = input('approver_q', { type: 'search', placeholder: t('al.f.approver_search'), id: 'al-approver-q' });
    approver = select('approver_person_id', [{ value: '', label: t('al.f.approver_pick') }], '', { id: 'al-approver' });
    let tm = 0;
    q.addEventListener('input', () => {
      clearTimeout(tm);
      tm = setTimeout(async () => {
        try {
          const page = await api('GET', '/people' + qs({ q: q.value.trim(), active: 1, limit: 20 }));
          clear(approver).append(h('option', { value: '' }, t('al.f.approver_pick')),
            ...((page && page.items) || []).map((p) => h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : ''))));
        } catch (e) { toastError(e); }
      }, 250);
    });
    fields.push(h('div', { class: 'field', dataset: { field: 'approver_person_id' } },
      h('label', { for: 'al-approver' }, t('al.f.approver')), q, approver,
      h('div', { class: 'field-hint' }, t('al.f.approver_hint')), h('div', { class: 'field-error', role: 'alert' })));
  }
  const form = h('form', { class: 'form', id: 'al-shelve-form', novalidate: true }, ui.formError(),
    h('p', { class: 'muted' }, serverText(a.title) || a.tag || ''), fields,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'al-shelve-submit' }, t('al.shelve'))));
  const d = ui.openDialog(t('al.shelve.title'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ui.clearErrors(form);
    if (!reason.value.trim()) { ui.showError(form, { field: 'reason', message: t('al.err.reason') }); return; }
    const body = { reason: reason.value.trim(), until: rfc3339Local(until.value) };
    if (approver) {
      if (!approver.value) { ui.showError(form, { field: 'approver_person_id', message: t('al.err.approver') }); return; }
      body.approver_person_id = parseInt(approver.value, 10);
    }
    ui.busy(form, async () => {
      try {
        await api('POST', `/alarms/${a.id}/actions/shelve`, body);
        d.close();
        reload(a.id);
      } catch (e) { explain(form, e); }
    });
  });
}

// Who an event names: an escalation's duty role in words, else the actor.
const whoText = (e) => (e.kind === 'escalate' ? session.roleName(e.who) : e.who);

// One alarm with its events, oldest first (GET /alarms/{id}).
async function detail(id) {
  let a;
  try { a = await api('GET', '/alarms/' + id); } catch (e) { toastError(e); return; }
  const ev = (a.events || []).slice().sort((x, y) => x.seq - y.seq);
  // what to do: the point's response card (pages/response.js)
  const resp = a.point_id ? h('div', { class: 'al-response-slot' }) : null;
  if (resp) alarmCard(resp, a, session.can.pointWrite());
  // the tag opens the trend around the alarm, and the dialog closes (clicked after dlg is set)
  const dlg = ui.openDialog(serverText(a.title) || a.tag || '#' + a.id, h('div', { id: 'al-detail' },
    h('div', { class: 'al-row-top' }, levelBadge(a.level), stateBadge(a.state)),
    h('dl', { class: 'kv' },
      h('dt', null, t('al.col.tag')), h('dd', null, a.point_id
        ? h('a', { href: trendHref(a), 'data-link': '', class: 'al-trend mono', title: t('al.trend'), onclick: () => dlg.close() }, a.tag)
        : a.tag || ''),
      h('dt', null, t('al.col.unit')), h('dd', null, a.unit_name || ''),
      SOURCE_PAGES[a.rule_id] ? [h('dt', null, t('al.source')), h('dd', null, sourceLink(a, () => dlg.close()))] : null,
      h('dt', null, t('al.col.value')), h('dd', null, fmtValue(a)),
      h('dt', null, t('al.col.raised')), h('dd', null, fmtTime(a.raised_at)),
      a.acked_at ? [h('dt', null, t('al.col.acked')), h('dd', { id: 'al-detail-acked' }, fmtTime(a.acked_at) + (a.acked_by ? ' · ' + a.acked_by : ''))] : null,
      a.cleared_at ? [h('dt', null, t('al.col.cleared')), h('dd', null, fmtTime(a.cleared_at))] : null,
      a.closed_at ? [h('dt', null, t('al.col.closed')), h('dd', null, fmtTime(a.closed_at) + (a.closed_by ? ' · ' + a.closed_by : ''))] : null,
      a.cause ? [h('dt', null, t('al.f.cause')), h('dd', null, a.cause)] : null,
      a.action ? [h('dt', null, t('al.f.action')), h('dd', null, a.action)] : null),
    resp,
    a.open && a.context ? contextNode(a.context, { close: () => dlg.close() }) : null,
    h('ol', { class: 'timeline al-events' }, ev.map((e) => h('li', { class: 'timeline-item', dataset: { kind: e.kind } },
      h('span', { class: 'muted' }, fmtTime(e.at)), ' ', t('al.ev.' + e.kind, null, e.kind), e.person_name || e.who ? ' · ' + (e.person_name || whoText(e)) : ''))),
    session.can.audit() ? h('div', { class: 'card-actions' }, h('a', { href: `/audit?entity=alarm&id=${a.id}`, 'data-link': '', class: 'btn',
      id: 'al-evidence', onclick: () => dlg.close() }, t('ev.link'))) : null), { wide: true });
}

// The point's trend around alarm a: the live 24 h while its raise is in
// them, else from an hour before the raise to an hour after it closed, was
// cleared or (still open) now, so an alarm of last week opens on itself.
function trendHref(a) {
  const raised = Date.parse(a.raised_at), now = Date.now();
  if (now - raised < 20 * 3600e3) return '/trends' + qs({ ids: a.point_id });
  const end = Date.parse(a.closed_at || a.cleared_at || '') || now;
  return '/trends' + qs({ ids: a.point_id, range: 'custom', from: rfc3339Local(localInput(raised - 3600e3)),
    to: rfc3339Local(localInput(Math.min(now, end + 3600e3))) });
}

// Closed alarms, newest first, with their handling record; "more" follows next.
async function history(body, f) {
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn btn-block hidden', id: 'al-more' }, t('common.more'));
  body.appendChild(h('div', null, h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table al-table', id: 'al-history' },
    h('thead', null, h('tr', null, ['level', 'title', 'tag', 'unit', 'raised', 'closed', 'closed_by', 'cause', 'action'].map((c) => h('th', null, t('al.col.' + c))))),
    tbody))), more));
  let before = null;
  async function load() {
    const page = await api('GET', '/alarms' + qs(Object.assign(listParams(f), { limit: 50, before })));
    for (const a of (page && page.items) || []) {
      tbody.appendChild(h('tr', { dataset: { alarmId: a.id, level: a.level } },
        h('td', null, levelBadge(a.level)),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => detail(a.id) }, serverText(a.title) || '#' + a.id)),
        h('td', { class: 'mono' }, a.point_id ? h('a', { href: trendHref(a), 'data-link': '', class: 'al-trend', title: t('al.trend') }, a.tag) : a.tag || ''),
        h('td', null, a.unit_name || ''),
        h('td', { class: 'num' }, fmtTime(a.raised_at)),
        h('td', { class: 'num' }, fmtTime(a.closed_at)),
        h('td', null, a.closed_by || ''),
        h('td', { class: 'al-cause' }, a.cause || ''),
        h('td', { class: 'al-action' }, a.action || '')));
    }
    if (!tbody.children.length) tbody.appendChild(h('tr', null, h('td', { colspan: 9 }, emptyState(t('al.history.empty')))));
    before = page ? page.next : null;
    more.classList.toggle('hidden', before === null || before === undefined);
  }
  more.addEventListener('click', () => load().catch(toastError));
  await load();
}
