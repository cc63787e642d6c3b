// pages/rules_edit.js — changing the alarm rule library from its page
// (pages/rules.js), as management of change: a change is tried on the
// stored history before it is saved, saved as a new inactive version with
// its reason, and activated as a separate, confirmed step.
//   backtestCard  试算: what the shown version would have raised in the last
//                 day, week or month (POST /alarm-rules/backtest), beside
//                 the active version when it is another one.
//   editorCard    a draft from the shown version (admins, alarmrule.write):
//                 each rule's name, level, parameters, enabled or removed,
//                 and for the rules of points their points (kinds, tags);
//                 new rules of those kinds from a template; the rest
//                 (composites, counts, conditions) in the JSON beneath.
//                 试算草稿 compares the draft with the version it came
//                 from; 保存为新版本 stores it (POST /alarm-rules).
// The server checks every rule; a refusal names the field as a path
// ("rules[3].window_s"), shown at that input or, for a field the table has
// no input for, at the JSON.
import { api } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';

const { h, badge, clear, emptyState, fmtTime } = ui;

// The parameters a rule of each kind is tuned by (the rest stays in JSON).
const PARAMS = {
  stale: ['max_gap_s'], flatline: ['window_s'], roc: ['limit_per_s', 'window_s'],
  count: ['n', 'window_s'], composite: ['on_delay_s'], anomaly: ['score_above', 'for_s'],
};
const SECONDS = new Set(['max_gap_s', 'window_s', 'on_delay_s', 'for_s']);
const LEVEL_KIND = { 1: 'warn', 2: 'danger', 3: 'danger' };
const RANGES = [1, 7, 30]; // days
// The rules chosen by points, and the point kinds they choose by.
const POINT_RULES = ['stale', 'flatline', 'roc', 'anomaly'];
const KINDS = ['combustible', 'toxic', 'oxygen', 'temperature', 'pressure', 'level', 'flow', 'analysis', 'status'];
const GAS = ['combustible', 'toxic', 'oxygen'];
// A new rule of each kind, as a safety engineer would start one.
const TEMPLATES = {
  stale: { level: 1, select: { kinds: GAS }, max_gap_s: 300, offline: false },
  flatline: { level: 1, select: { kinds: GAS }, window_s: 21600, epsilon: 'resolution' },
  roc: { level: 1, select: { kinds: ['temperature'] }, limit_per_s: 0.5, window_s: 60 },
  anomaly: { level: 1, select: { kinds: ['temperature', 'pressure'] }, score_above: 0.35, for_s: 300 },
};

// A duration in seconds in words ("6 小时"), '' when not a whole count.
export function dur(s) {
  if (!Number.isInteger(s) || s < 0) return '';
  if (s === 0) return t('rl.seconds', { n: 0 });
  if (s % 86400 === 0) return t('rl.days', { n: s / 86400 });
  if (s % 3600 === 0) return t('rl.hours', { n: s / 3600 });
  if (s % 60 === 0) return t('rl.minutes', { n: s / 60 });
  return t('rl.seconds', { n: s });
}

// Time in alarm: minutes up to two hours, then hours to a tenth.
function activeText(ms) {
  if (ms < 60000) return t('rl.bt.under_minute');
  if (ms < 2 * 3600000) return t('rl.minutes', { n: Math.round(ms / 60000) });
  return t('rl.hours', { n: Math.round(ms / 360000) / 10 });
}

const keyOf = (r) => `${r.rule}|${r.rule_id ?? ''}|${r.source_kind}|${r.source_id}`;
// Raises of a line; a count rule's work orders count as its actions.
const hits = (r) => (r ? r.raises + r.actions : 0);

function ruleLabel(r) {
  if (r.rule_id === null) return t('rl.bt.limit', { c: t('rl.bt.cond.' + r.rule, null, r.rule) });
  if (r.rule === 'process_monitor') return t('rl.bt.monitor');
  return `${r.rule_id} ${r.name}`;
}

