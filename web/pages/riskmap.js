// pages/riskmap.js — /risk/map/{unit_id}: the four-colour map (四色图) of a
// unit. GET /risk/maps/{id} gives the site plan (an image attachment) and
// the polygons of the areas below the unit, each with its level (the highest
// of the risk objects under the area), colour and counts. The plan image is
// shown with an SVG over it in the image's pixel coordinates: one polygon
// per area, filled in its level's colour (classes lvl-major/high/medium/low
// in app.css), and a count badge at its centre. Users with risk.write get
// an editor: upload a plan (POST /attachments, then PUT /risk/maps/{id}),
// pick an area, click points on the plan, save (PUT …/shapes/{area}) or
// remove (DELETE). The print stylesheet fits the map on one A4 landscape
// page. No innerHTML: SVG nodes are made with createElementNS.
// Issue 7: a switch shows the areas in the colours of their dynamic risk
// index instead (GET /risk-index?unit_id=, ?mode=dynamic in the URL), each
// labelled with its value; a click on an area opens /risk/index/{area}.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';

const { h, clear, select, pageHead, emptyState, toastError } = ui;
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

export function levelBadge(level) {
  return h('span', { class: 'badge lvl-badge lvl-' + (level || 'none') }, t('risk.level.' + (level || 'none')));
}

function centroid(pts) {
  let x = 0, y = 0;
  for (const p of pts) { x += p[0]; y += p[1]; }
  return [x / pts.length, y / pts.length];
}

