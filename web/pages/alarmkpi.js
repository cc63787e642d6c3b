// pages/alarmkpi.js — /alarms/kpi: alarm KPIs (报警绩效) against ANSI/ISA-18.2
// and EEMUA 191, from GET /alarms/kpi?unit_id=&from=&to=. Cards for the
// selection (alarms raised, the busiest area's average and peak per 10
// minutes, share and time in flood, time to acknowledge and to close as mean
// and p90, open now, the level mix) each beside its reference figure as the
// server returns it; an ECharts bar chart of the average and peak per 10
// minutes per area with the 1 (acceptable) and 2 (manageable) lines; the
// acknowledgements within their response card's time limit; tables
// per area and per person; the bad actors (the 10 most frequent alarms, their
// share of the load, which chatter) and the stale alarms (in alarm 24 h or
// more, now), each trend one click away. Range 24 h / 7 d / 30 d and the unit
// live in the URL.
import { api, qs } from '../api.js';
import { t, serverText } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { loadECharts, chartOn } from './live.js';

const { h, select, pageHead, emptyState } = ui;
const RANGES = { '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const TOP_MIN = 100; // annunciations before the top 10's share is judged against its reference

function readFilter() {
  const p = new URLSearchParams(location.search);
  return { unit_id: p.get('unit_id') || '', range: RANGES[p.get('range')] ? p.get('range') : '7d' };
}

// Seconds as "42 s", "3.5 min", "2.1 h"; '—' when none.
export function dur(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return t('kpi.sec', { n: Math.round(s) });
  if (s < 5400) return t('kpi.min', { n: Math.round(s / 6) / 10 });
  return t('kpi.hour', { n: Math.round(s / 360) / 10 });
}

// A rate with two decimals; a rate above 0 that would round to 0 reads "< 0.01"
// (a quiet week is not the same as no alarms).
const num = (v, d) => {
  if (v === null || v === undefined) return '—';
  const k = d || 100, r = Math.round(v * k) / k;
  return v > 0 && r === 0 ? '< ' + 1 / k : String(r);
};

// 'good' within the acceptable figure, 'fair' within the manageable one, else 'bad'.
function rateClass(v, ref) {
  if (v <= ref.acceptable_per_10min) return 'good';
  if (v <= ref.manageable_per_10min) return 'fair';
  return 'bad';
}

// An alarm's title, linked to its point's trend when it has a point.
function alarmCell(a) {
  return h('td', null, a.point_id ? h('a', { href: '/trends' + qs({ ids: a.point_id }), 'data-link': '' }, serverText(a.title)) : serverText(a.title));
}

// The most frequent alarms and the stale ones, under the area tables.
function badActors(root, k) {
  const ref = k.reference;
  if (k.frequent.length) {
    root.appendChild(h('h2', null, t('kpi.frequent', { n: ref.top_n })));
    root.appendChild(h('div', { class: 'table-wrap' }, ui.stackTable(h('table', { class: 'table', id: 'kpi-frequent' },
      h('thead', null, h('tr', null, ['rank', 'alarm', 'area', 'count', 'share', 'chattering', 'card', 'last'].map((c) => h('th', null, t('kpi.col.' + c))))),
      h('tbody', null, k.frequent.map((a, i) => h('tr', { dataset: { ruleId: a.rule_id, sourceId: a.source_id } },
        h('td', { class: 'num' }, String(i + 1)), alarmCell(a), h('td', null, a.unit_name || '#' + a.unit_id),
        h('td', { class: 'num' }, String(a.annunciated)), h('td', { class: 'num' }, num(a.pct, 10) + ' %'),
        h('td', { class: 'kpi-chat' }, a.chattering ? ui.badge(t('kpi.chatters'), 'warn') : ''),
        h('td', { class: 'kpi-card-cell' }, a.has_card === null ? '' : a.has_card ? t('kpi.card_yes') : ui.badge(t('kpi.card_no'), 'off')),
        h('td', { class: 'muted' }, ui.fmtTime(a.last_at)))))))));
    root.appendChild(h('p', { class: 'muted kpi-note' }, t('kpi.frequent_note')));
  }
  if (k.stale.length) {
    root.appendChild(h('h2', null, t('kpi.stale_list', { h: ref.stale_h })));
    root.appendChild(h('div', { class: 'table-wrap' }, ui.stackTable(h('table', { class: 'table', id: 'kpi-stale' },
      h('thead', null, h('tr', null, ['alarm', 'area', 'state', 'since'].map((c) => h('th', null, t('kpi.col.' + c))))),
      h('tbody', null, k.stale.map((a) => h('tr', { dataset: { alarmId: a.alarm_id } },
        alarmCell(a), h('td', null, a.unit_name || '#' + a.unit_id),
        h('td', null, t('al.state.' + a.state, null, a.state)), h('td', { class: 'muted' }, ui.fmtTime(a.since)))))))));
  }
}

export async function render(main, ctx) {
  const f = readFilter();
  const units = await session.units();
  const to = Date.now(), from = to - RANGES[f.range];
  const go = () => ctx.go('/alarms/kpi' + qs({ unit_id: f.unit_id, range: f.range === '7d' ? '' : f.range }), true);
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('kpi.all_units') }), f.unit_id, { 'aria-label': t('al.f.unit'), id: 'kpi-unit' });
  unitSel.addEventListener('change', () => { f.unit_id = unitSel.value; go(); });
  const seg = h('div', { class: 'segmented', role: 'group', 'aria-label': t('tr.range'), id: 'kpi-range' },
    Object.keys(RANGES).map((r) => h('button', { type: 'button', class: 'seg-link' + (f.range === r ? ' active' : ''), id: 'kpi-range-' + r,
      'aria-pressed': f.range === r ? 'true' : 'false', onclick: () => { f.range = r; go(); } }, t('kpi.range.' + r))));
  const root = h('div', { class: 'page kpi-page', id: 'alarm-kpi' },
    pageHead(t('kpi.title'), h('a', { href: '/alarms', 'data-link': '', class: 'btn' }, t('nav.alarms'))),
    h('div', { class: 'toolbar' }, unitSel, seg));
  main.appendChild(root);

  const k = await api('GET', '/alarms/kpi' + qs({ unit_id: f.unit_id, from: new Date(from).toISOString(), to: new Date(to).toISOString() }));
  const ref = k.reference, s = k.summary;
  const lv = s.by_level || {};
  const total = (lv['1'] || 0) + (lv['2'] || 0) + (lv['3'] || 0);
  const pct = (n) => (total ? Math.round((100 * n) / total) : 0);
  const card = (id, label, value, target, cls) => h('div', { class: 'kpi-card' + (cls ? ' kpi-' + cls : ''), id: 'kpi-' + id, dataset: { kpi: id } },
    h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, value), target ? h('div', { class: 'kpi-target' }, target) : null);
  root.appendChild(h('div', { class: 'kpi-cards', id: 'kpi-cards' },
    card('raised', t('kpi.raised'), String(s.raised), t('kpi.open_now', { n: s.open_now })),
    card('avg', t('kpi.avg'), num(s.worst_per_10min_avg), t('kpi.avg_target', { a: ref.acceptable_per_10min, m: ref.manageable_per_10min }),
      rateClass(s.worst_per_10min_avg, ref)),
    card('peak', t('kpi.peak'), String(s.per_10min_peak), t('kpi.peak_target', { n: ref.flood_over_per_10min }),
      s.per_10min_peak > ref.flood_over_per_10min ? 'bad' : 'good'),
    card('flood', t('kpi.flood'), num(s.worst_flood_pct) + ' %', t('kpi.flood_target', { p: ref.flood_pct_max, time: dur(s.time_in_flood_s) }),
      s.worst_flood_pct > ref.flood_pct_max ? 'bad' : 'good'),
    card('tta', t('kpi.tta'), dur(s.ack.mean_s), t('kpi.p90', { v: dur(s.ack.p90_s), n: s.ack.n })),
    card('ttc', t('kpi.ttc'), dur(s.close.mean_s), t('kpi.p90', { v: dur(s.close.p90_s), n: s.close.n })),
    card('ontime', t('kpi.ontime'), s.on_time.pct === null ? '—' : num(s.on_time.pct, 10) + ' %',
      // no standard sets a figure for this one: shown, not judged
      s.on_time.acks ? t('kpi.ontime_of', { k: s.on_time.on_time, n: s.on_time.acks }) : t('kpi.ontime_none')),
    card('card-cover', t('kpi.cards'), s.card_pct === null ? '—' : num(s.card_pct, 10) + ' %', t('kpi.cards_note')),
    card('levels', t('kpi.levels'), `${pct(lv['3'] || 0)}/${pct(lv['2'] || 0)}/${pct(lv['1'] || 0)} %`,
      t('kpi.levels_target', { a: ref.level_pct['3'], b: ref.level_pct['2'], c: ref.level_pct['1'] })),
    // the share says little of a small load: below TOP_MIN annunciations it is shown, not judged
    card('top', t('kpi.top', { n: ref.top_n }), s.top_pct === null ? '—' : num(s.top_pct, 10) + ' %',
      t(s.annunciated < TOP_MIN ? 'kpi.top_small' : 'kpi.top_target', { p: ref.top_pct_max, k: s.top_annunciated, n: s.annunciated }),
      s.top_pct === null || s.annunciated < TOP_MIN ? '' : s.top_pct > ref.top_pct_max ? 'bad' : 'good'),
    card('chattering', t('kpi.chattering'), String(s.chattering), t('kpi.chattering_target', { n: ref.chattering_n, s: ref.chattering_s }),
      s.chattering > ref.chattering_max ? 'bad' : 'good'),
    card('stale', t('kpi.stale', { h: ref.stale_h }), String(s.stale_now), t('kpi.stale_target', { n: ref.stale_below }),
      s.stale_now >= ref.stale_below ? 'bad' : s.stale_now ? 'fair' : 'good')));
  root.appendChild(h('p', { class: 'muted kpi-note' }, t('kpi.note', { src: ref.source, n: ref.flood_over_per_10min })));

  const areas = (k.areas || []).slice().sort((a, b) => b.per_10min_avg - a.per_10min_avg || b.raised - a.raised);
  if (!areas.length) { root.appendChild(emptyState(t('kpi.empty'))); return; }
  const chartEl = h('div', { class: 'chart kpi-chart', id: 'kpi-chart', role: 'img', 'aria-label': t('kpi.chart') });
  root.appendChild(h('h2', null, t('kpi.by_area')));
  root.appendChild(chartEl);
  root.appendChild(h('div', { class: 'table-wrap' }, ui.stackTable(h('table', { class: 'table', id: 'kpi-areas' },
    h('thead', null, h('tr', null, ['area', 'raised', 'open', 'avg', 'peak', 'flood', 'tta', 'tta_p90', 'ontime', 'ttc'].map((c) => h('th', null, t('kpi.col.' + c))))),
    h('tbody', null, areas.map((a) => h('tr', { dataset: { unitId: a.unit_id } },
      h('td', null, a.unit_name || '#' + a.unit_id), h('td', { class: 'num' }, String(a.raised)), h('td', { class: 'num' }, String(a.open_now)),
      h('td', { class: 'num kpi-' + rateClass(a.per_10min_avg, ref) }, num(a.per_10min_avg)), h('td', { class: 'num' }, String(a.per_10min_peak)),
      h('td', { class: 'num' }, num(a.flood_pct) + ' % · ' + dur(a.time_in_flood_s)),
      h('td', { class: 'num' }, dur(a.ack.mean_s)), h('td', { class: 'num' }, dur(a.ack.p90_s)),
      h('td', { class: 'num kpi-ontime' }, a.on_time.acks ? `${a.on_time.on_time}/${a.on_time.acks}` : '—'),
      h('td', { class: 'num' }, dur(a.close.mean_s)))))))));
  const people = (k.people || []).slice().sort((a, b) => b.acked - a.acked);
  if (people.length) {
    root.appendChild(h('h2', null, t('kpi.by_person')));
    root.appendChild(h('div', { class: 'table-wrap' }, ui.stackTable(h('table', { class: 'table', id: 'kpi-people' },
      h('thead', null, h('tr', null, ['person', 'acked', 'closed', 'avg', 'peak', 'flood', 'tta', 'tta_p90', 'ttc'].map((c) => h('th', null, t('kpi.col.' + c))))),
      h('tbody', null, people.map((p) => h('tr', { dataset: { personId: p.person_id || 0 } },
        h('td', null, p.name || t('kpi.nobody')), h('td', { class: 'num' }, String(p.acked)), h('td', { class: 'num' }, String(p.closed)),
        h('td', { class: 'num' }, num(p.per_10min_avg)), h('td', { class: 'num' }, String(p.per_10min_peak)),
        h('td', { class: 'num' }, num(p.flood_pct) + ' %'),
        h('td', { class: 'num' }, dur(p.ack.mean_s)), h('td', { class: 'num' }, dur(p.ack.p90_s)), h('td', { class: 'num' }, dur(p.close.mean_s)))))))));
  }
  root.appendChild(h('p', { class: 'muted kpi-note' }, t('kpi.person_note')));
  badActors(root, k);

  const echarts = await loadECharts();
  const chart = chartOn(echarts, chartEl);
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 16, top: 36, bottom: 64 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0, data: [t('kpi.avg'), t('kpi.peak')] },
    xAxis: { type: 'category', data: areas.map((a) => a.unit_name || '#' + a.unit_id), axisLabel: { interval: 0, rotate: areas.length > 4 ? 30 : 0 } },
    yAxis: { type: 'value', name: t('kpi.per10') },
    series: [
      { name: t('kpi.avg'), type: 'bar', data: areas.map((a) => Math.round(a.per_10min_avg * 100) / 100), color: '#2563eb',
        markLine: { symbol: 'none', silent: true, data: [
          { yAxis: ref.acceptable_per_10min, lineStyle: { color: '#059669' }, label: { formatter: t('kpi.line.acceptable'), position: 'insideEndTop' } },
          { yAxis: ref.manageable_per_10min, lineStyle: { color: '#d97706' }, label: { formatter: t('kpi.line.manageable'), position: 'insideEndTop' } }] } },
      { name: t('kpi.peak'), type: 'bar', data: areas.map((a) => a.per_10min_peak), color: '#94a3b8' },
    ],
  });
  chartEl.dataset.areas = String(areas.length);
}