// A result (and the one compared with, or null) as a table.
function resultTable(res, base, labels) {
  const lines = new Map(res.results.map((r) => [keyOf(r), { r, b: null }]));
  if (base) {
    for (const b of base.results) {
      const k = keyOf(b);
      if (lines.has(k)) lines.get(k).b = b; else lines.set(k, { r: null, b });
    }
  }
  if (!lines.size) return emptyState(t('rl.bt.nothing'));
  // Compared, the lines that change come first, the largest change first.
  const delta = ({ r, b }) => Math.abs(hits(r) - hits(b));
  const ordered = base ? [...lines.values()].sort((x, y) => delta(y) - delta(x)) : [...lines.values()];
  const rows = ordered.map(({ r, b }) => {
    const x = r || b;
    const d = hits(r) - hits(b);
    const first = r && r.first.length ? r.first.map((f) => fmtTime(f.at)).join('，') : '';
    return h('tr', { dataset: { key: keyOf(x), raises: hits(r), baseRaises: hits(b) } },
      h('td', null, ruleLabel(x)),
      h('td', null, x.source),
      h('td', null, badge(t('al.level.' + x.level), LEVEL_KIND[x.level] || 'info')),
      h('td', { class: 'num' }, String(hits(r)) + (r && r.actions ? t('rl.bt.orders', { n: r.actions }) : '')),
      base ? h('td', { class: 'num' }, String(hits(b))) : null,
      base ? h('td', { class: 'num rl-delta' + (d > 0 ? ' up' : d < 0 ? ' down' : '') }, d > 0 ? '+' + d : d < 0 ? String(d) : '') : null,
      h('td', null, r ? activeText(r.active_ms) : ''),
      h('td', { class: 'muted' }, first));
  });
  const heads = ['rl.bt.c.rule', 'rl.bt.c.source', 'rl.c.level', 'rl.bt.c.raises'];
  if (base) heads.push('rl.bt.c.base', 'rl.bt.c.delta');
  heads.push('rl.bt.c.active', 'rl.bt.c.first');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table rl-table rl-bt-table' },
    h('thead', null, h('tr', null, heads.map((k) => h('th', null, t(k, labels))))),
    h('tbody', null, rows)));
}

function summary(res, base, labels) {
  const total = res.results.reduce((a, r) => a + hits(r), 0);
  const line = t('rl.bt.summary', { from: fmtTime(res.from), to: fmtTime(res.to), points: res.points,
    readings: res.readings.toLocaleString(), monitors: res.monitors, n: total, ms: res.elapsed_ms, self: labels.self });
  const cmp = base ? t('rl.bt.summary_base', { n: base.results.reduce((a, r) => a + hits(r), 0), base: labels.base }) : '';
  return h('p', { class: 'rl-bt-summary' }, line + cmp);
}

// Run the backtest of body (with the range) and, when compare is given, of
// that too; show both in out.
async function runInto(out, body, compare, days, labels) {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400000);
  const range = { from: from.toISOString(), to: to.toISOString() };
  clear(out).appendChild(h('p', { class: 'muted' }, t('rl.bt.running')));
  const res = await api('POST', '/alarm-rules/backtest', Object.assign({}, body, range));
  const base = compare ? await api('POST', '/alarm-rules/backtest', Object.assign({}, compare, range)) : null;
  clear(out).append(summary(res, base, labels), resultTable(res, base, labels));
}

function rangeSelect(id) {
  return ui.select('days', RANGES.map((d) => ({ value: d, label: t('rl.bt.days', { n: d }) })), 7, { id });
}

// 试算 of a stored version; beside the active one when that is another.
export function backtestCard(set, active) {
  const out = h('div', { id: 'rl-bt-out' });
  const days = rangeSelect('rl-bt-days');
  const compare = active && active.version !== set.version ? { version: active.version } : null;
  const labels = { self: t('rl.version', { v: set.version }), base: compare ? t('rl.version', { v: active.version }) : '' };
  const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'rl-bt-run', onclick: async () => {
    btn.disabled = true;
    try { await runInto(out, { version: set.version }, compare, Number(days.value), labels); } catch (e) {
      clear(out).appendChild(h('p', { class: 'form-error' }, ui.errorNode(e)));
    } finally { btn.disabled = false; }
  } }, t('rl.bt.run'));
  return h('section', { class: 'card', id: 'rl-bt' },
    h('h2', null, t('rl.bt.title')),
    h('p', { class: 'hint' }, t(compare ? 'rl.bt.intro_cmp' : 'rl.bt.intro', labels)),
    h('div', { class: 'rl-bar' }, days, btn), out);
}

