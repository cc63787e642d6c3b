// pages/handover.js — 交接班: the shift handover of one unit, signed by both
// shifts in the system (src/handover), on one printable page.
//   /plant/handover?unit_id=&hours=   what a handover would hold now (the
//       server's draft): its window (from the last accepted handover, the
//       rostered shift, or the last N hours), the alarms raised in it by
//       level, and what the next shift inherits — alarms still open, bypasses
//       in force, special work active or suspended, work orders not done, who
//       is on duty. The outgoing person writes the note and hands over (交班);
//       a handover already waiting is shown instead of the form. Below, the
//       unit's recent handover records and their ledger (交接班记录台账, xlsx/csv),
//       and the 交接班统计 of the last 30 days: shift ends handed over in time,
//       and how long the next shift took to take them. Last, the unit's
//       交接班要求 (must hand over in the system; minutes before an untaken
//       handover alarms; how early a handover counts), editable with plant.write.
//   /plant/handover?id=               one record as sealed at hand-over time,
//       with both signatures; while it waits, someone other than the giver
//       takes it (接班) or refuses it with the reason (拒绝接班). The next
//       shift (接班班次) and its roster are named; a taker off that roster is
//       told before taking, and the record says so after (never refused).
// Accounts without a person of their own pick whom they sign for (the
// server accepts that only then). Regulators read, never sign.
// Data: GET /units/{id}/handover-draft?hours=, GET /handovers?unit_id=,
// GET /handovers/kpi?unit_id=&days=30, GET/PUT /units/{id}/handover-settings, POST /handovers,
// GET /handovers/{id}, POST /handovers/{id}/actions/{accept|refuse}.
import { api, qs } from '../api.js';
import { t, serverText } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime, badge, select, field, showError, toast, formError, exportButtons, stackTable } from '../ui.js';
import { personField } from './hazard_ui.js';
import * as session from '../session.js';

const HOURS = [8, 12, 24];
const CHAIN = ['grid_leader', 'safety_officer', 'manager'];
const LEVEL_KIND = { 1: 'info', 2: 'warn', 3: 'danger' };
const STATE_KIND = { handed: 'info', accepted: 'ok', refused: 'warn' };

function section(id, title, n, body) {
  return h('section', { class: 'card ho-section', id },
    h('h2', null, title, n === null ? null : [' ', h('span', { class: 'badge badge-off ho-count' }, String(n))]), body);
}

function table(cols, rows) {
  if (!rows.length) return emptyState(t('ho.none'));
  return h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table ho-table' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', null, t('ho.col.' + c))))),
    h('tbody', null, rows))));
}

const alarmRow = (a) => h('tr', { dataset: { alarmId: String(a.id) } },
  h('td', null, badge(t('al.level.' + a.level), LEVEL_KIND[a.level])),
  h('td', null, h('a', { href: '/alarms/' + a.id, 'data-link': '' }, serverText(a.title) || '#' + a.id)),
  h('td', null, fmtTime(a.raised_at)),
  h('td', null, t('al.state.' + a.state, null, a.state)),
  h('td', null, [a.acked_by, a.closed_by].filter(Boolean).join(' / ') || '—'));

