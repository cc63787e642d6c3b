// pages/trends.js — /trends: trend charts of points (位号) with Apache ECharts.
// Pick points by tag or name (GET /points?q=&unit_id=), a range (1 h, 24 h,
// 7 d or custom from/to), and the chart draws each point's history from
// GET /points/{id}/history?from=&to=&max_points= : raw readings as a line, or
// for minute/hour buckets the average as a line inside a min–max band. The
// limits LL/L/H/HH of each point are mark lines; the chart zooms (wheel,
// drag, slider). When the range ends now the chart appends readings live
// from GET /points/stream?ids= (SSE, event "value"); without that stream the
// page says so and still works. The choice lives in the URL
// (?ids=1,2&range=24h or range=custom&from=&to=); opened bare the first time,
// the page chooses the points with open alarms. Points of different units
// (%LEL, mg/m³, °C) get an axis each, so a temperature does not flatten a gas
// reading; the first on the left, the others on the right.
import { api, qs } from '../api.js';
import { t, serverText } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { openStream, loadECharts, chartOn, ms, localInput, rfc3339Local } from './live.js';

const { h, clear, input, select, badge, pageHead, emptyState, toastError } = ui;
const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const MAX_POINTS = 600;
const LIMITS = [['hh', '#b42318'], ['h', '#d97706'], ['l', '#d97706'], ['ll', '#b42318']];

function limitValues(sel) {
  const out = [];
  for (const p of sel) for (const [k] of LIMITS) if (typeof p[k] === 'number') out.push(p[k]);
  return out;
}

// The limit lines, on the series of the first point that has each: points
// sharing a limit on one axis (two gas points at HH 50) share one line
// labelled "GT-301/GT-302 HH 50". Labels are placed in turn, lowest line
// first (as a fraction of its axis's span lo..hi, so lines of different axes
// compare): over the line's right end, under it, then the same at the left
// end, the first place whose band (about a label's height) is free, so no
// label is drawn over another.
function limitMarks(series, lines, axisOf, spans) {
  const groups = new Map(); // "axis|k|value" -> {k, c, v, f, tags, at: series index}
  lines.forEach(([si, p]) => {
    const [lo, hi] = spans[axisOf(p)];
    for (const [k, c] of LIMITS) {
      if (typeof p[k] !== 'number') continue;
      const key = axisOf(p) + '|' + k + '|' + p[k];
      if (!groups.has(key)) groups.set(key, { k, c, v: p[k], f: hi > lo ? (p[k] - lo) / (hi - lo) : 0.5, tags: [], at: si });
      groups.get(key).tags.push(p.tag);
    }
  });
  const all = [...groups.values()].sort((a, b) => a.f - b.f);
  const lh = 0.06;
  const taken = { End: [], Start: [] }; // [from, to] bands of placed labels
  const free = (end, a, b) => taken[end].every(([x, y]) => b <= x || a >= y);
  for (const g of all) {
    let pos = 'insideEndTop';
    for (const [end, side] of [['End', 'Top'], ['End', 'Bottom'], ['Start', 'Top'], ['Start', 'Bottom']]) {
      const a = side === 'Top' ? g.f : g.f - lh, b = a + lh;
      if (free(end, a, b)) { taken[end].push([a, b]); pos = 'inside' + end + side; break; }
    }
    const m = { yAxis: g.v, name: g.k.toUpperCase(), lineStyle: { color: g.c, type: g.k.length === 2 ? 'solid' : 'dashed' },
      label: { formatter: `${g.tags.join('/')} ${g.k.toUpperCase()} ${g.v}`, position: pos, color: g.c } };
    const s = series[g.at];
    if (!s.markLine) s.markLine = { symbol: 'none', silent: true, data: [] };
    s.markLine.data.push(m);
  }
}

// An alarm's pin on its point's line: at the time it was raised, at its
// value (an alarm without one, a stale sensor's, sits on the line), coloured
// and labelled by its level; its title on hover.
const LEVEL_COLOUR = { 1: '#ca8a04', 2: '#d97706', 3: '#b42318' };
function alarmPins(alarms, data) {
  if (!alarms.length) return undefined;
  const near = (at) => { // the line's value nearest in time to at
    let lo = 0, hi = data.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (data[mid][0] < at) lo = mid + 1; else hi = mid; }
    const b = data[lo];
    return b ? b[1] : 0;
  };
  return { symbol: 'pin', symbolSize: 26, tooltip: { trigger: 'item', formatter: (d) => d.name },
    data: alarms.map((a) => ({ name: serverText(a.title) + ' · ' + new Date(a.raised_at).toLocaleString(),
      value: t('al.level.' + a.level), itemStyle: { color: LEVEL_COLOUR[a.level] || LEVEL_COLOUR[2] },
      label: { position: 'right', distance: 2, fontSize: 11, color: LEVEL_COLOUR[a.level] || LEVEL_COLOUR[2], formatter: (d) => d.value },
      coord: [ms(a.raised_at), typeof a.value === 'number' ? a.value : near(ms(a.raised_at))] })) };
}