// Which points a rule of points applies to: kinds ticked and tags typed
// (unit_ids, when the JSON gave some, are kept as they are).
function selectEditor(r, slot, selText) {
  const sel = r.select || (r.select = {});
  const summary = h('summary', null, selText(sel) || t('rl.e.sel_none'));
  const sync = () => {
    const ks = [...box.querySelectorAll('input[name="sel-kind"]:checked')].map((x) => x.value);
    const ts = tags.value.split(/[,，、\s]+/).filter(Boolean);
    if (ks.length) sel.kinds = ks; else delete sel.kinds;
    if (ts.length) sel.tags = ts; else delete sel.tags;
    summary.textContent = selText(sel) || t('rl.e.sel_none');
  };
  const tags = ui.input('sel-tags', { value: (sel.tags || []).join(', '), placeholder: 'GT-101, GT-102', oninput: sync,
    'aria-label': t('rl.e.sel_tags') });
  const box = h('div', { class: 'check-grid rl-sel-kinds' }, KINDS.map((k) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'sel-kind', value: k, checked: (sel.kinds || []).includes(k), onchange: sync }),
    h('span', null, t('rl.kind.' + k)))));
  return slot('select', h('details', { class: 'rl-sel' }, summary, box,
    h('label', { class: 'rl-param' }, h('span', null, t('rl.e.sel_tags')), tags)));
}

// One rule as an editable row of the draft; inputs write into r.
function ruleRow(r, i, onRemove, selText) {
  const slot = (name, control) => h('div', { class: 'field', dataset: { field: `rules[${i}].${name}` } },
    control, h('div', { class: 'field-error', role: 'alert' }));
  const name = ui.input('name', { value: r.name, maxlength: 120, oninput: (e) => { r.name = e.target.value; } });
  const level = ui.select('level', [1, 2, 3].map((l) => ({ value: l, label: t('al.level.' + l) })), r.level,
    { onchange: (e) => { r.level = Number(e.target.value); } });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: r.enabled !== false,
    onchange: (e) => { r.enabled = e.target.checked; } });
  const params = (PARAMS[r.kind] || []).map((p) => {
    const hint = h('span', { class: 'muted rl-dur' }, SECONDS.has(p) ? dur(r[p]) : '');
    const inp = ui.input(p, { type: 'number', step: 'any', value: r[p] ?? '', class: 'input rl-num',
      oninput: (e) => {
        r[p] = e.target.value === '' ? null : Number(e.target.value);
        if (SECONDS.has(p)) hint.textContent = dur(r[p]);
      } });
    return slot(p, h('label', { class: 'rl-param' }, h('span', null, t('rl.p.' + p)), inp, hint));
  });
  return h('tr', { dataset: { ruleId: r.id, kind: r.kind } },
    h('td', { class: 'num' }, String(r.id)),
    h('td', null, slot('name', name), h('div', { class: 'muted' }, t('rl.k.' + r.kind, null, r.kind))),
    h('td', null, slot('level', level)),
    h('td', null, params, POINT_RULES.includes(r.kind) ? selectEditor(r, slot, selText) : null),
    h('td', null, slot('enabled', h('label', { class: 'check' }, enabled, h('span', null, t('rl.e.enabled'))))),
    h('td', null, h('button', { type: 'button', class: 'btn btn-ghost', dataset: { remove: r.id }, onclick: onRemove },
      t('rl.e.remove'))));
}