// The sections of a snapshot (the server's reading, draft or sealed).
function snapshotView(snap, sum) {
  const list = (k) => (snap[k] && snap[k].items) || [];
  const more = (k) => (snap[k] && snap[k].more ? h('p', { class: 'notice' }, t('ho.capped', { n: list(k).length })) : null);
  const lv = sum.raised_by_level || {};
  const duty = snap.on_duty || {};
  const next = snap.incoming, prev = snap.outgoing;
  // one rostered occurrence: its shift, its crews (班组; snapshots before crews have none) and people
  const occurrence = (o, id, key) => h('p', { id, dataset: { shiftId: String(o.shift_id), day: o.day } },
    t(key, { shift: o.shift_name, at: fmtTime(o.from) }), ' ',
    (o.crews || []).map((n) => [h('span', { class: 'ho-crew', dataset: { crew: n } }, badge(n, 'info')), ' ']),
    o.people.length ? o.people.map((p) => p.name).join('、') : t('ho.noduty'));
  return [
    h('p', { id: 'ho-duty' }, t('ho.duty'), CHAIN.map((r) => {
      const people = duty[r] || [];
      return h('span', { class: 'ho-duty-role', dataset: { role: r } }, ' ', session.roleName(r), ' ',
        people.length ? people.map((p) => p.name).join('、') : t('ho.noduty'));
    })),
    prev ? occurrence(prev, 'ho-outgoing', 'ho.outgoing') : null,
    next ? occurrence(next, 'ho-incoming', 'ho.incoming') : null,
    section('ho-raised', t('ho.raised'), (lv[1] || 0) + (lv[2] || 0) + (lv[3] || 0), [
      h('p', { class: 'muted', id: 'ho-levels' }, t('ho.levels', { l3: lv[3] || 0, l2: lv[2] || 0, l1: lv[1] || 0 })),
      more('raised'), table(['level', 'title', 'raised', 'state', 'who'], list('raised').map(alarmRow))]),
    section('ho-open', t('ho.open'), list('open_alarms').length,
      [more('open_alarms'), table(['level', 'title', 'raised', 'state', 'who'], list('open_alarms').map(alarmRow))]),
    section('ho-bypasses', t('ho.bypasses'), list('bypasses').length,
      table(['interlock', 'until', 'measures'], list('bypasses').map((b) => h('tr', { dataset: { id: String(b.id) } },
        h('td', null, b.interlock, ' ', badge(t('pl.b.' + b.state), b.state === 'expired' ? 'danger' : 'warn')),
        h('td', null, fmtTime(b.expires_at)), h('td', null, b.measures))))),
    section('ho-permits', t('ho.permits'), list('permits').length,
      table(['code', 'title', 'until'], list('permits').map((p) => h('tr', { dataset: { id: String(p.id) } },
        h('td', null, h('a', { href: '/permits/' + p.id, 'data-link': '', class: 'mono' }, p.code),
          p.state === 'suspended' ? [' ', badge(t('al.cx.suspended'), 'off')] : null),
        h('td', null, t('ri.permit.' + p.type), ' ', p.title), h('td', null, fmtTime(p.planned_end)))))),
    section('ho-orders', t('ho.orders'), list('work_orders').length,
      table(['title', 'state', 'due'], list('work_orders').map((w) => h('tr', { dataset: { id: String(w.id) } },
        h('td', null, w.title), h('td', null, t('pl.w.' + w.state)), h('td', null, w.due_at ? fmtTime(w.due_at) : '—'))))),
  ].filter(Boolean); // (spread into append, a null would print as text)
}

const ownPerson = () => (session.me().person && session.me().person.id) || 0;

// "自上次接班 … 起" / "白班 … 起" / "最近 12 小时".
function windowText(d, hours) {
  if (d.from_kind === 'previous') return t('ho.from.previous', { at: fmtTime(d.period_from) });
  if (d.from_kind === 'shift') return t('ho.from.shift', { shift: d.shift_name, at: fmtTime(d.period_from) });
  return t('ho.hours', { h: hours });
}

function giveForm(ctx, unit, hours) {
  const note = h('textarea', { name: 'note', class: 'input', rows: 3, required: true, placeholder: t('ho.note_hint') });
  const form = h('form', { class: 'card ho-give no-print', id: 'ho-give', novalidate: true },
    h('h2', null, t('ho.give')), formError(), field(t('ho.note'), note),
    ownPerson() ? null : personField('person_id', t('ho.as'), true),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'ho-give-btn' }, t('ho.give_btn'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { unit_id: unit.id, note: note.value, hours };
    const who = form.querySelector('[name=person_id]');
    if (who && who.value) body.handed_by_person_id = Number(who.value);
    try {
      const rec = await api('POST', '/handovers', body);
      toast(t('ho.given_ok'), 'ok');
      ctx.go('/plant/handover' + qs({ id: rec.id }));
    } catch (e) { showError(form, e, { labels: { handed_by_person_id: t('ho.as') } }); }
  });
  return form;
}