// A little room beyond v (dir -1 below, 1 above) so a limit line is not on the frame.
function niceBound(v, dir) {
  const pad = Math.max(Math.abs(v) * 0.05, 0.5);
  return Math.round((v + dir * pad) * 100) / 100;
}

function readState() {
  const p = new URLSearchParams(location.search);
  const range = ['1h', '24h', '7d', 'custom'].includes(p.get('range')) ? p.get('range') : '24h';
  return {
    ids: (p.get('ids') || '').split(',').map((x) => parseInt(x, 10)).filter((x) => x > 0).slice(0, 8),
    range, from: p.get('from') || '', to: p.get('to') || '',
  };
}

function urlOf(st) {
  return '/trends' + qs({ ids: st.ids.join(','), range: st.range === '24h' ? '' : st.range,
    from: st.range === 'custom' ? st.from : '', to: st.range === 'custom' ? st.to : '' });
}

// The first time the page opens without a choice it shows the points with
// open alarms (up to four, the most severe first): what is happening now.
let autoPicked = false;

export async function render(main, ctx) {
  const st = readState();
  if (!location.search && !autoPicked) {
    autoPicked = true;
    const open = await api('GET', '/alarms' + qs({ state: 'open', limit: 100 })).catch(() => null);
    const ids = [...new Set(((open && open.items) || []).filter((a) => a.point_id)
      .sort((a, b) => b.level - a.level || b.id - a.id).map((a) => a.point_id))].slice(0, 4);
    if (ids.length) { st.ids = ids; return ctx.go(urlOf(st), true); }
  }
  const units = await session.units();
  const root = h('div', { class: 'page trends-page', id: 'trends' });
  main.appendChild(root);

  // ---- point picker
  const q = input('q', { type: 'search', placeholder: t('tr.search'), 'aria-label': t('tr.search'), id: 'tr-q' });
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('tr.all_units') }), '', { 'aria-label': t('tr.unit'), id: 'tr-unit' });
  const found = h('div', { class: 'tr-found', id: 'tr-found' });
  const chosen = h('div', { class: 'chips tr-chosen', id: 'tr-chosen' });
  const picker = h('form', { class: 'filters tr-picker', role: 'search', id: 'tr-picker' }, q, unitSel,
    h('button', { type: 'submit', class: 'btn' }, t('common.search')));
  const points = new Map(); // id -> point
  async function search() {
    const page = await api('GET', '/points' + qs({ q: q.value.trim(), unit_id: unitSel.value, active: 1, limit: 30 }));
    clear(found);
    const items = (page && page.items) || [];
    if (!items.length) { found.appendChild(emptyState(t('tr.none'))); return; }
    for (const p of items) {
      points.set(p.id, p);
      const on = st.ids.includes(p.id);
      found.appendChild(h('button', { type: 'button', class: 'btn btn-small tr-point' + (on ? ' active' : ''),
        dataset: { pointId: p.id, tag: p.tag }, 'aria-pressed': on ? 'true' : 'false',
        onclick: () => toggle(p.id) }, p.tag, ' ', h('span', { class: 'muted' }, p.name)));
    }
  }
  picker.addEventListener('submit', (ev) => { ev.preventDefault(); search().catch(toastError); });
  unitSel.addEventListener('change', () => search().catch(toastError));

  function toggle(id) {
    st.ids = st.ids.includes(id) ? st.ids.filter((x) => x !== id) : [...st.ids, id].slice(-8);
    ctx.go(urlOf(st), true);
  }

  // ---- range
  const seg = h('div', { class: 'segmented tr-range', role: 'group', 'aria-label': t('tr.range'), id: 'tr-range' },
    ['1h', '24h', '7d', 'custom'].map((r) => h('button', { type: 'button', class: 'seg-link' + (st.range === r ? ' active' : ''),
      id: 'tr-range-' + r, 'aria-pressed': st.range === r ? 'true' : 'false',
      onclick: () => { st.range = r; if (r === 'custom' && !st.from) { st.to = rfc3339Local(localInput(Date.now())); st.from = rfc3339Local(localInput(Date.now() - 86400e3)); } ctx.go(urlOf(st), true); } },
    t('tr.range.' + r))));
  const fromIn = input('from', { type: 'datetime-local', value: st.from ? localInput(ms(st.from)) : '', id: 'tr-from' });
  const toIn = input('to', { type: 'datetime-local', value: st.to ? localInput(ms(st.to)) : '', id: 'tr-to' });
  const custom = h('form', { class: 'tr-custom' + (st.range === 'custom' ? '' : ' hidden'), id: 'tr-custom' },
    ui.field(t('tr.from'), fromIn), ui.field(t('tr.to'), toIn),
    h('button', { type: 'submit', class: 'btn' }, t('tr.apply')), ui.formError());
  custom.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ui.clearErrors(custom);
    if (!fromIn.value || !toIn.value || fromIn.value >= toIn.value) {
      ui.showError(custom, { field: 'from', message: t('tr.bad_range') });
      return;
    }
    st.from = rfc3339Local(fromIn.value); st.to = rfc3339Local(toIn.value);
    ctx.go(urlOf(st), true);
  });

  const liveBadge = h('span', { id: 'tr-live', class: 'hidden' });
  const chartEl = h('div', { class: 'chart tr-chart', id: 'tr-chart', role: 'img', 'aria-label': t('tr.chart') });
  const legend = h('div', { class: 'tr-limits', id: 'tr-limits' });
  root.append(pageHead(t('tr.title'), h('a', { href: '/alarms', 'data-link': '', class: 'btn' }, t('nav.alarms')),
    session.can.pointWrite() ? h('a', { href: '/trends/import', 'data-link': '', class: 'btn', id: 'tr-import' }, t('ri.title')) : null),
    picker, found, h('div', { class: 'toolbar' }, chosen, h('div', { class: 'tr-toolbar-right' }, liveBadge, seg)),
    custom, chartEl, legend);

  // The chosen points (read one by one: they may not be in the search).
  for (const id of st.ids) {
    if (!points.has(id)) {
      try { points.set(id, await api('GET', '/points/' + id)); } catch (e) { if (e.status !== 404) throw e; }
    }
  }
  const sel = st.ids.filter((id) => points.has(id)).map((id) => points.get(id));
  for (const p of sel) {
    chosen.appendChild(h('span', { class: 'chip tr-chip', dataset: { pointId: p.id } }, p.tag + (p.uom ? ' (' + p.uom + ')' : ''),
      h('button', { type: 'button', class: 'chip-x', 'aria-label': t('tr.remove', { tag: p.tag }), onclick: () => toggle(p.id) }, '✕')));
  }
  await search().catch(toastError);
  if (!sel.length) { chartEl.appendChild(emptyState(t('tr.pick'))); chartEl.classList.add('chart-empty'); return; }

  // ---- data
  let to = Date.now(), from = to - (RANGES[st.range] || RANGES['24h']);
  if (st.range === 'custom') { from = ms(st.from); to = ms(st.to); }
  if (!(from < to)) { chartEl.appendChild(emptyState(t('tr.bad_range'))); return; }
  const hist = await Promise.all(sel.map((p) => api('GET', `/points/${p.id}/history` + qs({
    from: new Date(from).toISOString(), to: new Date(to).toISOString(), max_points: MAX_POINTS }))));
  // The alarms raised on each point in the range (the list's search by tag,
  // kept to the point itself): pins on its line. Without them the chart
  // still draws.
  const alarmsOf = await Promise.all(sel.map((p) => api('GET', '/alarms' + qs({ state: 'all', q: p.tag, limit: 200,
    from: new Date(from).toISOString(), to: new Date(to).toISOString() }))
    .then((r) => (r.items || []).filter((a) => a.point_id === p.id)).catch(() => [])));

  const echarts = await loadECharts();
  const chart = chartOn(echarts, chartEl);
  const series = [];
  const lines = []; // [series index, point]
  const palette = ['#2563eb', '#059669', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#ea580c', '#475569'];
  const uoms = [...new Set(sel.map((p) => p.uom || ''))]; // an axis each, in the order chosen
  const axisOf = (p) => uoms.indexOf(p.uom || '');
  sel.forEach((p, i) => {
    const hs = hist[i];
    const colour = palette[i % palette.length];
    const bucketed = hs.tier !== 'raw';
    const pts = hs.items.filter((x) => x.n > 0);
    const name = p.tag;
    if (bucketed) {
      // The band: an invisible min line and the max-min difference stacked on it.
      series.push({ name: name + ' min', type: 'line', stack: 'band' + i, symbol: 'none', lineStyle: { opacity: 0 }, yAxisIndex: axisOf(p),
        data: pts.map((x) => [ms(x.t), x.min]), tooltip: { show: false }, silent: true });
      series.push({ name: name + ' max', type: 'line', stack: 'band' + i, symbol: 'none', lineStyle: { opacity: 0 }, yAxisIndex: axisOf(p),
        areaStyle: { color: colour, opacity: 0.25 }, data: pts.map((x) => [ms(x.t), x.max - x.min]), tooltip: { show: false }, silent: true });
    }
    lines.push([series.length, p]);
    const data = pts.map((x) => [ms(x.t), bucketed ? x.avg : x.last]);
    series.push({ name, type: 'line', showSymbol: false, sampling: 'lttb', color: colour, yAxisIndex: axisOf(p), data,
      markPoint: alarmPins(alarmsOf[i], data) });
  });
  // Each axis spans its points' readings (bucket minima and maxima too), their
  // limits and alarm values, so every band, mark line and pin is drawn.
  const spans = uoms.map((u, a) => {
    const shown = [];
    sel.forEach((p, i) => {
      if (axisOf(p) !== a) return;
      for (const x of hist[i].items) if (x.n > 0) shown.push(x.min, x.max, x.last);
      shown.push(...limitValues([p]), ...alarmsOf[i].map((al) => al.value));
    });
    const fin = shown.filter(Number.isFinite);
    return fin.length ? [niceBound(Math.min(...fin), -1), niceBound(Math.max(...fin), 1)] : [0, 1];
  });
  limitMarks(series, lines, axisOf, spans);
  const yAxis = uoms.map((u, a) => ({ type: 'value', scale: true, name: u, position: a ? 'right' : 'left',
    offset: a > 1 ? 56 * (a - 1) : 0, splitLine: { show: a === 0 },
    axisLine: uoms.length > 1 ? { show: true, lineStyle: { color: palette[sel.findIndex((p) => axisOf(p) === a) % palette.length] } } : undefined,
    min: spans[a][0], max: spans[a][1] })); // the spans the labels were placed in
  // Limits in words beside the chart (also what the test reads).
  for (const p of sel) {
    legend.appendChild(h('div', { class: 'tr-limit-row', dataset: { pointId: p.id } }, h('strong', null, p.tag), ' ',
      LIMITS.map(([k]) => (p[k] !== null && p[k] !== undefined ? h('span', { class: 'tr-limit tr-limit-' + k, dataset: { limit: k } },
        k.toUpperCase() + ' ' + p[k] + (p.uom ? ' ' + p.uom : '')) : null)),
      h('span', { class: 'muted' }, t('tr.tier.' + (hist[sel.indexOf(p)].tier || 'raw')))));
  }
  chart.setOption({
    animation: false,
    grid: { left: 48, right: uoms.length > 1 ? 48 + 56 * (uoms.length - 2) : 24, top: 36, bottom: 72 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0, data: lines.map(([, p]) => p.tag) },
    xAxis: { type: 'time', min: from, max: to },
    yAxis,
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 24, bottom: 16 }],
    series,
  });
  chartEl.dataset.series = String(lines.length);
  chartEl.dataset.axes = uoms.join('|');
  chartEl.dataset.alarms = alarmsOf.map((l) => l.map((a) => a.id).join(',')).join('|');
  chartEl.dataset.samples = String(lines.reduce((n, [i]) => n + series[i].data.length, 0));
  // The highest reading shown (bucket maxima included), for a glance and the tests.
  const peak = hist.reduce((m, hs) => hs.items.reduce((a, x) => (x.n > 0 && x.max > a ? x.max : a), m), -Infinity);
  chartEl.dataset.max = isFinite(peak) ? String(peak) : '';

  // ---- live append when the range ends now
  if (st.range === 'custom') return;
  const idx = new Map(lines.map(([i, p]) => [p.id, i]));
  let pending = false;
  openStream('/api/v1/points/stream' + qs({ ids: sel.map((p) => p.id).join(',') }), {
    root,
    onstate: (s) => {
      clear(liveBadge).appendChild(badge(t('tr.live.' + s), s === 'live' ? 'live' : 'off'));
      liveBadge.classList.remove('hidden');
      liveBadge.dataset.state = s;
    },
    events: {
      value: (d) => {
        if (!d || !idx.has(d.point_id) || typeof d.value !== 'number') return;
        const s = series[idx.get(d.point_id)];
        s.data.push([ms(d.t), d.value]);
        const a = s.yAxisIndex, y = yAxis[a]; // a reading past its axis widens it
        if (d.value < y.min) y.min = niceBound(d.value, -1);
        if (d.value > y.max) y.max = niceBound(d.value, 1);
        const start = Date.now() - (RANGES[st.range] || RANGES['24h']);
        while (s.data.length && s.data[0][0] < start) s.data.shift();
        if (!pending) {
          pending = true;
          requestAnimationFrame(() => {
            pending = false;
            if (!chartEl.isConnected) return;
            chart.setOption({ xAxis: { min: Date.now() - (RANGES[st.range] || RANGES['24h']), max: Date.now() }, yAxis, series });
          });
        }
      },
    },
  });
}
