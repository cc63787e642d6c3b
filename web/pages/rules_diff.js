// pages/rules_diff.js — what a version of the alarm rule set changes against
// another (pages/rules.js: an inactive version against the active one, the
// active one against the version before it): the rules added, removed and
// changed, matched by id, each change as "field: before → after". A
// reviewer reads this before activating a version, and an auditor after.
import { t } from '../i18n.js';
import * as ui from '../ui.js';

const { h } = ui;

// Fields in the order a reader expects them; others follow by name.
const ORDER = ['name', 'level', 'enabled', 'select', 'unit_id', 'max_gap_s', 'offline', 'window_s', 'epsilon',
  'limit_per_s', 'key', 'n', 'action', 'action_kind', 'alarm', 'mode', 'conditions', 'on_delay_s',
  'score_above', 'for_s', 'faults', 'while'];

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// {added: [rule], removed: [rule], changed: [{rule, fields: [{key, from, to}]}]}
export function diffRules(prev, cur) {
  const before = new Map(prev.map((r) => [r.id, r]));
  const after = new Set(cur.map((r) => r.id));
  const out = { added: [], removed: prev.filter((r) => !after.has(r.id)), changed: [] };
  for (const r of cur) {
    const p = before.get(r.id);
    if (!p) { out.added.push(r); continue; }
    const keys = [...new Set([...Object.keys(p), ...Object.keys(r)])].filter((k) => k !== 'id' && !same(p[k], r[k]));
    keys.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
    if (keys.length) out.changed.push({ rule: r, fields: keys.map((k) => ({ key: k, from: p[k], to: r[k] })) });
  }
  return out;
}

// The card, or null when there is no version before. fmt(key, value) says a
// field's value in words (pages/rules.js knows selectors and conditions).
export function diffCard(prev, set, fmt) {
  if (!prev) return null;
  const d = diffRules(prev.rules, set.rules);
  const label = (k) => t('rl.f.' + k, null, k);
  const val = (k, v) => (v === undefined ? t('rl.d.none') : fmt(k, v));
  const item = (kind, r, body) => h('li', { dataset: { change: kind, ruleId: r.id } },
    ui.badge(t('rl.d.' + kind), kind === 'removed' ? 'danger' : kind === 'added' ? 'ok' : 'warn'), ' ',
    h('strong', null, `${r.id} ${r.name}`), body);
  const items = [
    ...d.added.map((r) => item('added', r, null)),
    ...d.changed.map((c) => item('changed', c.rule, h('ul', { class: 'rl-diff-fields' }, c.fields.map((f) =>
      h('li', { dataset: { field: f.key } }, label(f.key), '：', h('del', null, val(f.key, f.from)), ' → ',
        h('ins', null, val(f.key, f.to))))))),
    ...d.removed.map((r) => item('removed', r, null)),
  ];
  return h('section', { class: 'card', id: 'rl-diff', dataset: { added: d.added.length, changed: d.changed.length, removed: d.removed.length } },
    h('h2', null, t(prev.active ? 'rl.d.title_active' : 'rl.d.title', { v: prev.version })),
    items.length ? h('ul', { class: 'rl-diff' }, items) : h('p', { class: 'muted' }, t('rl.d.same')));
}