function historyView(unit, items) {
  return section('ho-history', t('ho.history'), items.length, [
    h('div', { class: 'toolbar no-print' }, exportButtons('/handovers' + qs({ unit_id: unit.id }), 'ho')),
    table(['at', 'shift', 'out', 'in', 'hstate', 'summary'], items.map((x) => h('tr', { dataset: { id: String(x.id) } },
      h('td', null, h('a', { href: '/plant/handover?id=' + x.id, 'data-link': '' }, fmtTime(x.handed_at))),
      h('td', null, x.shift_name || '—'),
      h('td', null, x.handed_by.name),
      h('td', null, x.taken_by ? x.taken_by.name : '—'),
      h('td', null, badge(t('ho.state.' + x.state), STATE_KIND[x.state])),
      h('td', { class: 'muted' }, t('ho.sum', { open: x.summary.open_alarms || 0, bypasses: x.summary.bypasses || 0,
        permits: x.summary.permits || 0, orders: x.summary.work_orders || 0 })))))]);
}

// 交接班统计 of the unit's subtree (GET /handovers/kpi): in time, taken in
// time; the hint gives the unit's own rules (each row is counted by its own).
function kpiView(k, st) {
  const num = (v) => h('td', { class: 'num' }, v);
  return section('ho-kpi', t('ho.kpi', { days: k.days }), k.items.length, [
    h('p', { class: 'muted' }, t('ho.kpi_hint', { wait: st.wait_min, early: st.early_min })),
    table(['unit', 'ends', 'in_time', 'counts', 'take', 'take_late', 'off_roster'], k.items.map((u) => h('tr', { dataset: { unitId: String(u.unit_id), inTime: String(u.in_time), ends: String(u.shift_ends), offRoster: String(u.taken_off_roster) } },
      h('td', null, u.unit_name),
      num(String(u.shift_ends)),
      num(u.in_time_rate === null ? '—' : t('ho.rate', { n: u.in_time, p: Math.round(u.in_time_rate * 100) })),
      num(`${u.accepted} / ${u.refused} / ${u.waiting}`),
      num(u.take_median_min === null ? '—' : t('ho.minutes', { n: u.take_median_min })),
      num(u.take_late ? badge(String(u.take_late), 'warn') : '0'),
      num(u.taken_off_roster ? badge(String(u.taken_off_roster), 'warn') : '0'))))]);
}

// 交接班要求 of the unit: read for everyone, a form for plant.write.
function settingsView(ctx, unit, st) {
  const said = t(st.required ? 'ho.set.required_on' : 'ho.set.required_off') + ' · ' +
    t('ho.set.summary', { wait: st.wait_min, early: st.early_min }) + (st.source === 'default' ? ' ' + t('ho.set.default') : '');
  if (!session.can.plantWrite()) {
    return section('ho-settings', t('ho.set.title'), null, h('p', { id: 'ho-set-said' }, said));
  }
  const req = h('input', { type: 'checkbox', name: 'required', checked: st.required });
  const wait = h('input', { type: 'number', name: 'wait_min', class: 'input', min: 5, max: 240, value: String(st.wait_min) });
  const early = h('input', { type: 'number', name: 'early_min', class: 'input', min: 0, max: 480, value: String(st.early_min) });
  const form = h('form', { class: 'no-print', id: 'ho-set-form', novalidate: true }, formError(),
    h('label', { class: 'check' }, req, ' ', t('ho.set.required')),
    field(t('ho.set.wait'), wait, t('ho.set.wait_hint')), field(t('ho.set.early'), early, t('ho.set.early_hint')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn', id: 'ho-set-save' }, t('ho.set.save'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const num = (x) => (x.value.trim() === '' ? x.value : Number(x.value)); // the server names a bad one
    try {
      await api('PUT', `/units/${unit.id}/handover-settings`, { required: req.checked, wait_min: num(wait), early_min: num(early) });
      toast(t('ho.set.saved'), 'ok');
      ctx.go('/plant/handover' + qs({ unit_id: unit.id }));
    } catch (e) { showError(form, e, { labels: { wait_min: t('ho.set.wait'), early_min: t('ho.set.early'), required: t('ho.set.required') } }); }
  });
  return section('ho-settings', t('ho.set.title'), null, [h('p', { class: 'muted', id: 'ho-set-said' }, said), form]);
}

