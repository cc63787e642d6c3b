// pages/riskindex.js — the dynamic risk index (动态风险指数, issue 7 item 6).
//   /risk/index           every area in scope (?unit_id= narrows), worst first:
//                         GET /risk-index — value, colour, the factor that drives it
//   /risk/index/{unit}    one area: GET /risk-index/{unit} (value, colour, each
//                         factor with its detail, inputs, the projection with its
//                         warning) and GET /risk-index/{unit}/history (the stored
//                         15-minute values, 7 days) drawn with ECharts over the
//                         four colour bands (cut-offs from GET /risk-index/params),
//                         the projection dashed after "now"; clicking a stored
//                         value shows the factors it was made of.
// Colours map to the risk levels' classes: blue low, yellow medium, orange
// high, red major (app.css lvl-*). No innerHTML.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import { loadECharts, chartOn, ms } from './live.js';

const { h, clear, pageHead, emptyState, fmtTime } = ui;
const LEVEL_OF = { blue: 'low', yellow: 'medium', orange: 'high', red: 'major' };
const HEX = { blue: '#1e6fd9', yellow: '#f9c80e', orange: '#f57c00', red: '#d32f2f' };

export function colourBadge(colour, value) {
  const lv = LEVEL_OF[colour] || 'none';
  return h('span', { class: 'badge lvl-badge lvl-' + lv, 'data-colour': colour || 'none' },
    (value !== undefined ? Math.round(value) + ' · ' : '') + t('ri.colour.' + (colour || 'none')));
}

export function factorName(f) { return t('ri.f.' + f); }

// Permit grades in the reader's words: the model's hot-work grades 1/2/3
// and the API's 'special'/'1'/'2' are 特级/一级/二级; heights I–IV.
const HOT = { 1: 'special', 2: '1', 3: '2' };
function permitText(type, grade) {
  if (!grade) return t('ri.permit.' + type);
  if (type === 'work_at_height') return t('ri.permit.' + type) + ' ' + t('ri.height.' + grade);
  return t('ri.permit.' + type) + ' ' + t('ri.grade.' + grade);
}

// The model writes each factor's detail in fixed English forms (src/riskidx/
// model.c); they are put into the reader's language here, and shown as
// they are when a form is not recognised.
const LEVEL_RANK = ['none', 'low', 'medium', 'high', 'major'];
export function detailText(factor, d) {
  let m;
  switch (factor) {
    case 'static':
      if ((m = /^static risk level (\d)/.exec(d))) return t('ri.d.static', { level: t('risk.level.' + LEVEL_RANK[+m[1]]) });
      break;
    case 'readings': {
      // "TAG at R[ of its limit]" parts, then perhaps "[TAG ]past its first|second limit"
      // (the floor: docs/internals/riskidx.md)
      const out = [];
      for (const x of d.split(', ')) {
        if ((m = /^(\S+) at ([\d.]+)(?: of its limit)?$/.exec(x))) out.push(t('ri.d.reading', { tag: m[1], pct: Math.round(+m[2] * 100) }));
        else if ((m = /^(?:(\S+) )?past its (first|second) limit$/.exec(x)))
          out.push((m[1] ? m[1] + ' ' : '') + t(m[2] === 'second' ? 'ri.d.past2' : 'ri.d.past1'));
        else return d;
      }
      return out.join(t('ri.sep'));
    }
    case 'anomaly':
      if ((m = /^(\S+) anomaly score ([\d.]+)$/.exec(d))) return t('ri.d.anomaly', { tag: m[1], s: m[2] });
      if ((m = /^(\S+) process monitor score ([\d.]+)$/.exec(d))) return t('ri.d.monitor', { tag: m[1], s: m[2] });
      break;
    case 'hazards':
      if ((m = /^(\d+) major, (\d+) general hidden dangers(?:, ([\d.]+) days overdue)?$/.exec(d)))
        return t('ri.d.hazards', { m: m[1], g: m[2] }) + (m[3] ? t('ri.sep') + t('ri.d.overdue', { d: m[3] }) : '');
      break;
    case 'permits': {
      const more = /^(.*) \(\+(\d+) more\)$/.exec(d);
      const items = (more ? more[1] : d).split(', ').map((x) => /^(\w+)(?: grade (\d))?$/.exec(x));
      if (items.every(Boolean)) {
        const s = items.map((p) => permitText(p[1], p[2] ? (p[1] === 'hot_work' ? HOT[p[2]] : p[2]) : '')).join(t('ri.sep'));
        return more ? s + t('ri.sep') + t('ri.d.more', { n: more[2] }) : s;
      }
      break;
    }
    case 'weather': {
      const out = [];
      for (const x of d.split(', ')) {
        if ((m = /^wind ([\d.]+) m\/s$/.exec(x))) out.push(t('ri.d.wind', { v: m[1] }));
        else if ((m = /^rain ([\d.]+) mm\/h$/.exec(x))) out.push(t('ri.d.rain', { v: m[1] }));
        else if ((m = /^heat ([\d.-]+) C$/.exec(x))) out.push(t('ri.d.heat', { v: m[1] }));
        else if ((m = /^cold ([\d.-]+) C$/.exec(x))) out.push(t('ri.d.cold', { v: m[1] }));
        else if ((m = /^lightning warning (\w+)$/.exec(x))) out.push(t('ri.d.lightning', { c: t('ri.colour.' + m[1]) }));
        else return d;
      }
      return out.join(t('ri.sep'));
    }
    case 'night':
      if (d === 'night shift') return t('ri.d.night');
      break;
    case 'profile':
      if ((m = /^usually ([\d.]+) at this hour of the week$/.exec(d))) return t('ri.d.profile_usual', { v: Math.round(+m[1]) });
      if ((m = /^running ([\d.-]+) above the weekly profile$/.exec(d))) return t('ri.d.profile_unusual', { v: Math.round(+m[1]) });
      break;
    default:
  }
  return d;
}

