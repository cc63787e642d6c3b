// pages/rules.js — /alarms/rules: the alarm rule library (报警规则库) for the
// quarterly review. The versions of the rule set
// (GET /alarm-rules: which one is active, when, why) and one version's
// rules (GET /alarm-rules/{version}) in words: what each watches, when it
// raises, at which level, and the operating state it applies in ("while").
// ?version= chooses the version (default: the active one). The points' own
// limits (LL/L/H/HH, GB/T 50493) are not rules and are named as such.
// Above the rules, what the version changes against the active one (the
// active one: against the version before it; pages/rules_diff.js); beneath, its backtest (试算) and, for admins (alarmrule.write),
// a draft of a new version and the activation of a saved one
// (pages/rules_edit.js). The page needs alarmrule.read (admins, managers,
// safety officers).
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { backtestCard, dur, editorCard } from './rules_edit.js';
import { diffCard } from './rules_diff.js';

const { h, pageHead, emptyState, fmtTime, badge } = ui;
const LEVEL_KIND = { 1: 'warn', 2: 'danger', 3: 'danger' };
let units = []; // the unit register, loaded by render
const unitName = (id) => session.unitName(units, id);

// What a selector matches: "GT-101、GT-102" / "可燃气体、有毒气体" / "罐区".
function selText(sel) {
  if (!sel) return '';
  const parts = [];
  if (sel.tags) parts.push(sel.tags.join(t('rl.sep')));
  if (sel.kinds) parts.push(sel.kinds.map((k) => t('rl.kind.' + k, null, k)).join(t('rl.sep')));
  if (sel.unit_ids) parts.push(sel.unit_ids.map(unitName).join(t('rl.sep')));
  return parts.join(' · ');
}

// A point condition: "FI-201 ≥ 3".
function condText(c) {
  if (c.fact) return t('rl.fact', { f: c.fact });
  const op = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' }[c.op] || c.op;
  return `${c.tag || selText(c.select)} ${op} ${c.value}`;
}