async function renderDraft(main, ctx, q) {
  const me = session.me();
  const units = await session.units();
  const unitId = Number(q.get('unit_id')) || (me.scope && me.scope.id);
  const hours = HOURS.includes(Number(q.get('hours'))) ? Number(q.get('hours')) : 12;
  const unit = units.find((u) => u.id === unitId) || units[0];
  const go = (u, hh) => ctx.go('/plant/handover' + qs({ unit_id: u, hours: hh }));
  const unitSel = select('unit_id', units.filter((u) => u.active !== false).map((u) => ({ value: String(u.id), label: u.name })), String(unit ? unit.id : ''));
  unitSel.addEventListener('change', () => go(unitSel.value, hours));
  const hoursSel = select('hours', HOURS.map((x) => ({ value: String(x), label: t('ho.hours', { h: x }) })), String(hours));
  hoursSel.addEventListener('change', () => go(unitSel.value, hoursSel.value));
  main.appendChild(pageHead(t('ho.title'),
    h('button', { type: 'button', class: 'btn no-print', id: 'ho-print', onclick: () => window.print() }, t('ho.print'))));
  const hoursField = field(t('ho.window'), hoursSel, t('ho.window_hint'));
  main.appendChild(h('div', { class: 'filters no-print' }, field(t('ho.unit'), unitSel), hoursField));
  if (!unit) { main.appendChild(emptyState(t('ho.nounit'))); return; }
  const [d, history, kpi, settings] = await Promise.all([
    api('GET', `/units/${unit.id}/handover-draft` + qs({ hours })),
    api('GET', '/handovers' + qs({ unit_id: unit.id, limit: 20 })).then((r) => r.items),
    api('GET', '/handovers/kpi' + qs({ unit_id: unit.id, days: 30 })),
    api('GET', `/units/${unit.id}/handover-settings`),
  ]);
  if (d.from_kind !== 'hours') hoursField.style.display = 'none'; // the roster or the last handover sets the window
  const waiting = history.find((x) => x.state === 'handed' && x.unit_id === unit.id);
  main.appendChild(h('p', { class: 'ho-head', id: 'ho-head' },
    t('ho.head', { unit: unit.name, from: fmtTime(d.period_from), to: fmtTime(d.period_to) }), ' · ',
    h('span', { id: 'ho-from', dataset: { kind: d.from_kind } }, windowText(d, hours))));
  if (waiting) {
    main.appendChild(h('p', { class: 'notice no-print', id: 'ho-waiting' }, t('ho.waiting', { who: waiting.handed_by.name, at: fmtTime(waiting.handed_at) }), ' ',
      h('a', { href: '/plant/handover?id=' + waiting.id, 'data-link': '', class: 'btn btn-small' }, t('ho.open_record'))));
  } else if (session.can.handover()) {
    main.appendChild(giveForm(ctx, unit, hours));
  }
  main.append(...snapshotView(d.snapshot, d.summary));
  main.appendChild(historyView(unit, history));
  main.appendChild(h('div', { class: 'no-print' }, kpiView(kpi, settings), settingsView(ctx, unit, settings)));
  main.appendChild(h('div', { class: 'ho-sign', id: 'ho-sign' },
    h('span', null, t('ho.sign_out')), h('span', null, t('ho.sign_in')), h('span', null, t('ho.sign_at'))));
}

