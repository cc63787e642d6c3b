// pages/drills.js — the collaboration stress test (协同压力测试; issue 6 item 8):
//   /drills        the drills run in the reader's scope, newest first; those
//                  who may run one (drill.run: admin, manager, safety officer)
//                  start a scenario in a unit from here (POST /drills): a task
//                  force marked 【演练】 and, where the scenario says so, a 紧急
//                  alarm paged like a real one
//   /drills/{id}   its report (GET /drills/{id}): the alarm's acknowledgement,
//                  each step's department, person and time from the force's
//                  forming, the whole, next to the earlier drills of the scenario
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime, field, select, formError, showError, busy, openDialog, badge, stackTable } from '../ui.js';
import * as session from '../session.js';
import { dur } from './dashboard.js';

export async function render(main, ctx) {
  const [list, sc, units] = await Promise.all([api('GET', '/drills'), api('GET', '/drill-scenarios'), session.units()]);
  const scenarios = (sc && sc.items) || [];
  const title = (key) => (scenarios.find((s) => s.key === key) || {}).title || key;
  const items = (list && list.items) || [];
  const start = session.can.drillRun() ? h('button', { type: 'button', class: 'btn btn-primary', id: 'dr-start' }, t('dr.start')) : null;
  if (start) start.addEventListener('click', () => startDialog(scenarios, units, ctx));
  main.appendChild(h('div', { class: 'page', id: 'drills' },
    pageHead(t('dr.title'), h('a', { href: '/task-forces', 'data-link': '', class: 'btn' }, t('tf.title')), start),
    h('p', { class: 'hint' }, t('dr.intro')),
    items.length ? h('div', { class: 'rows', id: 'dr-list' }, items.map((d) =>
      h('a', { class: 'row-card dr-row', href: '/drills/' + d.id, 'data-link': '', dataset: { id: String(d.id) } },
        h('div', null, h('strong', null, title(d.scenario)), ' ', badge(t('tf.drill'), 'info'),
          h('div', { class: 'muted' }, session.unitName(units, d.unit_id), ' · ', fmtTime(d.started_at)))))) : emptyState(t('dr.none'))));
}

function startDialog(scenarios, units, ctx) {
  const sc = select('scenario', scenarios.map((s) => ({ value: s.key, label: s.title })));
  const desc = h('p', { class: 'hint', id: 'dr-desc' });
  const show = () => { desc.textContent = (scenarios.find((s) => s.key === sc.value) || {}).description || ''; };
  sc.addEventListener('change', show);
  show();
  const unit = select('unit_id', [{ value: '', label: t('dr.pick_unit') }].concat(session.unitOptions(units, { kinds: ['site', 'area', 'workshop', 'grid'] })));
  const form = h('form', { class: 'form', id: 'dr-form', novalidate: true }, formError(),
    field(t('dr.scenario'), sc), desc, field(t('dr.unit'), unit),
    h('p', { class: 'notice notice-warn' }, t('dr.warning')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('dr.go'))));
  const d = openDialog(t('dr.start'), form, { wide: true });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!unit.value) return showError(form, { field: 'unit_id', message: t('dr.need_unit') });
    busy(form, async () => {
      try {
        const r = await api('POST', '/drills', { scenario: sc.value, unit_id: Number(unit.value) });
        d.close();
        ctx.go('/drills/' + r.id);
      } catch (e) { showError(form, e); }
    });
  });
}

export async function one(main, ctx) {
  const id = Number(ctx.params[0]);
  const [d, sc, units] = await Promise.all([api('GET', '/drills/' + id), api('GET', '/drill-scenarios'), session.units()]);
  const s = ((sc && sc.items) || []).find((x) => x.key === d.scenario) || {};
  const al = d.alarm;
  const card = (cid, label, value, note) => h('div', { class: 'card dash-card', id: cid }, h('div', { class: 'dash-label' }, label),
    h('div', { class: 'dash-value' }, value), note ? h('div', { class: 'row-meta' }, note) : null);
  const earlier = d.earlier || [];
  const prev = earlier[0];
  // faster or slower than the drill before, in words
  const delta = prev && d.total_seconds !== null && prev.total_seconds !== null
    ? t(d.total_seconds <= prev.total_seconds ? 'dr.faster' : 'dr.slower', { v: dur(Math.abs(prev.total_seconds - d.total_seconds)) }) : null;
  main.appendChild(h('div', { class: 'page', id: 'drill', dataset: { id: String(id), state: d.state || '' } },
    pageHead('【' + t('tf.drill') + '】' + (s.title || d.scenario), h('a', { href: '/drills', 'data-link': '', class: 'btn' }, t('dr.title')),
      d.force_id ? h('a', { href: '/task-forces/' + d.force_id, 'data-link': '', class: 'btn', id: 'dr-force' }, t('dr.force')) : null),
    h('p', { class: 'hint' }, session.unitName(units, d.unit_id), ' · ', t('dr.started', { at: fmtTime(d.started_at) }), ' · ',
      badge(t('tf.state.' + (d.state || 'open')), d.state === 'closed' ? 'ok' : 'warn')),
    s.description ? h('p', null, s.description) : null,
    h('div', { class: 'dash-cards' },
      card('dr-total', t('dr.total'), d.total_seconds === null ? t('dr.running', { n: d.open_tasks }) : dur(d.total_seconds), delta),
      card('dr-median', t('dr.median'), dur(d.median_task_seconds)),
      card('dr-ack', t('dr.ack'), al ? (al.acked_at ? dur(al.ack_seconds) : t('dr.not_acked')) : t(d.alarm_level ? 'dr.alarm_not_raised' : 'dr.no_alarm'),
        al && al.acked_by ? al.acked_by : null)),
    h('h2', null, t('dr.steps')),
    h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table', id: 'dr-steps' },
      h('thead', null, h('tr', null, ['task', 'dept', 'person', 'state', 'time'].map((c) => h('th', null, t('dr.col.' + c))))),
      h('tbody', null, (d.steps || []).map((x) => h('tr', { dataset: { state: x.state } },
        h('td', null, x.task), h('td', null, x.department || '—'), h('td', null, x.person || '—'),
        h('td', null, t('dr.task.' + x.state)), h('td', { class: 'num' }, dur(x.seconds)))))))),
    h('h2', null, t('dr.earlier')),
    earlier.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'dr-earlier' },
      h('thead', null, h('tr', null, ['when', 'total', 'median', 'ack'].map((c) => h('th', null, t('dr.col.' + c))))),
      h('tbody', null, earlier.map((e) => h('tr', { dataset: { id: String(e.id) } },
        h('td', null, h('a', { href: '/drills/' + e.id, 'data-link': '' }, fmtTime(e.started_at))),
        h('td', { class: 'num' }, dur(e.total_seconds)), h('td', { class: 'num' }, dur(e.median_task_seconds)),
        h('td', { class: 'num' }, dur(e.ack_seconds))))))) : emptyState(t('dr.first'))));
  void ctx;
}
