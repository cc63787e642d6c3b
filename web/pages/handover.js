// pages/handover.js — 交接班: what the outgoing shift hands over for one unit,
// on one printable page (/plant/handover?unit_id=&hours=), as plants keep a
// shift handover record (交接班记录) signed by both shifts:
//   this shift   the alarms raised in the last N hours (8, 12 or 24; the
//                shift's length), counted by level, each with its state now
//                and who acknowledged or closed it
//   handed over  what the next shift inherits: the alarms still open, the
//                interlock bypasses in force (with their expiry and measures),
//                the special work active or suspended, and the work orders
//                not done
//   on duty      who is on duty now for grid leader, safety officer and
//                manager (the escalation chain), from the roster
// and lines for the two signatures when printed. Read-only: every list is
// the server's, in the reader's scope (plant.read, alarm.read and
// permit.read are every role's).
// Data: GET /alarms?state=all&unit_id=&from=&to=, /alarms?state=open&unit_id=,
// /bypasses?unit_id=&state=, /permits?unit_id=&state=, /work-orders?unit_id=&state=,
// /units/{id}/on-duty?role=.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime, badge, select, field } from '../ui.js';
import * as session from '../session.js';

const HOURS = [8, 12, 24];
const ALARM_CAP = 500; // one page of alarms (the API's most); more is said, not hidden
const CHAIN = ['grid_leader', 'safety_officer', 'manager'];
const LEVEL_KIND = { 1: 'info', 2: 'warn', 3: 'danger' };

function section(id, title, n, body) {
  return h('section', { class: 'card ho-section', id },
    h('h2', null, title, ' ', h('span', { class: 'badge badge-off ho-count' }, String(n))), body);
}

function table(cols, rows) {
  if (!rows.length) return emptyState(t('ho.none'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table ho-table' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', null, t('ho.col.' + c))))),
    h('tbody', null, rows)));
}

const alarmRow = (a) => h('tr', { dataset: { alarmId: String(a.id) } },
  h('td', null, badge(t('al.level.' + a.level), LEVEL_KIND[a.level])),
  h('td', null, a.title || a.tag || '#' + a.id),
  h('td', null, fmtTime(a.raised_at)),
  h('td', null, t('al.state.' + a.state, null, a.state)),
  h('td', null, [a.acked_by, a.closed_by].filter(Boolean).join(' / ') || '—'));

