// pages/dashboard.js — the collaboration dashboard for managers (协同看板):
// how fast the organisation responds to what people report, over the last 30
// days (GET /dashboard/collaboration): report → first action and assignment
// → done (median, 90th percentile), return and rejection rates, overdue work
// by department; and the safety committee's cross-department risk list
// (GET /dashboard/committee-list) with its Excel export.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime } from '../ui.js';
import { stateName } from './hazard_ui.js';

export function dur(s) {
  if (s === null || s === undefined) return '—';
  if (s < 59.5) return t('dash.sec', { n: Math.round(s) }); // a fast answer, not "0 分钟"
  if (s < 3600) return t('dash.min', { n: Math.round(s / 60) });
  if (s < 86400) return t('dash.hours', { n: (s / 3600).toFixed(1) });
  return t('dash.days', { n: (s / 86400).toFixed(1) });
}

function pct(v) { return v === null || v === undefined ? '—' : Math.round(v * 100) + ' %'; }

function card(id, label, value, note) {
  return h('div', { class: 'card dash-card', id }, h('div', { class: 'dash-label' }, label),
    h('div', { class: 'dash-value' }, value), note ? h('div', { class: 'row-meta' }, note) : null);
}

function deptTable(id, title, rows) {
  return h('section', { class: 'card', id }, h('h2', null, title),
    rows.length ? h('table', { class: 'table' }, h('tbody', null, rows.map((r) => h('tr', null, h('td', null, r.department), h('td', { class: 'num' }, String(r.count))))))
      : emptyState(t('dash.none')));
}

export async function render(main) {
  const [d, l] = await Promise.all([api('GET', '/dashboard/collaboration'), api('GET', '/dashboard/committee-list')]);
  const f = d.report_to_first_action || {}, a = d.assignment_to_done || {};
  const od = d.overdue_by_department || {};
  const items = (l && l.items) || [];
  const kind = (x) => t('dash.kind.' + x.kind);
  const status = (x) => x.level ? t('dash.level.' + x.level) : x.kind === 'hazard' ? (x.overdue ? t('dash.overdue') : stateName(x.state, x.state_label)) : t('dash.open_tasks', { n: x.open_tasks });
  main.appendChild(h('div', { class: 'page', id: 'dash-page' },
    pageHead(t('dash.title')),
    h('p', { class: 'hint' }, t('dash.period', { from: fmtTime(d.from), to: fmtTime(d.to), n: d.hazards_reported })),
    h('div', { class: 'dash-cards' },
      card('dash-first', t('dash.first_action'), dur(f.median_s), t('dash.p90', { v: dur(f.p90_s), n: f.n })),
      card('dash-done', t('dash.done'), dur(a.median_s), t('dash.p90', { v: dur(a.p90_s), n: a.n })),
      card('dash-return', t('dash.return_rate'), pct(d.return_rate)),
      card('dash-reject', t('dash.rejection_rate'), pct(d.rejection_rate)),
      // reporters rate the answer 1–5: the mean out of 5, of how many rated
      d.satisfaction && d.satisfaction.average
        ? card('dash-satisfaction', t('dash.satisfaction'), t('dash.sat_value', { v: d.satisfaction.average.toFixed(1) }),
          t('dash.sat_note', { n: d.satisfaction.rated, m: d.satisfaction.answered }))
        : card('dash-satisfaction', t('dash.satisfaction'), '—')),
    h('div', { class: 'grid-2' },
      deptTable('dash-od-hazards', t('dash.od.hazards'), od.hazards || []),
      deptTable('dash-od-tasks', t('dash.od.tasks'), od.task_force_tasks || []),
      deptTable('dash-od-duties', t('dash.od.duties'), od.missed_duties || [])),
    h('section', { class: 'card', id: 'dash-committee' },
      h('div', { class: 'page-head' }, h('h2', null, t('dash.committee')),
        h('a', { class: 'btn btn-small', href: '/api/v1/dashboard/committee-list?format=xlsx', download: '' }, t('dash.export'))),
      items.length ? h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, t('dash.col.kind')), h('th', null, t('dash.col.title')), h('th', null, t('dash.col.status')), h('th', null, t('dash.col.dept')))),
        h('tbody', null, items.map((x) => h('tr', { dataset: { kind: x.kind } }, h('td', null, kind(x)), h('td', null, x.title), h('td', null, status(x)), h('td', null, x.department || '—')))))
        : emptyState(t('dash.none')))));
}