// A field's value in words, for the changes of a version.
const SECONDS = new Set(['max_gap_s', 'window_s', 'on_delay_s', 'for_s']);
function fieldText(k, v) {
  if (k === 'select') return selText(v);
  if (k === 'while') return condText(v);
  if (k === 'conditions') return v.map(condText).join(t('rl.sep'));
  if (k === 'level') return t('al.level.' + v);
  if (k === 'unit_id') return unitName(v);
  if (k === 'faults') return v.map((f) => t('rl.fault.' + f, null, f)).join(t('rl.sep'));
  if (typeof v === 'boolean') return t(v ? 'rl.yes' : 'rl.no');
  if (SECONDS.has(k) && Number.isInteger(v)) return dur(v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// When the rule raises, in words.
function whenText(r) {
  switch (r.kind) {
  case 'stale': return t(r.offline ? 'rl.w.offline' : 'rl.w.stale', { d: dur(r.max_gap_s) });
  case 'flatline': return t('rl.w.flatline', { d: dur(r.window_s), e: r.epsilon === 'resolution' ? t('rl.resolution') : r.epsilon });
  case 'roc': return t('rl.w.roc', { v: r.limit_per_s, d: dur(r.window_s) });
  case 'count': return t('rl.w.count', { key: t('rl.key.' + r.key, null, r.key), n: r.n, d: dur(r.window_s) }) +
    (r.action === 'work_order' ? t('rl.w.work_order', { k: t('rl.wo.' + r.action_kind, null, r.action_kind) }) : '');
  case 'composite': return t(r.mode === 'any' ? 'rl.w.any' : 'rl.w.all', { c: r.conditions.map(condText).join('；') }) +
    (r.on_delay_s ? t('rl.w.delay', { d: dur(r.on_delay_s) }) : '');
  case 'anomaly': return t('rl.w.anomaly', { s: r.score_above, d: dur(r.for_s) }) +
    (r.faults && r.faults.length ? t('rl.w.faults', { f: r.faults.map((f) => t('rl.fault.' + f, null, f)).join(t('rl.sep')) }) : '');
  default: return '';
  }
}

function rulesTable(set) {
  const rows = set.rules.map((r) => h('tr', { dataset: { ruleId: r.id, kind: r.kind }, class: r.enabled ? '' : 'muted' },
    h('td', { class: 'num' }, String(r.id)),
    h('td', null, h('strong', null, r.name), h('div', { class: 'muted' }, t('rl.k.' + r.kind, null, r.kind))),
    h('td', null, badge(t('al.level.' + r.level), LEVEL_KIND[r.level] || 'info')),
    h('td', null, r.kind === 'composite' ? unitName(r.unit_id) : r.kind === 'count' ? t('rl.any_source') : selText(r.select)),
    h('td', null, whenText(r)),
    h('td', { class: 'rl-while' }, r.while ? t('rl.while', { c: condText(r.while) }) : t('rl.always')),
    h('td', null, r.enabled ? '' : t('rl.disabled'))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table rl-table', id: 'rl-rules' },
    h('thead', null, h('tr', null, ['rl.c.id', 'rl.c.name', 'rl.c.level', 'rl.c.select', 'rl.c.when', 'rl.c.while', 'rl.c.state']
      .map((k) => h('th', null, t(k))))),
    h('tbody', null, rows)));
}

// Activate a saved version after a confirmation (admins).
async function activate(set, active, ctx) {
  const ok = await ui.confirmDialog(t('rl.activate'), t('rl.activate_q', { v: set.version, a: active ? active.version : '-' }),
    t('rl.activate'));
  if (!ok) return;
  try {
    await api('POST', `/alarm-rules/${set.version}/actions/activate`);
    ui.toast(t('rl.activated', { v: set.version }), 'ok');
    ctx.rerender();
  } catch (e) { ui.toastError(e); }
}

export async function render(main, ctx) {
  let res;
  [res, units] = await Promise.all([api('GET', '/alarm-rules'), session.units()]);
  const list = res.items || [];
  main.appendChild(pageHead(t('rl.title'), h('a', { href: '/alarms', 'data-link': '', class: 'btn' }, t('nav.alarms'))));
  main.appendChild(h('p', { class: 'hint' }, t('rl.intro')));
  if (!list.length) { main.appendChild(emptyState(t('rl.none'))); return; }
  const want = parseInt(new URLSearchParams(location.search).get('version'), 10);
  const active = list.find((v) => v.active) || list[list.length - 1];
  const chosen = list.find((v) => v.version === want) || active;
  const versions = h('ol', { class: 'rl-versions', id: 'rl-versions', reversed: '' }, [...list].reverse().map((v) =>
    h('li', { dataset: { version: v.version }, class: v.version === chosen.version ? 'current' : '' },
      h('a', { href: '/alarms/rules' + qs({ version: v.version }), 'data-link': '' }, t('rl.version', { v: v.version })), ' ',
      v.active ? badge(t('rl.active'), 'ok') : null, ' ',
      h('span', { class: 'muted' }, fmtTime(v.created_at) + (v.comment ? ' · ' + v.comment : '')))));
  main.appendChild(h('section', { class: 'card' }, h('h2', null, t('rl.versions')), versions));
  // An inactive version against the active one (what activating it would
  // change); the active one against the version numbered before it.
  const prevRow = chosen.active ? [...list].reverse().find((v) => v.version < chosen.version) : list.find((v) => v.active);
  const [set, prev] = await Promise.all([api('GET', '/alarm-rules/' + chosen.version),
    prevRow ? api('GET', '/alarm-rules/' + prevRow.version) : null]);
  const write = session.can.alarmRuleWrite();
  const slot = h('div');
  const draft = h('button', { type: 'button', class: 'btn', id: 'rl-draft', onclick: () => {
    draft.disabled = true;
    slot.appendChild(editorCard(set, (v) => ctx.go('/alarms/rules' + qs({ version: v })), selText));
    slot.querySelector('input').focus();
  } }, t('rl.e.open'));
  main.appendChild(h('section', { class: 'card', id: 'rl-set', dataset: { version: set.version } },
    h('h2', null, t('rl.version', { v: set.version }), ' ', set.active ? badge(t('rl.active'), 'ok') : null),
    set.rules.length ? rulesTable(set) : emptyState(t('rl.empty')),
    h('p', { class: 'hint' }, t('rl.limits_note')),
    write ? h('div', { class: 'form-actions' }, draft,
      set.active ? null : h('button', { type: 'button', class: 'btn btn-primary', id: 'rl-activate',
        onclick: () => activate(set, active.active ? active : null, ctx) }, t('rl.activate'))) : null));
  const diff = diffCard(prev, set, fieldText);
  if (diff) main.insertBefore(diff, main.querySelector('#rl-set'));
  main.appendChild(slot);
  main.appendChild(backtestCard(set, list.find((v) => v.active)));
}