export async function render(main, ctx) {
  const unitId = ctx.params[0];
  let map;
  try {
    map = await api('GET', '/risk/maps/' + unitId);
  } catch (e) {
    if (e.status === 404) { main.appendChild(emptyState(t('risk.map.nounit'))); return; }
    throw e;
  }
  let editing = false, draft = [], areaId = '';
  let mode = new URLSearchParams(location.search).get('mode') === 'dynamic' ? 'dynamic' : 'static';
  let dyn = null; // area unit id -> {index, colour}
  const DYN_LEVEL = { blue: 'low', yellow: 'medium', orange: 'high', red: 'major' };
  async function loadDyn() {
    if (dyn) return;
    const r = await api('GET', '/risk-index' + qs({ unit_id: unitId }));
    dyn = new Map(r.items.map((x) => [x.unit_id, x]));
  }
  if (mode === 'dynamic') { try { await loadDyn(); } catch (e) { mode = 'static'; toastError(e); } }
  const units = map.can_edit ? await session.units() : [];
  const me = units.find((u) => String(u.id) === String(unitId));
  const below = me ? units.filter((u) => u.path && u.path.startsWith(me.path) && u.id !== me.id && u.active !== false) : [];

  const legend = h('div', { class: 'risk-legend', id: 'risk-legend' });
  function drawLegend() {
    clear(legend);
    const count = (l) => mode === 'dynamic'
      ? map.areas.filter((a) => dyn.has(a.area_unit_id) && DYN_LEVEL[dyn.get(a.area_unit_id).colour] === l).length
      : (map.counts[l] || 0);
    for (const l of ['major', 'high', 'medium', 'low'])
      legend.appendChild(h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch lvl-' + l }),
        t('risk.level.' + l) + ' ' + count(l)));
  }
  drawLegend();
  const modeBtn = (m, label) => h('button', { type: 'button', class: 'btn' + (mode === m ? ' btn-primary' : ''),
    id: 'riskmap-mode-' + m, 'aria-pressed': String(mode === m), onclick: async () => {
      if (mode === m) return;
      try { if (m === 'dynamic') await loadDyn(); } catch (e) { toastError(e); return; }
      mode = m;
      history.replaceState(null, '', location.pathname + (m === 'dynamic' ? '?mode=dynamic' : ''));
      for (const b of modes.children) { const on = b.id === 'riskmap-mode-' + m; b.classList.toggle('btn-primary', on); b.setAttribute('aria-pressed', String(on)); }
      drawLegend();
      draw();
    } }, label);
  const modes = h('div', { class: 'btn-group no-print', id: 'riskmap-modes' },
    modeBtn('static', t('ri.map.static')), modeBtn('dynamic', t('ri.map.dynamic')));
  const stage = h('div', { class: 'riskmap-stage', id: 'riskmap-stage' });
  const tools = h('div', { class: 'riskmap-tools no-print', id: 'riskmap-tools' });

  const page = main.appendChild(h('div', { class: 'riskmap-page', id: 'riskmap-page' }));
  page.appendChild(pageHead(t('risk.map.title', { name: map.unit_name }),
    h('button', { type: 'button', class: 'btn no-print', id: 'riskmap-print', onclick: () => window.print() }, t('risk.map.print'))));
  page.appendChild(h('div', { class: 'riskmap-summary' }, levelBadge(map.level), legend, modes));
  page.appendChild(stage);
  page.appendChild(tools);

  function draw() {
    clear(stage);
    if (!map.plan) { stage.appendChild(emptyState(t('risk.map.noplan'))); return; }
    const W = map.plan.width, H = map.plan.height;
    const img = h('img', { src: map.plan.url, alt: t('risk.map.plan'), class: 'riskmap-img', id: 'riskmap-img' });
    const over = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'riskmap-svg', id: 'riskmap-svg' });
    const fs = Math.max(12, Math.round(Math.min(W, H) / 30));
    for (const a of map.areas) {
      const pts = a.points.map((p) => `${(p[0] * W).toFixed(1)},${(p[1] * H).toFixed(1)}`).join(' ');
      const d = mode === 'dynamic' && dyn ? dyn.get(a.area_unit_id) : null;
      const lv = mode === 'dynamic' ? (d ? DYN_LEVEL[d.colour] || 'none' : 'none') : (a.level || 'none');
      const poly = svg('polygon', { points: pts, class: 'area lvl-' + lv, 'data-area': a.area_unit_id, 'data-level': lv },
        svg('title', null, d ? `${a.name} ${t('ri.map.index', { v: Math.round(d.index) })}` : `${a.name} ${t('risk.level.' + lv)}`));
      if (mode === 'dynamic') {
        poly.style.cursor = 'pointer';
        poly.addEventListener('click', () => { if (!editing) ctx.go('/risk/index/' + a.area_unit_id); });
      }
      over.appendChild(poly);
      const [cx, cy] = centroid(a.points);
      const n = ['major', 'high', 'medium', 'low'].reduce((s, l) => s + (a.counts[l] || 0), 0);
      over.appendChild(svg('text', { x: cx * W, y: cy * H, 'font-size': fs, class: 'area-label', 'text-anchor': 'middle' },
        a.name));
      over.appendChild(svg('text', { x: cx * W, y: cy * H + fs * 1.2, 'font-size': fs, class: 'area-count', 'text-anchor': 'middle',
        'data-count': a.area_unit_id }, d ? t('ri.map.index', { v: Math.round(d.index) }) : t('risk.map.count', { n })));
    }
    if (editing && draft.length) {
      over.appendChild(svg('polyline', { points: draft.map((p) => `${p[0] * W},${p[1] * H}`).join(' '), class: 'draft' }));
      for (const p of draft) over.appendChild(svg('circle', { cx: p[0] * W, cy: p[1] * H, r: fs / 3, class: 'draft-pt' }));
    }
    over.addEventListener('click', (ev) => {
      if (!editing) return;
      const r = over.getBoundingClientRect();
      const x = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
      const y = Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height));
      draft.push([Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4]);
      draw();
    });
    stage.appendChild(h('div', { class: 'riskmap-box' + (editing ? ' editing' : '') }, img, over));
  }

  async function reload() { map = await api('GET', '/risk/maps/' + unitId); draw(); }

  function drawTools() {
    clear(tools);
    if (!map.can_edit) return;
    const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', id: 'riskmap-file' });
    const upload = h('button', { type: 'button', class: 'btn', id: 'riskmap-upload', onclick: async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      try {
        const a = await api('POST', '/attachments' + qs({ unit_id: unitId, filename: f.name || 'plan.png' }), f);
        await api('PUT', '/risk/maps/' + unitId, { attachment_id: a.id });
        await reload();
      } catch (e) { toastError(e); }
    } }, t('risk.map.setplan'));
    tools.appendChild(h('div', { class: 'field' }, h('label', { for: 'riskmap-file' }, t('risk.map.plan')), file, upload));
    if (!map.plan) return;
    const sel = select('area', [{ value: '', label: t('risk.map.pickarea') },
      ...below.map((u) => ({ value: String(u.id), label: u.name + (map.areas.some((a) => a.area_unit_id === u.id) ? ' ✓' : '') }))],
    areaId, { id: 'riskmap-area' });
    sel.addEventListener('change', () => { areaId = sel.value; });
    const btn = (id, label, fn, cls) => h('button', { type: 'button', class: 'btn ' + (cls || ''), id, onclick: fn }, label);
    tools.appendChild(h('div', { class: 'riskmap-edit' }, sel,
      btn('riskmap-draw', editing ? t('risk.map.cancel') : t('risk.map.draw'), () => { editing = !editing; draft = []; draw(); drawTools(); }),
      editing ? btn('riskmap-undo', t('risk.map.undo'), () => { draft.pop(); draw(); }) : null,
      editing ? btn('riskmap-save', t('risk.map.save'), async () => {
        if (!areaId) { ui.toast(t('risk.map.pickarea'), 'error'); return; }
        try {
          await api('PUT', `/risk/maps/${unitId}/shapes/${areaId}`, { points: draft });
          editing = false; draft = [];
          await reload(); drawTools();
        } catch (e) { toastError(e, { labels: { points: t('risk.map.points') } }); }
      }, 'btn-primary') : null,
      !editing ? btn('riskmap-remove', t('risk.map.remove'), async () => {
        if (!areaId) return;
        try { await api('DELETE', `/risk/maps/${unitId}/shapes/${areaId}`); await reload(); drawTools(); } catch (e) { toastError(e); }
      }, 'btn-danger') : null,
      editing ? h('span', { class: 'hint' }, t('risk.map.hint')) : null));
  }

  draw();
  drawTools();
}
