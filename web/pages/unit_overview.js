// pages/unit_overview.js — the home page's overview of the units right under
// the caller's scope: a park's enterprises (园区企业概览, for the park's
// regulator and admin), an enterprise's sites (for its manager and safety
// officer), a site's areas, and so on. One row per unit with its highest
// dynamic risk index, open major, overdue and supervised (督办) hidden
// dangers, open 紧急 and 报警 alarms, and special work in progress, each
// linking to the filtered list. Not a page: home.js shows the section.
//
// Data, all in the caller's scope: /units (a unit belongs to the row whose
// path is a prefix of its own), /risk-index, /hazards/stats?unit_id= per row,
// /alarms?state=open and /permits?state=active, counted per row here.
//
// A scope with no units under it (a grid leader's or a worker's grid) gets
// the risk notice of its area instead (areaNotice, 风险告知): the area's index
// and colour, what drives it, the colour coming, and the open alarms.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';
import * as session from '../session.js';
import { colourBadge, factorName, detailText, warningCause } from './riskindex.js';

const ALARM_CAP = 500; // one page of open alarms; more shows as "500+"

// The section for the units right under scope ({id, kind, name}); null when it has none.
export async function unitOverview(scope) {
  const units = await session.units();
  const ents = units.filter((u) => u.parent_id === scope.id && u.active !== false);
  if (!ents.length) return null;
  const park = scope.kind === 'park';
  const box = h('section', { class: 'card', id: 'home-park', dataset: { scopeKind: scope.kind } },
    h('h2', null, park ? t('park.title') : t('park.title_units', { name: scope.name })));
  const pathOf = new Map(units.map((u) => [u.id, u.path || '']));
  const rowOf = (unitId) => { const p = pathOf.get(unitId) || ''; const e = ents.find((x) => p.startsWith(x.path)); return e ? e.id : null; };
  const entOf = new Map(units.map((u) => [u.id, rowOf(u.id)]));
  const [ri, alarms, permits, stats] = await Promise.all([
    api('GET', '/risk-index').catch(() => null),
    api('GET', '/alarms' + qs({ state: 'open', limit: ALARM_CAP })).catch(() => null),
    listAll('/permits?state=active', 2000).catch(() => null),
    Promise.all(ents.map((e) => api('GET', '/hazards/stats' + qs({ unit_id: e.id })).catch(() => null))),
  ]);
  const row = new Map(ents.map((e, i) => [e.id, { e, risk: null, st: stats[i], l3: 0, l2: 0, permits: 0 }]));
  const at = (unitId) => row.get(entOf.get(unitId));
  for (const a of (ri && ri.items) || []) {
    const r = at(a.unit_id);
    if (r && (!r.risk || a.index > r.risk.index)) r.risk = a;
  }
  const alarmItems = (alarms && alarms.items) || [];
  for (const a of alarmItems) {
    const r = at(a.unit_id);
    if (r && a.level === 3) r.l3++;
    if (r && a.level === 2) r.l2++;
  }
  for (const p of permits || []) { const r = at(p.unit_id); if (r) r.permits++; }
  const capped = alarmItems.length >= ALARM_CAP;
  const n = (v) => (v === null || v === undefined ? '—' : String(v));
  const link = (href, text, cls) => h('a', { href, 'data-link': '', class: cls || '' }, text);
  // the riskiest first: risk index, then emergencies, then open major hidden dangers
  const rows = [...row.values()].sort((a, b) => ((b.risk ? b.risk.index : -1) - (a.risk ? a.risk.index : -1)) ||
    (b.l3 - a.l3) || (((b.st && b.st.major_open) || 0) - ((a.st && a.st.major_open) || 0)));
  box.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'table park-table' },
    h('thead', null, h('tr', null, [park ? 'ent' : 'unit', 'risk', 'major', 'overdue', 'supervised', 'alarms', 'permits'].map((c) => h('th', null, t('park.col.' + c))))),
    h('tbody', null, rows.map((r) => h('tr', { dataset: { unitId: String(r.e.id) } },
      h('td', null, r.e.name),
      h('td', { dataset: { col: 'risk' } }, r.risk ? link('/risk/index/' + r.risk.unit_id, [colourBadge(r.risk.colour, r.risk.index), ' ', r.risk.name]) : '—'),
      h('td', { class: 'num', dataset: { col: 'major' } }, r.st ? link('/hazards' + qs({ unit_id: r.e.id, grade: 'major' }), n(r.st.major_open)) : '—'),
      h('td', { class: 'num', dataset: { col: 'overdue' } }, r.st ? link('/hazards' + qs({ unit_id: r.e.id, overdue: 1 }), n(r.st.overdue)) : '—'),
      h('td', { class: 'num', dataset: { col: 'supervised' } }, r.st ? link('/hazards' + qs({ unit_id: r.e.id, supervised: 1 }), n(r.st.supervised_open)) : '—'),
      h('td', { class: 'num', dataset: { col: 'alarms' } }, link('/alarms' + qs({ unit_id: r.e.id }),
        t('park.alarms', { l3: r.l3, l2: r.l2 }) + (capped ? '+' : ''), r.l3 ? 'park-hot' : '')),
      h('td', { class: 'num', dataset: { col: 'permits' } }, n(r.permits))))))));
  box.appendChild(h('p', { class: 'muted small' }, t('park.note')));
  return box;
}

// The risk notice of the caller's area (风险告知) for a scope with no units
// under it: /risk-index gives a grid's own area; null when there is none.
export async function areaNotice() {
  const [ri, alarms] = await Promise.all([
    api('GET', '/risk-index').catch(() => null),
    api('GET', '/alarms' + qs({ state: 'open', limit: ALARM_CAP })).catch(() => null),
  ]);
  const a = ri && ri.items && ri.items[0];
  if (!a) return null;
  const items = (alarms && alarms.items) || [];
  const count = (lv) => items.filter((x) => x.level === lv).length;
  const l3 = count(3), l2 = count(2), l1 = count(1);
  const w = a.warning;
  return h('section', { class: 'card', id: 'home-area', dataset: { unitId: String(a.unit_id) } },
    h('h2', null, t('home.area.title', { name: a.name })),
    h('p', { class: 'home-area-now' }, colourBadge(a.colour, a.index), ' ',
      h('a', { href: '/risk/index/' + a.unit_id, 'data-link': '' }, t('home.area.more'))),
    a.factors.length ? h('ul', { class: 'home-area-factors' }, a.factors.slice(0, 3).map((f) =>
      h('li', { dataset: { factor: f.factor } }, factorName(f.factor) + t('ri.colon') + detailText(f.factor, f.detail)))) : null,
    w ? h('p', { class: 'notice notice-error', id: 'home-area-warning' },
      t('home.area.coming', { h: w.in_h, colour: t('ri.colour.' + w.colour) }), warningCause(w)) : null,
    h('p', null, h('a', { href: '/alarms', 'data-link': '', id: 'home-area-alarms', class: l3 ? 'park-hot' : '' },
      items.length ? t('home.area.alarms', { l3, l2, l1 }) : t('home.area.noalarms'))));
}