// The bar's width through the CSSOM (the Content-Security-Policy refuses style attributes).
function barFill(share) {
  const el = h('span', { class: 'ri-bar-fill' });
  el.style.width = Math.round(100 * share) + '%';
  return el;
}

function factorList(factors, id) {
  if (!factors || !factors.length) return emptyState(t('ri.nofactors'));
  const max = Math.max(...factors.map((f) => f.points), 1);
  const sum = factors.reduce((a, f) => a + f.points, 0);
  return [h('ol', { class: 'ri-factors', id },
    ...factors.map((f) => h('li', { class: 'ri-factor', 'data-factor': f.factor },
      h('span', { class: 'ri-factor-name' }, factorName(f.factor)),
      h('span', { class: 'ri-bar' }, barFill(f.points / max)),
      h('span', { class: 'ri-points' }, '+' + f.points.toFixed(1)),
      h('span', { class: 'ri-detail' }, detailText(f.factor, f.detail))))),
  // the points may add up past the scale's end: say so, or 137.6 beside 100 reads as an error
  sum > 100.05 ? h('p', { class: 'muted small ri-capped' }, t('ri.capped', { sum: sum.toFixed(1) })) : null];
}

// /risk/index
export async function render(main) {
  const unit = new URLSearchParams(location.search).get('unit_id');
  const r = await api('GET', '/risk-index' + qs({ unit_id: unit || undefined }));
  main.appendChild(pageHead(t('ri.index_title'),
    h('a', { href: '/risk', 'data-link': '', class: 'btn' }, t('ri.register'))));
  main.appendChild(h('p', { class: 'hint' }, t('ri.intro', { v: r.params_version })));
  if (!r.items.length) { main.appendChild(emptyState(t('ri.noareas'))); return; }
  const rows = r.items.map((a) => h('tr', { 'data-unit': a.unit_id },
    h('td', null, h('a', { href: '/risk/index/' + a.unit_id, 'data-link': '' }, a.name)),
    h('td', null, colourBadge(a.colour, a.index)),
    h('td', { class: 'ri-top' }, a.factors.length ? factorName(a.factors[0].factor) + t('ri.colon') + detailText(a.factors[0].factor, a.factors[0].detail) : t('ri.nofactors')),
    h('td', { class: 'ri-coming' }, a.warning ? [colourBadge(a.warning.colour), ' ', t('ri.in_h', { h: a.warning.in_h }), ' ', warningCause(a.warning)] : '')));
  main.appendChild(h('table', { class: 'table', id: 'ri-table' },
    h('thead', null, h('tr', null, h('th', null, t('ri.area')), h('th', null, t('ri.index')), h('th', null, t('ri.driver')), h('th', null, t('ri.coming')))),
    h('tbody', null, ...rows)));
}

// A forecast warning's main cause in a few words: a climbing point, the first
// permit planned by then, else the factor that rises most.
export function warningCause(w) {
  if (w.climbing) return t('ri.cause_climb', { tag: w.climbing.tag });
  if (w.permits && w.permits.length) return t('ri.cause_permit', { p: permitText(w.permits[0].type, w.permits[0].grade), code: w.permits[0].code });
  return w.why && w.why.length ? t('ri.cause', { f: factorName(w.why[0].factor) }) : '';
}

