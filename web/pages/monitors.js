// pages/monitors.js — process monitors (多变量过程监控, issue 7 item 3): a
// unit's correlated points judged together each minute by the server.
//   /monitors          the monitors in scope (?active=1 by default, 0, all):
//                      GET /process-monitors — state, how far outside
//                      (ratio of the statistic to its limit), top contributor
//   /monitors/new      train one: a unit, 2..32 of its points, a window of
//                      normal operation (POST /process-monitors); refusals are
//                      shown at the field they name (point_ids[2] → the points)
//   /monitors/{id}     one: state, each point's share of the departure, the
//                      last 240 minutes of the ratio (ECharts, the limit at 1),
//                      the training it came from; deactivate (final).
// Reading needs monitor.read (admins, managers, safety officers, department
// heads); training and deactivating monitor.write (not department heads).
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { loadECharts, chartOn, ms, localInput, rfc3339Local } from './live.js';

const { h, clear, pageHead, emptyState, fmtTime, badge } = ui;
const STATE_KIND = { normal: 'ok', abnormal: 'danger', no_data: 'warn', waiting: 'info', idle: 'off', inactive: 'off' };
const HOUR = 3600e3;

export const canWrite = () => session.can.monitorWrite();

function stateBadge(m) {
  return h('span', { class: 'mv-state', 'data-state': m.state }, badge(t('mv.state.' + m.state), STATE_KIND[m.state] || 'info'));
}

// The point with the largest share, or null before a verdict.
function topPoint(m) {
  let top = null;
  for (const p of m.points) if (typeof p.contribution === 'number' && (!top || p.contribution > top.contribution)) top = p;
  return top;
}

function pct(x) { return Math.round(x * 100) + '%'; }

// The run condition (运行工况) in words: "FI-201 ≥ 3", or null without one.
function runText(run) {
  if (!run) return null;
  const tag = run.tag || '#' + run.point_id;
  if (run.min !== null && run.max !== null) return `${run.min} ≤ ${tag} ≤ ${run.max}`;
  return run.min !== null ? `${tag} ≥ ${run.min}` : `${tag} ≤ ${run.max}`;
}

function ratioText(m) {
  return typeof m.ratio === 'number' ? t('mv.ratio_x', { x: m.ratio.toFixed(2) }) : '—';
}

export async function render(main, ctx) {
  const p = new URLSearchParams(location.search);
  const active = ['0', 'all'].includes(p.get('active')) ? p.get('active') : '1';
  const [list, units] = await Promise.all([
    api('GET', '/process-monitors' + qs({ active: active === 'all' ? '' : active })),
    session.units(),
  ]);
  const filter = ui.select('active', [{ value: '1', label: t('mv.f.active') }, { value: '0', label: t('mv.f.inactive') }, { value: 'all', label: t('mv.f.all') }], active,
    { id: 'mv-active', 'aria-label': t('mv.f.label') });
  filter.addEventListener('change', () => ctx.go('/monitors' + qs({ active: filter.value === '1' ? '' : filter.value }), true));
  main.appendChild(pageHead(t('mv.title'),
    canWrite() ? h('a', { href: '/monitors/new', 'data-link': '', class: 'btn btn-primary', id: 'mv-new' }, t('mv.new')) : null));
  main.appendChild(h('p', { class: 'hint' }, t('mv.intro')));
  main.appendChild(h('div', { class: 'filters' }, filter));
  if (!list.items.length) { main.appendChild(emptyState(t('mv.none'))); return; }
  const rows = list.items.map((m) => {
    const top = topPoint(m);
    return h('tr', { dataset: { monitorId: m.id, state: m.state } },
      h('td', null, h('a', { href: '/monitors/' + m.id, 'data-link': '' }, m.name)),
      h('td', null, session.unitName(units, m.unit_id)),
      h('td', { class: 'mv-tags mv-wide' }, m.points.map((x) => x.tag || '#' + x.id).join('、')),
      h('td', null, stateBadge(m)),
      h('td', { class: 'num' }, ratioText(m)),
      h('td', { class: 'mv-wide' }, top && m.state !== 'normal' ? top.tag + ' ' + pct(top.contribution) : '—'),
      h('td', { class: 'muted mv-wide' }, fmtTime(m.train_from) + ' – ' + fmtTime(m.train_to)));
  });
  // on a phone: name, unit, state and departure; the rest is on the monitor's page
  const wide = new Set(['mv.c.points', 'mv.c.top', 'mv.c.window']);
  main.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'mv-list' },
    h('thead', null, h('tr', null, ['mv.c.name', 'mv.c.unit', 'mv.c.points', 'mv.c.state', 'mv.c.ratio', 'mv.c.top', 'mv.c.window']
      .map((k) => h('th', { class: wide.has(k) ? 'mv-wide' : null }, t(k))))),
    h('tbody', null, rows))));
}

