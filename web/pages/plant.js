// pages/plant.js — 设备与联锁: the interlock bypasses (联锁旁路) and the
// maintenance work orders of the reader's scope, the records the
// early-warning issue keeps (docs/internals/plant.md), on one page:
//   bypasses    still in force first (expired and not restored, active with
//               the time left, approved, requested), with the interlock, the
//               reason, the measures taken meanwhile and who asked and
//               approved; 恢复联锁 for one in force, 取消 for one not yet in force
//   work orders open first (in progress, open), with the equipment, kind,
//               where it came from (a sensor fault, the 3-in-30-days rule, by
//               hand) and the due time; 开始, and 完成 / 取消 with a note
// Data: GET /bypasses, /work-orders, /equipment, /people (names); actions
// through POST .../actions/{action}. plant.write (admin, manager, safety
// officer, department head) is offered the actions; the server decides.
import { api, listAll } from '../api.js';
import { t } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime, badge, toast, errorNode, confirmDialog } from '../ui.js';
import * as session from '../session.js';

const BYPASS_ORDER = { expired: 0, active: 1, approved: 2, requested: 3, restored: 4, cancelled: 5 };
const BYPASS_KIND = { expired: 'danger', active: 'warn', approved: 'info', requested: 'info', restored: 'ok', cancelled: 'off' };
const WO_ORDER = { in_progress: 0, open: 1, done: 2, cancelled: 3 };
const WO_KIND = { in_progress: 'info', open: 'warn', done: 'ok', cancelled: 'off' };

function canWrite() {
  const me = session.me();
  return !!me && (me.roles || []).some((r) => ['admin', 'manager', 'safety_officer', 'dept_head'].includes(r));
}

// "还剩 3 小时 20 分" or "已超期 2 小时"
function left(iso) {
  const ms = Date.parse(iso) - Date.now();
  const m = Math.max(1, Math.round(Math.abs(ms) / 60000));
  const text = m >= 60 ? t('pl.hm', { h: Math.floor(m / 60), m: m % 60 }) : t('pl.m', { m });
  return ms < 0 ? t('pl.late', { v: text }) : t('pl.left', { v: text });
}