function inputsCard(inp) {
  const wx = inp.weather;
  const rows = [
    [t('ri.f.static'), t('risk.level.' + (inp.static_level || 'none'))],
    [t('ri.f.hazards'), t('ri.in.hazards', { g: inp.hazards.general, m: inp.hazards.major, d: inp.hazards.overdue_days })],
    [t('ri.f.permits'), inp.permits.length ? inp.permits.map((p) => permitText(p.type, p.grade)).join(t('ri.sep')) : t('ri.none')],
    [t('ri.f.weather'), wx ? t('ri.in.weather', { w: wx.wind_ms ?? '–', r: wx.rain_mmh ?? '–', c: wx.temp_c ?? '–', l: t('ri.colour.' + wx.lightning), at: fmtTime(wx.observed_at) }) : t('ri.noweather')],
    [t('ri.f.night'), inp.night ? t('ri.yes') : t('ri.no')],
    [t('ri.in.points'), String(inp.npoints)],
  ];
  return h('section', { class: 'card', id: 'ri-inputs' }, h('h2', null, t('ri.inputs')),
    h('table', { class: 'table ri-kv' }, h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
    inp.points.length ? h('table', { class: 'table', id: 'ri-points' },
      h('thead', null, h('tr', null, h('th', null, t('ri.tag')), h('th', null, t('ri.ratio')), h('th', null, t('ri.score')))),
      h('tbody', null, ...inp.points.map((p) => h('tr', null, h('td', null, p.tag),
        h('td', null, p.ratio === null ? '–' : Math.round(p.ratio * 100) + '%'),
        h('td', null, p.score === null ? '–' : p.score.toFixed(2)))))) : null);
}

// An hour ahead's points per factor ({"permits": 12, "profile": 3.4}), largest first.
function hourFactors(x) {
  return Object.entries(x.factors || {}).map(([factor, points]) => ({ factor, points })).sort((a, b) => b.points - a.points);
}

// The hours ahead as buttons; the one chosen (the warning's, else the first)
// is explained beneath: its points per factor, each marked with its change
// from now.
function projectionCard(pj, now) {
  const explain = h('div', { id: 'ri-hour-explain' });
  const was = Object.fromEntries(now.map((f) => [f.factor, f.points]));
  const show = (i) => {
    const x = pj.hours[i];
    for (const b of cells) b.setAttribute('aria-pressed', String(+b.dataset.h === i + 1));
    const fs = hourFactors(x);
    const max = Math.max(...fs.map((f) => f.points), 1);
    clear(explain).appendChild(h('div', { class: 'ri-explain' },
      h('h3', null, t('ri.hour_explain', { h: i + 1, at: fmtTime(x.at), v: x.index.toFixed(1) })),
      fs.length ? h('ol', { class: 'ri-factors', id: 'ri-factors-hour' }, ...fs.map((f) => {
        const d = f.points - (was[f.factor] || 0);
        return h('li', { class: 'ri-factor', 'data-factor': f.factor },
          h('span', { class: 'ri-factor-name' }, factorName(f.factor)),
          h('span', { class: 'ri-bar' }, barFill(f.points / max)),
          h('span', { class: 'ri-points' }, '+' + f.points.toFixed(1)),
          h('span', { class: 'ri-detail' + (d >= 0.5 ? ' ri-up' : '') }, Math.abs(d) < 0.5 ? t('ri.same') : t('ri.change', { d: (d > 0 ? '+' : '') + d.toFixed(1) })));
      })) : emptyState(t('ri.nofactors'))));
  };
  const cells = pj.hours.map((x, i) => h('button', { type: 'button', class: 'ri-hour', 'data-h': i + 1, 'data-colour': x.colour, onclick: () => show(i) },
    h('span', { class: 'ri-hour-at' }, '+' + (i + 1) + 'h'), colourBadge(x.colour, x.index)));
  if (pj.hours.length) show(pj.warning ? pj.warning.in_h - 1 : 0);
  return h('section', { class: 'card', id: 'ri-projection' }, h('h2', null, t('ri.projection', { h: pj.horizon_h })),
    pj.unusual ? h('p', { class: 'notice', id: 'ri-unusual' }, t('ri.unusual', { d: pj.deviation })) : null,
    h('div', { class: 'ri-hours' }, ...cells), explain,
    h('p', { class: 'hint' }, t('ri.profile', { n: pj.profile_hours })));
}

// The warning with what raises the index by then, and the permits planned to
// be under way at that hour (the ones to reschedule or reinforce).
function warningCard(w) {
  const why = (w.why || []).map((x) => factorName(x.factor) + ' +' + x.change.toFixed(1) +
    (x.detail ? t('ri.paren', { d: detailText(x.factor, x.detail) }) : ''));
  const permits = (w.permits || []).map((p) => h('li', null,
    h('a', { href: '/permits/' + p.id, 'data-link': '' }, p.code), ' ',
    permitText(p.type, p.grade), ' ', fmtTime(p.from) + ' – ' + fmtTime(p.to)));
  return h('div', { class: 'card notice notice-error', id: 'ri-warning', role: 'alert' },
    h('p', null, t('ri.warning', { h: w.in_h, colour: t('ri.colour.' + w.colour), at: fmtTime(w.at) }) +
      (w.climbing ? t('ri.warning_climb', { tag: w.climbing.tag, pct: Math.round(w.climbing.climb_per_h * 100) }) : '')),
    why.length ? h('p', { id: 'ri-warning-why' }, t('ri.warning_why') + why.join(t('ri.sep'))) : null,
    permits.length ? h('div', { id: 'ri-warning-permits' }, t('ri.warning_permits'), h('ul', null, ...permits)) : null);
}

// /risk/index/{unit}
export async function one(main, ctx) {
  const id = ctx.params[0];
  let cur;
  try {
    cur = await api('GET', '/risk-index/' + id);
  } catch (e) {
    if (e.status === 404) { main.appendChild(emptyState(t('ri.nounit'))); return; }
    throw e;
  }
  const [hist, params] = await Promise.all([
    api('GET', `/risk-index/${id}/history`),
    api('GET', '/risk-index/params').catch(() => null),
  ]);
  const cuts = (params && params.params && params.params.cutoffs) || { yellow: 25, orange: 50, red: 75 };
  main.appendChild(pageHead(t('ri.one.title', { name: cur.name }),
    h('a', { href: '/risk/index', 'data-link': '', class: 'btn' }, t('ri.all'))));
  main.appendChild(h('div', { class: 'ri-now', id: 'ri-now' },
    h('span', { class: 'ri-value', id: 'ri-value' }, cur.index.toFixed(1)), colourBadge(cur.colour),
    h('span', { class: 'hint' }, t('ri.at', { at: fmtTime(cur.at), v: cur.params_version }))));
  const w = cur.projection && cur.projection.warning;
  if (w) main.appendChild(warningCard(w));
  main.appendChild(h('section', { class: 'card' }, h('h2', null, t('ri.why')), factorList(cur.factors, 'ri-factors-now')));
  const chartEl = h('div', { class: 'chart ri-chart', id: 'ri-chart' });
  const clicked = h('div', { id: 'ri-clicked' });
  main.appendChild(h('section', { class: 'card' }, h('h2', null, t('ri.trend')), chartEl, clicked));
  if (cur.projection) main.appendChild(projectionCard(cur.projection, cur.factors));
  main.appendChild(inputsCard(cur.inputs));

  const pts = hist.items.map((x) => [ms(x.at), x.index]);
  const proj = cur.projection ? [[ms(cur.at), cur.index], ...cur.projection.hours.map((x) => [ms(x.at), x.index])] : [];
  if (!pts.length) chartEl.before(h('p', { class: 'hint', id: 'ri-nohistory' }, t('ri.nohistory')));
  let echarts;
  try { echarts = await loadECharts(); } catch (e) { chartEl.appendChild(emptyState(t('ri.nochart'))); return; }
  const chart = chartOn(echarts, chartEl);
  const band = (from, to, c) => [{ yAxis: from, itemStyle: { color: HEX[c], opacity: 0.12 } }, { yAxis: to }];
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 16, bottom: 40 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', min: 0, max: 100 },
    series: [
      { name: t('ri.index'), type: 'line', showSymbol: false, data: pts, lineStyle: { color: '#334155' },
        markArea: { silent: true, data: [band(0, cuts.yellow, 'blue'), band(cuts.yellow, cuts.orange, 'yellow'),
          band(cuts.orange, cuts.red, 'orange'), band(cuts.red, 100, 'red')] } },
      { name: t('ri.projected'), type: 'line', showSymbol: true, data: proj, lineStyle: { type: 'dashed', color: '#7c3aed' } },
    ],
  });
  chart.on('click', (p) => {
    if (p.seriesIndex !== 0) return;
    const row = hist.items[p.dataIndex];
    if (!row) return;
    clear(clicked).appendChild(h('div', { class: 'ri-explain' },
      h('h3', null, t('ri.explain', { at: fmtTime(row.at), v: row.index.toFixed(1) })), factorList(row.factors, 'ri-factors-then')));
  });
  // The latest stored value explained by default, so the page answers "why" without a click.
  if (hist.items.length) {
    const row = hist.items[hist.items.length - 1];
    clicked.appendChild(h('div', { class: 'ri-explain' },
      h('h3', null, t('ri.explain', { at: fmtTime(row.at), v: row.index.toFixed(1) })), factorList(row.factors, 'ri-factors-then')));
  }
}