// The draft editor, starting from set's rules. onSaved(version) after a
// save; selText(select) says a selector in words (pages/rules.js).
export function editorCard(set, onSaved, selText) {
  let rules = JSON.parse(JSON.stringify(set.rules));
  const tbody = h('tbody');
  const json = h('textarea', { class: 'input rl-json', id: 'rl-json', rows: 14, spellcheck: false });
  const details = h('details', { class: 'field', dataset: { field: 'rules' } },
    h('summary', null, t('rl.e.json')),
    h('p', { class: 'hint' }, t('rl.e.json_hint')), json,
    h('div', { class: 'rl-bar' }, h('button', { type: 'button', class: 'btn', id: 'rl-json-load', onclick: () => {
      let v;
      try { v = JSON.parse(json.value); } catch (e) { v = undefined; }
      const list = Array.isArray(v) ? v : v && Array.isArray(v.rules) ? v.rules : null;
      ui.clearErrors(form);
      if (!list) { ui.showError(form, { field: 'rules', message: t('rl.e.json_bad') }); return; }
      rules = list;
      draw();
    } }, t('rl.e.json_load'))),
    h('div', { class: 'field-error', role: 'alert' }));
  // A refusal at the nearest input of its path ("rules[3].select.tags[0]"
  // at rules[3]'s points), or at the JSON (opened) when the table has none.
  const showRuleError = (e) => {
    let f = String(e.field || '');
    while (f.includes('.') && !form.querySelector(`[data-field="${CSS.escape(f)}"]`)) f = f.replace(/[.[][^.[]*$/, '');
    const slot = f.startsWith('rules[') && form.querySelector(`[data-field="${CSS.escape(f)}"]`);
    ui.showError(form, slot ? Object.assign({}, e, { field: f }) : e);
    if (slot && slot.querySelector('details')) slot.querySelector('details').open = true;
    if (String(e.field || '').startsWith('rules') && !slot) details.open = true;
  };
  const draw = () => {
    clear(tbody).append(...rules.map((r, i) => ruleRow(r, i, () => { rules.splice(i, 1); draw(); }, selText)));
    json.value = JSON.stringify(rules, null, 2);
  };
  // A new rule from a template, numbered after the highest.
  const kindSel = ui.select('new-kind', POINT_RULES.map((k) => ({ value: k, label: t('rl.k.' + k) })), 'anomaly', { id: 'rl-new-kind' });
  const add = () => {
    const id = rules.reduce((m, r) => Math.max(m, Number(r.id) || 0), 0) + 1;
    const tpl = JSON.parse(JSON.stringify(TEMPLATES[kindSel.value]));
    rules.push(Object.assign({ id, kind: kindSel.value, name: t('rl.e.new_name', { k: t('rl.k.' + kindSel.value) }), enabled: true }, tpl));
    draw();
    tbody.lastElementChild.querySelector('input[name="name"]').select();
  };
  const comment = ui.input('comment', { id: 'rl-comment', maxlength: 200, required: true,
    placeholder: t('rl.e.comment_ph') });
  const days = rangeSelect('rl-try-days');
  const out = h('div', { id: 'rl-try-out' });
  const labels = { self: t('rl.e.draft'), base: t('rl.version', { v: set.version }) };
  const form = h('form', { class: 'form', id: 'rl-editor-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
    ui.formError(),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table rl-table rl-edit-table' },
      h('thead', null, h('tr', null, ['rl.c.id', 'rl.c.name', 'rl.c.level', 'rl.e.params', 'rl.c.state', '']
        .map((k) => h('th', null, k ? t(k) : '')))), tbody)),
    h('div', { class: 'rl-bar' }, kindSel, h('button', { type: 'button', class: 'btn', id: 'rl-add', onclick: add }, t('rl.e.add'))),
    details,
    ui.field(t('rl.e.comment'), comment, t('rl.e.comment_hint')),
    h('div', { class: 'rl-bar' },
      days,
      h('button', { type: 'button', class: 'btn', id: 'rl-try', onclick: () => ui.busy(form, async () => {
        ui.clearErrors(form);
        try { await runInto(out, { rules }, { version: set.version }, Number(days.value), labels); } catch (e) {
          clear(out);
          showRuleError(e);
        }
      }) }, t('rl.e.try')),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'rl-save', onclick: () => ui.busy(form, async () => {
        ui.clearErrors(form);
        if (!comment.value.trim()) {
          ui.showError(form, { field: 'comment', message: t('rl.e.comment_required') });
          return;
        }
        try {
          const v = await api('POST', '/alarm-rules', { comment: comment.value.trim(), rules });
          ui.toast(t('rl.e.saved', { v: v.version }), 'ok');
          onSaved(v.version);
        } catch (e) { showRuleError(e); }
      }) }, t('rl.e.save'))),
    out);
  draw();
  return h('section', { class: 'card', id: 'rl-editor' },
    h('h2', null, t('rl.e.title', { v: set.version })),
    h('p', { class: 'hint' }, t('rl.e.intro')), form);
}