export async function render(main, ctx) {
  const [bypasses, orders, equipment, units] = await Promise.all([listAll('/bypasses'), listAll('/work-orders'),
    listAll('/equipment'), session.units()]);
  const eqName = (id) => { const e = equipment.find((x) => x.id === id); return e ? e.code + ' ' + e.name : ''; };
  const people = new Map();
  const ids = [...new Set(bypasses.flatMap((b) => [b.requested_by_person_id, b.approver_person_id]).concat(orders.map((w) => w.assignee_person_id)).filter(Boolean))];
  await Promise.all(ids.map((id) => api('GET', '/people/' + id).then((p) => people.set(id, p.name)).catch(() => null)));
  const who = (id) => (id ? people.get(id) || '#' + id : '—');
  const write = canWrite();
  const reload = () => ctx.go(location.pathname, true);
  const act = async (path, body, done) => {
    try {
      await api('POST', path, body);
      toast(done, 'ok');
      reload();
    } catch (e) { toast(errorNode(e), 'error'); }
  };

  const bRows = bypasses.slice().sort((a, b) => BYPASS_ORDER[a.state] - BYPASS_ORDER[b.state] || String(a.expires_at).localeCompare(String(b.expires_at)));
  const inForce = (b) => b.state === 'active' || b.state === 'expired';
  const bypassCard = (b) => h('div', { class: 'row-card pl-bypass', dataset: { id: String(b.id), state: b.state } },
    h('div', null,
      h('strong', null, b.interlock), ' ', badge(t('pl.b.' + b.state), BYPASS_KIND[b.state]),
      inForce(b) ? h('span', { class: b.state === 'expired' ? 'vr-warn pl-left' : 'muted pl-left' }, ' ', left(b.expires_at)) : null,
      h('div', { class: 'muted' }, session.unitName(units, b.unit_id), b.equipment_id ? ' · ' + eqName(b.equipment_id) : '',
        ' · ', t('pl.b.until', { at: fmtTime(b.expires_at) })),
      h('div', null, t('pl.b.reason'), '：', b.reason),
      h('div', null, t('pl.b.measures'), '：', b.measures),
      h('div', { class: 'muted' }, t('pl.b.people', { req: who(b.requested_by_person_id), appr: who(b.approver_person_id) }),
        b.extensions ? ' · ' + t('pl.b.extended', { n: b.extensions }) : '')),
    write && inForce(b) ? h('button', { type: 'button', class: 'btn btn-small btn-primary pl-restore', onclick: async () => {
      if (await confirmDialog(t('pl.b.restore'), t('pl.b.restore_q', { name: b.interlock }), t('pl.b.restore')))
        act(`/bypasses/${b.id}/actions/restore`, {}, t('pl.b.restored_ok'));
    } }, t('pl.b.restore')) : null,
    write && (b.state === 'requested' || b.state === 'approved') ? h('button', { type: 'button', class: 'btn btn-small pl-cancel', onclick: async () => {
      if (await confirmDialog(t('pl.b.cancel'), t('pl.b.cancel_q', { name: b.interlock }), t('pl.b.cancel'), true))
        act(`/bypasses/${b.id}/actions/cancel`, {}, t('pl.b.cancelled_ok'));
    } }, t('pl.b.cancel')) : null);

  const wRows = orders.slice().sort((a, b) => WO_ORDER[a.state] - WO_ORDER[b.state] || String(a.due_at || '~').localeCompare(String(b.due_at || '~')));
  const late = (w) => (w.state === 'open' || w.state === 'in_progress') && w.due_at && Date.parse(w.due_at) < Date.now();
  const closeWith = (w, action) => {
    const note = h('input', { class: 'input tf-note', name: 'note', placeholder: t('pl.w.note') });
    const box = h('div', { class: 'tf-task-actions' }, note, h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => {
      if (!note.value.trim()) { note.focus(); toast(t('pl.w.need_note'), 'error'); return; }
      act(`/work-orders/${w.id}/actions/${action}`, { note: note.value.trim() }, t('pl.w.' + action + '_ok'));
    } }, t('pl.w.act.' + action)));
    return box;
  };
  const orderCard = (w) => {
    const card = h('div', { class: 'row-card pl-order', dataset: { id: String(w.id), state: w.state } },
      h('div', null,
        h('strong', null, w.title), ' ', badge(t('pl.w.' + w.state), WO_KIND[w.state]), ' ', badge(t('pl.w.kind.' + w.kind, null, w.kind)),
        late(w) ? h('span', { class: 'vr-warn' }, ' ', t('pl.w.late')) : null,
        h('div', { class: 'muted' }, session.unitName(units, w.unit_id), w.equipment_id ? ' · ' + eqName(w.equipment_id) : '',
          ' · ', t('pl.w.source.' + ((w.source && w.source.kind) || 'manual'), null, (w.source && w.source.kind) || ''),
          w.due_at ? ' · ' + t('pl.w.due', { at: fmtTime(w.due_at) }) : ''),
        w.description ? h('div', null, w.description) : null,
        w.close_note ? h('div', { class: 'muted' }, t('pl.w.closed', { by: w.closed_by || '', at: fmtTime(w.closed_at), note: w.close_note })) : null));
    if (write && w.state === 'open')
      card.append(h('button', { type: 'button', class: 'btn btn-small btn-primary pl-start', onclick: () => act(`/work-orders/${w.id}/actions/start`, {}, t('pl.w.start_ok')) }, t('pl.w.start')));
    if (write && w.state === 'in_progress') card.append(closeWith(w, 'done'));
    return card;
  };

  const nInForce = bypasses.filter(inForce).length, nExpired = bypasses.filter((b) => b.state === 'expired').length;
  const nOpen = orders.filter((w) => w.state === 'open' || w.state === 'in_progress').length;
  main.appendChild(h('div', { class: 'page', id: 'plant' },
    pageHead(t('pl.title')),
    h('p', { class: 'hint' }, t('pl.intro')),
    h('div', { class: 'chips', id: 'pl-counts', dataset: { inforce: nInForce, expired: nExpired, open: nOpen } },
      badge(t('pl.c.inforce', { n: nInForce }), nInForce ? 'warn' : 'off'),
      badge(t('pl.c.expired', { n: nExpired }), nExpired ? 'danger' : 'off'),
      badge(t('pl.c.orders', { n: nOpen }), nOpen ? 'info' : 'off')),
    h('h2', null, t('pl.bypasses')),
    bRows.length ? h('div', { class: 'rows', id: 'pl-bypasses' }, bRows.map(bypassCard)) : emptyState(t('pl.b.none')),
    h('h2', null, t('pl.orders')),
    wRows.length ? h('div', { class: 'rows', id: 'pl-orders' }, wRows.map(orderCard)) : emptyState(t('pl.w.none'))));
}