// ---------------------------------------------------------------- one

function contribList(m) {
  const pts = [...m.points].sort((a, b) => (b.contribution || 0) - (a.contribution || 0));
  return h('ol', { class: 'mv-contrib', id: 'mv-contrib' }, pts.map((x) => {
    const share = typeof x.contribution === 'number' ? x.contribution : null;
    const fill = h('span');
    fill.style.width = Math.round((share || 0) * 100) + '%'; // CSSOM: the CSP refuses style attributes
    return h('li', { dataset: { pointId: x.id, share: share === null ? '' : share.toFixed(3) } },
      h('a', { href: '/trends' + qs({ ids: x.id }), 'data-link': '', class: 'mv-tag' }, x.tag || '#' + x.id),
      h('span', { class: 'mv-bar', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'num' }, share === null ? '—' : pct(share)),
      h('span', { class: 'muted mv-latest' }, [typeof x.value === 'number' ? t('mv.latest', { v: Number(x.value.toPrecision(4)) + (x.uom ? ' ' + x.uom : '') }) : '',
        x.hold_min > 5 ? t('mv.held', { n: x.hold_min }) : ''].filter(Boolean).join(' · ')));
  }));
}

export async function one(main, ctx) {
  const id = ctx.params[0];
  let m;
  try {
    m = await api('GET', '/process-monitors/' + id);
  } catch (e) {
    if (e.status === 404) { main.appendChild(emptyState(t('mv.notfound'))); return; }
    throw e;
  }
  const units = await session.units();
  const ids = m.points.map((x) => x.id).slice(0, 8).join(',');
  const off = h('button', { type: 'button', class: 'btn btn-danger', id: 'mv-deactivate' }, t('mv.deactivate'));
  off.addEventListener('click', async () => {
    if (!(await ui.confirmDialog(t('mv.deactivate'), t('mv.deactivate_q', { name: m.name }), t('mv.deactivate'), true))) return;
    try {
      await api('POST', `/process-monitors/${id}/actions/deactivate`, {});
      ui.toast(t('mv.deactivated'));
      ctx.go('/monitors/' + id, true);
    } catch (e) { ui.toastError(e); }
  });
  main.appendChild(pageHead(m.name,
    h('a', { href: '/trends' + qs({ ids }), 'data-link': '', class: 'btn' }, t('mv.trends')),
    h('a', { href: '/monitors', 'data-link': '', class: 'btn' }, t('mv.all')),
    canWrite() ? h('a', { href: '/monitors/new' + qs({ from: m.id }), 'data-link': '', class: 'btn', id: 'mv-retrain' }, t('mv.retrain')) : null,
    m.active && canWrite() ? off : null));
  const now = h('div', { class: 'card mv-now', id: 'mv-now' }, stateBadge(m), ' ',
    h('strong', { id: 'mv-ratio' }, ratioText(m)), ' ',
    h('span', { class: 'hint' }, m.last_minute ? t('mv.judged', { at: fmtTime(m.last_minute) }) : t('mv.not_judged')));
  if (m.state === 'no_data') {
    const miss = m.points.find((x) => x.id === m.missing_point_id) ||
      (m.run && m.run.point_id === m.missing_point_id ? m.run : null); // the run condition's point
    now.appendChild(h('p', { class: 'notice' }, t('mv.missing', { tag: miss ? miss.tag : '#' + m.missing_point_id })));
  }
  if (m.state === 'abnormal') now.appendChild(h('p', { class: 'notice notice-error', role: 'alert' }, t('mv.abnormal_hint')));
  if (m.state === 'idle') now.appendChild(h('p', { class: 'notice', id: 'mv-idle' }, t('mv.idle_hint', { cond: runText(m.run) })));
  main.appendChild(now);
  main.appendChild(h('section', { class: 'card' }, h('h2', null, t('mv.why')), h('p', { class: 'hint' }, t('mv.why_hint')), contribList(m)));
  const chartEl = h('div', { class: 'chart mv-chart', id: 'mv-chart', role: 'img', 'aria-label': t('mv.chart') });
  main.appendChild(h('section', { class: 'card' }, h('h2', null, t('mv.chart')), chartEl));
  main.appendChild(h('section', { class: 'card', id: 'mv-model' }, h('h2', null, t('mv.model')),
    h('dl', { class: 'kv' },
      h('dt', null, t('mv.c.unit')), h('dd', null, session.unitName(units, m.unit_id)),
      h('dt', null, t('mv.c.window')), h('dd', null, fmtTime(m.train_from) + ' – ' + fmtTime(m.train_to)),
      h('dt', null, t('mv.samples')), h('dd', { id: 'mv-samples' }, t('mv.samples_v', { n: m.samples, c: m.components === null ? '—' : m.components })),
      h('dt', null, t('mv.run')), h('dd', { id: 'mv-run' }, runText(m.run) || t('mv.run_none')),
      h('dt', null, t('mv.level')), h('dd', null, t('al.level.' + m.level)),
      h('dt', null, t('mv.on_delay')), h('dd', null, t('mv.minutes', { n: m.on_delay_min })),
      h('dt', null, t('mv.created')), h('dd', null, fmtTime(m.created_at)),
      m.deactivated_at ? h('dt', null, t('mv.deactivated_at')) : null, m.deactivated_at ? h('dd', null, fmtTime(m.deactivated_at)) : null,
      m.comment ? h('dt', null, t('mv.comment')) : null, m.comment ? h('dd', null, m.comment) : null)));

  const data = (m.history || []).filter((x) => typeof x[1] === 'number').map((x) => [ms(x[0]), x[1]]);
  chartEl.dataset.samples = String(data.length);
  if (!data.length) { chartEl.appendChild(emptyState(t('mv.nohistory'))); return; }
  let echarts;
  try { echarts = await loadECharts(); } catch (e) { chartEl.appendChild(emptyState(t('mv.nochart'))); return; }
  chartOn(echarts, chartEl).setOption({
    animation: false,
    grid: { left: 48, right: 24, top: 24, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', min: 0, name: t('mv.ratio') },
    series: [{ type: 'line', showSymbol: false, data, color: '#2563eb',
      markLine: { symbol: 'none', silent: true, data: [{ yAxis: 1, lineStyle: { color: '#b42318' }, label: { formatter: t('mv.limit'), position: 'insideEndTop' } }] } }],
  });
}

// ---------------------------------------------------------------- new

// A backtest (POST /process-monitors: what the model would have raised on
// the minutes after its window) in words, with its first alarms.
function backtestNodes(b, components, held) {
  const out = [h('p', null, t('mv.bt.model', { c: components }))];
  if (held.length) out.push(h('p', { id: 'mv-bt-held' }, t('mv.bt.held', { list: held.join(t('mv.sep')) })));
  if (!b.minutes) { out.push(h('p', { class: 'hint' }, t('mv.bt.nodata'))); return out; }
  out.push(h('p', { id: 'mv-bt-summary', dataset: { alarms: b.alarms } }, t('mv.bt.summary', { from: fmtTime(b.from), to: fmtTime(b.to),
    n: b.minutes, out: b.outside, a: b.alarms, max: b.max_ratio.toFixed(2) })));
  if (b.listed.length)
    out.push(h('ul', { class: 'mv-bt-list' }, b.listed.map((x) => h('li', null, fmtTime(x.raised_at) + ' – ' +
      (x.cleared_at ? fmtTime(x.cleared_at) : t('mv.bt.still'))))));
  return out;
}

export async function create(main, ctx) {
  if (!canWrite()) { main.appendChild(emptyState(t('mv.cannot'))); return; }
  const units = await session.units();
  const to0 = Math.floor(Date.now() / HOUR) * HOUR;
  const name = ui.input('name', { required: true, maxlength: 64, id: 'mv-name' });
  const unit = ui.select('unit_id', session.unitOptions(units, { empty: t('mv.pick_unit') }), '', { id: 'mv-unit', required: true });
  const pointsBox = h('div', { class: 'mv-points', id: 'mv-points' }, h('p', { class: 'hint' }, t('mv.pick_unit_first')));
  const from = ui.input('train_from', { type: 'datetime-local', value: localInput(to0 - 24 * HOUR), id: 'mv-from', required: true });
  const to = ui.input('train_to', { type: 'datetime-local', value: localInput(to0), id: 'mv-to', required: true });
  const presets = h('div', { class: 'segmented' }, [[24, 'mv.p.24h'], [72, 'mv.p.3d'], [168, 'mv.p.7d']].map(([hours, k]) =>
    h('button', { type: 'button', class: 'seg-link', onclick: () => { to.value = localInput(to0); from.value = localInput(to0 - hours * HOUR); } }, t(k))));
  const level = ui.select('level', [1, 2, 3].map((l) => ({ value: String(l), label: t('al.level.' + l) })), '1', { id: 'mv-level' });
  const delay = ui.input('on_delay_min', { type: 'number', min: 1, max: 60, value: 3, id: 'mv-delay' });
  const comment = h('textarea', { name: 'comment', maxlength: 500, rows: 2, id: 'mv-comment' });
  // the run condition: a point of the unit and its range while the unit runs
  const runPoint = ui.select('run_point_id', [{ value: '', label: t('mv.run_none') }], '', { id: 'mv-run-point' });
  const runMin = ui.input('run_min', { type: 'number', step: 'any', id: 'mv-run-min' });
  const runMax = ui.input('run_max', { type: 'number', step: 'any', id: 'mv-run-max' });
  const form = h('form', { class: 'form card', id: 'mv-form', novalidate: '' }, ui.formError(),
    ui.field(t('mv.c.name'), name, t('mv.name_hint')),
    ui.field(t('mv.c.unit'), unit),
    h('fieldset', { class: 'field', dataset: { field: 'point_ids' } }, h('legend', null, t('mv.c.points')), pointsBox,
      h('div', { class: 'field-hint' }, t('mv.points_hint')), h('div', { class: 'field-error', role: 'alert' })),
    ui.field(t('mv.from'), from), ui.field(t('mv.to'), to, t('mv.window_hint')), presets,
    ui.field(t('mv.run'), runPoint, t('mv.run_hint')),
    h('div', { class: 'mv-run-range' }, ui.field(t('mv.run_min'), runMin), ui.field(t('mv.run_max'), runMax)),
    ui.field(t('mv.level'), level), ui.field(t('mv.on_delay'), delay, t('mv.on_delay_hint')),
    ui.field(t('mv.comment'), comment),
    h('div', { class: 'mv-backtest hidden', id: 'mv-backtest', role: 'status' }),
    h('div', { class: 'form-actions' }, h('a', { href: '/monitors', 'data-link': '', class: 'btn' }, t('common.cancel')),
      h('button', { type: 'button', class: 'btn', id: 'mv-dryrun' }, t('mv.dryrun')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'mv-submit' }, t('mv.train'))));
  main.appendChild(pageHead(t('mv.new')));
  main.appendChild(h('p', { class: 'hint' }, t('mv.new_intro')));
  main.appendChild(form);

  let order = []; // point ids in the order ticked: the model's columns
  // The unit's points as boxes; those of ticked (ids) ticked in that order.
  async function loadPoints(ticked) {
    order = [];
    clear(pointsBox);
    if (!unit.value) { pointsBox.appendChild(h('p', { class: 'hint' }, t('mv.pick_unit_first'))); return; }
    try {
      const page = await api('GET', '/points' + qs({ unit_id: unit.value, active: 1, limit: 200 }));
      const items = (page.items || []).filter((x) => x.kind !== 'camera');
      clear(runPoint).append(h('option', { value: '' }, t('mv.run_none')),
        ...items.map((x) => h('option', { value: String(x.id) }, x.tag + ' ' + x.name)));
      if (!items.length) { pointsBox.appendChild(emptyState(t('mv.no_points'))); return; }
      for (const x of items) {
        const box = h('input', { type: 'checkbox', name: 'point_ids', value: String(x.id), dataset: { tag: x.tag } });
        box.addEventListener('change', () => {
          order = box.checked ? [...order, x.id] : order.filter((y) => y !== x.id);
        });
        pointsBox.appendChild(h('label', { class: 'check mv-point' }, box, ' ', h('span', { class: 'mv-point-tag' }, x.tag), ' ', h('span', { class: 'muted' }, x.name + (x.uom ? ' (' + x.uom + ')' : ''))));
      }
      for (const id of ticked || []) {
        const box = pointsBox.querySelector(`input[value="${id}"]`);
        if (box) { box.checked = true; order.push(id); }
      }
    } catch (e) { ui.toastError(e); }
  }
  unit.addEventListener('change', () => loadPoints());
  // Retraining (?from=id): the old monitor's unit, points, level and delay,
  // and the day before now as the window to check.
  const fromId = parseInt(new URLSearchParams(location.search).get('from'), 10);
  if (fromId > 0) {
    try {
      const old = await api('GET', '/process-monitors/' + fromId);
      name.value = old.name;
      unit.value = String(old.unit_id);
      level.value = String(old.level);
      delay.value = String(old.on_delay_min);
      comment.value = t('mv.retrain_of', { name: old.name, id: old.id });
      main.querySelector('h1').textContent = t('mv.retrain') + ' · ' + old.name;
      form.dataset.from = String(old.id);
      await loadPoints(old.points.map((p) => p.id));
      if (old.run) {
        runPoint.value = String(old.run.point_id);
        runMin.value = old.run.min === null ? '' : String(old.run.min);
        runMax.value = old.run.max === null ? '' : String(old.run.max);
      }
    } catch (e) { if (e.status !== 404) ui.toastError(e); }
  }
  // The request of the form, or null (its error shown) when the window is not filled in.
  function bodyOf() {
    ui.clearErrors(form);
    if (!from.value || !to.value) { ui.showError(form, { field: 'train_from', message: t('mv.bad_window') }); return null; }
    const body = { name: name.value.trim(), unit_id: parseInt(unit.value, 10) || 0, point_ids: order,
      train_from: rfc3339Local(from.value), train_to: rfc3339Local(to.value),
      level: parseInt(level.value, 10), on_delay_min: parseInt(delay.value, 10) || 3 };
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (runPoint.value) {
      body.run_point_id = parseInt(runPoint.value, 10);
      if (runMin.value !== '') body.run_min = Number(runMin.value);
      if (runMax.value !== '') body.run_max = Number(runMax.value);
    }
    return body;
  }
  // A dry run: trained and backtested on the minutes after the window, nothing stored.
  const result = form.querySelector('#mv-backtest');
  form.querySelector('#mv-dryrun').addEventListener('click', async () => {
    const body = bodyOf();
    if (!body) return;
    await ui.busy(form, async () => {
      try {
        const r = await api('POST', '/process-monitors?dry_run=1', body);
        // points sampled less often than every minute or two: their value is held
        const held = body.point_ids.flatMap((pid, j) => (r.hold_min[j] > 5 ?
          [t('mv.held_tag', { tag: pointsBox.querySelector(`input[value="${pid}"]`).dataset.tag, n: r.hold_min[j] })] : []));
        clear(result).append(...backtestNodes(r.backtest, r.components, held));
        result.classList.remove('hidden');
      } catch (e) { result.classList.add('hidden'); ui.showError(form, e); }
    });
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = bodyOf();
    if (!body) return;
    await ui.busy(form, async () => {
      try {
        const m = await api('POST', '/process-monitors', body);
        ui.toast(t('mv.trained', { n: m.samples }) + (m.backtest && m.backtest.alarms ? t('mv.trained_alarms', { n: m.backtest.alarms }) : ''));
        // a retrained monitor replaces the old one: offer to stop it now
        if (fromId > 0 && (await ui.confirmDialog(t('mv.deactivate'), t('mv.stop_old_q', { id: fromId }), t('mv.deactivate'), true)))
          await api('POST', `/process-monitors/${fromId}/actions/deactivate`, {}).catch((e) => { if (e.status !== 409) ui.toastError(e); });
        ctx.go('/monitors/' + m.id);
      } catch (e) { ui.showError(form, e); }
    });
  });
}