export async function render(main, ctx) {
  const q = new URLSearchParams(location.search);
  const me = session.me();
  const units = await session.units();
  const unitId = Number(q.get('unit_id')) || (me.scope && me.scope.id);
  const hours = HOURS.includes(Number(q.get('hours'))) ? Number(q.get('hours')) : 12;
  const unit = units.find((u) => u.id === unitId) || units[0];
  const to = new Date(), from = new Date(to.getTime() - hours * 3600e3);
  const go = (u, hh) => ctx.go('/plant/handover' + qs({ unit_id: u, hours: hh }));
  const unitSel = select('unit_id', units.filter((u) => u.active !== false).map((u) => ({ value: String(u.id), label: u.name })), String(unit ? unit.id : ''));
  unitSel.addEventListener('change', () => go(unitSel.value, hours));
  const hoursSel = select('hours', HOURS.map((x) => ({ value: String(x), label: t('ho.hours', { h: x }) })), String(hours));
  hoursSel.addEventListener('change', () => go(unitSel.value, hoursSel.value));
  main.appendChild(pageHead(t('ho.title'),
    h('button', { type: 'button', class: 'btn no-print', id: 'ho-print', onclick: () => window.print() }, t('ho.print'))));
  main.appendChild(h('div', { class: 'filters no-print' }, field(t('ho.unit'), unitSel), field(t('ho.window'), hoursSel)));
  if (!unit) { main.appendChild(emptyState(t('ho.nounit'))); return; }
  const u = { unit_id: unit.id };
  const [raised, open, bypasses, permits, orders, duty] = await Promise.all([
    api('GET', '/alarms' + qs({ ...u, state: 'all', from: from.toISOString(), to: to.toISOString(), limit: ALARM_CAP })).then((r) => r.items),
    api('GET', '/alarms' + qs({ ...u, state: 'open', limit: ALARM_CAP })).then((r) => r.items),
    Promise.all(['active', 'expired'].map((s) => listAll('/bypasses' + qs({ ...u, state: s })))).then((x) => x.flat()),
    Promise.all(['active', 'suspended'].map((s) => listAll('/permits' + qs({ ...u, state: s })))).then((x) => x.flat()),
    Promise.all(['open', 'in_progress'].map((s) => listAll('/work-orders' + qs({ ...u, state: s })))).then((x) => x.flat()),
    Promise.all(CHAIN.map((r) => api('GET', `/units/${unit.id}/on-duty` + qs({ role: r })).catch(() => null))),
  ]);
  const newest = (a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at);
  raised.sort(newest);
  open.sort(newest);
  const count = (lv) => raised.filter((a) => a.level === lv).length;
  main.appendChild(h('p', { class: 'ho-head', id: 'ho-head' },
    t('ho.head', { unit: unit.name, from: fmtTime(from.toISOString()), to: fmtTime(to.toISOString()) })));
  main.appendChild(h('p', { id: 'ho-duty' }, t('ho.duty'), CHAIN.map((r, i) => {
    const people = (duty[i] && duty[i].people) || [];
    return h('span', { class: 'ho-duty-role', dataset: { role: r } }, ' ', session.roleName(r), ' ',
      people.length ? people.map((p) => p.name).join('、') : t('ho.noduty'));
  })));
  const capped = (list) => (list.length >= ALARM_CAP ? h('p', { class: 'notice' }, t('ho.capped', { n: ALARM_CAP })) : null);
  main.appendChild(section('ho-raised', t('ho.raised'), raised.length, [
    h('p', { class: 'muted', id: 'ho-levels' }, t('ho.levels', { l3: count(3), l2: count(2), l1: count(1) })), capped(raised),
    table(['level', 'title', 'raised', 'state', 'who'], raised.map(alarmRow))]));
  main.appendChild(section('ho-open', t('ho.open'), open.length,
    [capped(open), table(['level', 'title', 'raised', 'state', 'who'], open.map(alarmRow))]));
  main.appendChild(section('ho-bypasses', t('ho.bypasses'), bypasses.length,
    table(['interlock', 'until', 'measures'], bypasses.map((b) => h('tr', { dataset: { id: String(b.id) } },
      h('td', null, b.interlock, ' ', badge(t('pl.b.' + b.state), b.state === 'expired' ? 'danger' : 'warn')),
      h('td', null, fmtTime(b.expires_at)), h('td', null, b.measures))))));
  main.appendChild(section('ho-permits', t('ho.permits'), permits.length,
    table(['code', 'title', 'until'], permits.map((p) => h('tr', { dataset: { id: String(p.id) } },
      h('td', null, h('a', { href: '/permits/' + p.id, 'data-link': '', class: 'mono' }, p.code),
        p.state === 'suspended' ? [' ', badge(t('al.cx.suspended'), 'off')] : null),
      h('td', null, t('ri.permit.' + p.type), ' ', p.title), h('td', null, fmtTime(p.planned_end)))))));
  main.appendChild(section('ho-orders', t('ho.orders'), orders.length,
    table(['title', 'state', 'due'], orders.map((w) => h('tr', { dataset: { id: String(w.id) } },
      h('td', null, w.title), h('td', null, t('pl.w.' + w.state)), h('td', null, w.due_at ? fmtTime(w.due_at) : '—'))))));
  main.appendChild(h('div', { class: 'ho-sign', id: 'ho-sign' },
    h('span', null, t('ho.sign_out')), h('span', null, t('ho.sign_in')), h('span', null, t('ho.sign_at'))));
}