function takeForm(ctx, rec) {
  const note = h('textarea', { name: 'note', class: 'input', rows: 2, placeholder: t('ho.take_hint') });
  const next = rec.snapshot && rec.snapshot.incoming;
  // told, not refused: the server records it (taken_on_roster) as it stands at taking
  const offRoster = next && next.people.length && ownPerson() && !next.people.some((p) => p.id === ownPerson());
  const form = h('form', { class: 'card ho-take no-print', id: 'ho-take', novalidate: true },
    h('h2', null, t('ho.take')), formError(),
    offRoster ? h('p', { class: 'notice', id: 'ho-off-roster' }, t('ho.off_roster_me', { shift: next.shift_name })) : null,
    field(t('ho.take_note'), note),
    ownPerson() ? null : personField('person_id', t('ho.as'), true));
  const act = (action) => async () => {
    const body = {};
    if (note.value.trim()) body.note = note.value;
    const who = form.querySelector('[name=person_id]');
    if (who && who.value) body.taken_by_person_id = Number(who.value);
    try {
      await api('POST', `/handovers/${rec.id}/actions/${action}`, body);
      toast(t(action === 'accept' ? 'ho.accepted_ok' : 'ho.refused_ok'), 'ok');
      ctx.go('/plant/handover' + qs({ id: rec.id }));
    } catch (e) { showError(form, e, { labels: { taken_by_person_id: t('ho.as'), note: t('ho.take_note') } }); }
  };
  form.appendChild(h('div', { class: 'form-actions' },
    h('button', { type: 'button', class: 'btn btn-primary', id: 'ho-accept', onclick: act('accept') }, t('ho.accept')),
    h('button', { type: 'button', class: 'btn btn-danger', id: 'ho-refuse', onclick: act('refuse') }, t('ho.refuse'))));
  form.addEventListener('submit', (ev) => ev.preventDefault());
  return form;
}

async function renderRecord(main, ctx, id) {
  const rec = await api('GET', '/handovers/' + id);
  main.appendChild(pageHead(t('ho.record'),
    h('a', { href: '/plant/handover' + qs({ unit_id: rec.unit_id }), 'data-link': '', class: 'btn no-print', id: 'ho-back' }, t('ho.back')),
    h('button', { type: 'button', class: 'btn no-print', id: 'ho-print', onclick: () => window.print() }, t('ho.print'))));
  main.appendChild(h('p', { class: 'ho-head', id: 'ho-head' },
    t('ho.head', { unit: rec.unit_name, from: fmtTime(rec.period_from), to: fmtTime(rec.period_to) }),
    rec.shift_name ? ' · ' + rec.shift_name : '', ' ',
    h('span', { id: 'ho-state', dataset: { state: rec.state } }, badge(t('ho.state.' + rec.state), STATE_KIND[rec.state]))));
  main.appendChild(h('section', { class: 'card', id: 'ho-notes' },
    h('p', null, h('strong', null, t('ho.note'), '：'), h('span', { id: 'ho-note', class: 'ho-text' }, rec.note)),
    rec.taken_note ? h('p', null, h('strong', null, t(rec.state === 'refused' ? 'ho.refused_why' : 'ho.take_note'), '：'),
      h('span', { id: 'ho-taken-note', class: 'ho-text' }, rec.taken_note)) : null));
  const mine = ownPerson() && ownPerson() === rec.handed_by.id;
  if (rec.state === 'handed' && session.can.handover() && !mine) main.appendChild(takeForm(ctx, rec));
  else if (rec.state === 'handed' && mine) main.appendChild(h('p', { class: 'notice no-print', id: 'ho-wait-own' }, t('ho.wait_own')));
  main.append(...snapshotView(rec.snapshot || {}, rec.summary || {}));
  main.appendChild(h('div', { class: 'ho-sign', id: 'ho-sign' },
    h('span', null, t('ho.sign_out'), ' ', rec.handed_by.name, ' ', fmtTime(rec.handed_at)),
    h('span', { id: 'ho-sign-in', dataset: { onRoster: String(rec.taken_on_roster) } }, t(rec.state === 'refused' ? 'ho.refused_by' : 'ho.sign_in'), ' ',
      rec.taken_by ? rec.taken_by.name + ' ' + fmtTime(rec.taken_at) : t('ho.state.handed'),
      rec.taken_on_roster === false ? [' ', badge(t('ho.off_roster'), 'warn')] : null),
    h('span', { class: 'muted' }, t('ho.sealed'))));
}

export async function render(main, ctx) {
  const q = new URLSearchParams(location.search);
  const id = Number(q.get('id'));
  if (id) return renderRecord(main, ctx, id);
  return renderDraft(main, ctx, q);
}
