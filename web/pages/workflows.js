// pages/workflows.js — /admin/workflows: the workflow editor (流程配置), the
// low-code heart of issue 3. Lists the definitions (GET /workflows), shows a
// version as a list graph (each state with its SLA and effects, and the
// actions out of it: label, target, who, fields, locked statutory guards),
// the version history (GET /workflows/{key}/versions/{n}, 1..latest), and for
// admins an editor: the JSON of the next version in a textarea, "检查" (a
// local check of the shape: JSON, ids, references, graph), helpers that add
// a state, a custom field or an action without writing JSON, and "保存为新版本"
// (POST /workflows/{key}/versions). The server is the judge: a definition
// that drops or bypasses a statutory guard (五落实, 治理方案, 验收人不得为整改人,
// 验收日期) is refused with 400 naming the guard, shown next to the editor.
// Readers: admin, manager, safety officer, regulator (workflow.read);
// writers: admin (workflow.write).
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, checkboxes, checkedValues, formError, clearErrors, showError, busy, toast,
  openDialog, badge, pageHead, emptyState, fmtTime, errorNode, explainError, actorName } from '../ui.js';
import * as session from '../session.js';

const GUARDS = ['five_assurances', 'rectification_plan', 'acceptor_not_rectifier', 'acceptance_after_rectification'];
const FIELD_TYPES = ['string', 'integer', 'date', 'time', 'enum', 'boolean', 'attachments', 'person'];
const RELATIONS = ['assignee', 'reporter', 'rectifier', 'responsible', 'not_rectifier', 'not_reporter'];
const ID_RE = /^[a-z][a-z0-9_]{0,39}$/;

export async function render(main, ctx) {
  const writable = ((session.me() && session.me().roles) || []).includes('admin');
  const list = await api('GET', '/workflows');
  const items = (list && list.items) || [];
  const params = new URLSearchParams(location.search);
  const key = params.get('key') || (items[0] && items[0].key) || '';
  const cur = items.find((x) => x.key === key);
  const wanted = Number(params.get('version')) || (cur ? cur.version : 0);

  const listBox = h('div', { class: 'rows wf-list', id: 'wf-list' }, items.map((w) =>
    h('a', { href: '/admin/workflows' + qs({ key: w.key }), 'data-link': '', class: 'row-card wf-item' + (w.key === key ? ' selected' : ''),
      dataset: { key: w.key } },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title' }, h('span', null, w.name || w.key), h('span', { class: 'muted mono' }, w.key)),
        h('div', { class: 'row-meta' }, h('span', null, t('wf.version_n', { n: w.version })),
          w.builtin ? badge(t('wf.builtin'), 'off') : null, w.created_at ? h('span', null, fmtTime(w.created_at)) : null)))));
  if (!items.length) listBox.appendChild(emptyState(t('wf.empty')));

  const page = h('div', { class: 'page wf-page' }, pageHead(t('wf.title')), h('p', { class: 'muted' }, t('wf.intro')), listBox);
  main.appendChild(page);
  if (!cur) return;

  const doc = await api('GET', '/workflows/' + encodeURIComponent(key) + (wanted && wanted !== cur.version ? '/versions/' + wanted : ''));
  const def = doc.definition || {};

  // Version history: 1..latest, newest first.
  const hist = h('ol', { class: 'wf-history', id: 'wf-history', reversed: true });
  for (let v = cur.version; v >= 1; v--) {
    hist.appendChild(h('li', { class: v === doc.version ? 'active' : '' },
      h('a', { href: '/admin/workflows' + qs({ key, version: v }), 'data-link': '', dataset: { version: v } }, t('wf.version_n', { n: v })),
      v === cur.version ? h('span', { class: 'muted' }, ' · ', t('wf.latest')) : null));
  }

  page.appendChild(h('section', { class: 'card', id: 'wf-view', dataset: { key, version: doc.version } },
    h('h2', null, (def.name || key), ' · ', t('wf.version_n', { n: doc.version }),
      doc.builtin ? [' ', badge(t('wf.builtin'), 'off')] : null),
    def.description ? h('p', null, def.description) : null,
    h('p', { class: 'small muted' }, doc.created_at ? t('wf.saved_at', { at: fmtTime(doc.created_at), by: actorName(doc.created_by) }) : t('wf.not_saved'),
      doc.digest ? [' · ', h('span', { class: 'mono' }, 'sha256 ' + String(doc.digest).slice(0, 12))] : null),
    h('div', { class: 'wf-layout' },
      h('div', { class: 'wf-graph-box' }, graph(def)),
      h('div', { class: 'wf-side' }, h('h3', null, t('wf.history')), hist, fieldsTable(def)))));

  if (writable) page.appendChild(editor(key, def, cur.version, ctx));
}

// ---- the list graph --------------------------------------------------------

function stateLabel(def, id) {
  const s = (def.states || []).find((x) => x.id === id);
  return s ? (s.label || s.id) : id;
}

function allowText(allow) {
  if (!allow) return '';
  const parts = [];
  if (allow.anyone) parts.push(t('wf.allow.anyone'));
  for (const r of allow.roles || []) parts.push(session.roleName(r));
  for (const p of allow.posts || []) parts.push(t('wf.allow.post', { code: p }));
  for (const r of allow.relations || []) parts.push(t('wf.rel.' + r, null, r));
  return parts.join('、');
}

function graph(def) {
  const actions = def.actions || [];
  const ol = h('ol', { class: 'wf-graph', id: 'wf-graph' });
  for (const s of def.states || []) {
    const outs = actions.filter((a) => (a.from || []).includes(s.id));
    const sla = s.sla ? (s.sla.due_field ? t('wf.sla.field', { field: fieldName(def, s.sla.due_field) }) : t('wf.sla.seconds', { d: fmtDuration(s.sla.seconds) })) : '';
    const esc = s.sla && s.sla.escalate_to ? s.sla.escalate_to.map((x) => x.kind === 'role' ? session.roleName(x.role) : t('wf.target.' + x.kind, null, x.kind)).join(' → ') : '';
    ol.appendChild(h('li', { class: 'wf-state' + (s.terminal ? ' terminal' : '') + (s.id === def.initial ? ' initial' : ''), dataset: { state: s.id } },
      h('div', { class: 'wf-state-head' },
        h('span', { class: 'wf-state-name' }, s.label || s.id), h('span', { class: 'mono muted small' }, s.id),
        s.id === def.initial ? badge(t('wf.initial'), 'info') : null,
        s.terminal ? badge(t('wf.terminal'), 'off') : null,
        sla ? badge('⏱ ' + sla, 'role') : null),
      esc ? h('div', { class: 'small muted' }, t('wf.escalate', { chain: esc })) : null,
      (s.on_enter || []).length ? h('div', { class: 'small muted' }, t('wf.on_enter'), '：',
        s.on_enter.map((e) => t('wf.effect.' + e.kind, null, e.kind) + (e.when ? ` (${fieldName(def, e.when.field)} = ${e.when.equals})` : '')).join('、')) : null,
      outs.length ? h('ul', { class: 'wf-actions' }, outs.map((a) => h('li', { class: 'wf-action', dataset: { action: a.id } },
        h('span', { class: 'wf-arrow' }, '➜ '), h('strong', null, a.label || a.id), h('span', { class: 'mono muted small' }, ' ', a.id),
        h('span', null, ' → ', h('span', { class: 'wf-to' }, stateLabel(def, a.to))),
        h('div', { class: 'small' }, h('span', { class: 'muted' }, t('wf.who'), '：'), allowText(a.allow)),
        (a.required || []).length ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('wf.required'), '：'), fieldNames(def, a.required)) : null,
        (a.optional || []).length ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('wf.optional'), '：'), fieldNames(def, a.optional)) : null,
        (a.guards || []).length ? h('div', { class: 'chips wf-guards' }, a.guards.map((g) => badge('🔒 ' + t('wf.guard.' + g, null, g), 'warn'))) : null))) : null));
  }
  return ol;
}

function fmtDuration(s) {
  if (!s) return '';
  if (s % 86400 === 0) return t('wf.days', { n: s / 86400 });
  if (s % 3600 === 0) return t('wf.hours', { n: s / 3600 });
  return t('wf.minutes', { n: Math.round(s / 60) });
}

// A field by its name (a custom field's label, a built-in one's from the
// dictionary); in lists with the id on hover for whoever edits the JSON.
function fieldName(def, id) {
  const f = (def.fields || []).find((x) => x.id === id);
  return (f && f.label) || t('field.' + id, null, id);
}
function fieldNames(def, ids) {
  return ids.map((id, i) => [i ? '、' : '', h('span', { title: id }, fieldName(def, id))]);
}

function fieldsTable(def) {
  const fs = def.fields || [];
  return h('div', null, h('h3', null, t('wf.custom_fields')),
    fs.length ? h('ul', { class: 'wf-fields', id: 'wf-fields' }, fs.map((f) => h('li', { dataset: { field: f.id } },
      h('strong', null, f.label || f.id), ' ', h('span', { class: 'mono muted small' }, f.id + ' · ' + f.type),
      f.values ? h('span', { class: 'small muted' }, ' [' + f.values.join(', ') + ']') : null)))
      : emptyState(t('wf.no_custom_fields')));
}

// ---- the editor -----------------------------------------------------------

function editor(key, def, latest, ctx) {
  const text = h('textarea', { name: 'definition', class: 'input mono wf-json', id: 'wf-json', rows: 24, spellcheck: false,
    'aria-label': t('wf.json') });
  text.value = JSON.stringify(def, null, 2);
  const result = h('div', { class: 'wf-result', id: 'wf-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'form', id: 'wf-editor', novalidate: true },
    h('div', { class: 'field', dataset: { field: 'definition' } },
      h('label', { for: 'wf-json' }, t('wf.json')), text,
      h('div', { class: 'field-hint' }, t('wf.json_hint')),
      h('div', { class: 'field-error', role: 'alert' })),
    result,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', id: 'wf-add-state', onclick: () => addState(text) }, '＋ ', t('wf.add_state')),
      h('button', { type: 'button', class: 'btn', id: 'wf-add-field', onclick: () => addField(text) }, '＋ ', t('wf.add_field')),
      h('button', { type: 'button', class: 'btn', id: 'wf-add-action', onclick: () => addAction(text) }, '＋ ', t('wf.add_action')),
      h('button', { type: 'button', class: 'btn', id: 'wf-check', onclick: () => check() }, t('wf.check')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'wf-save' }, t('wf.save'))));

  function showResult(kind, ...nodes) {
    clear(result).className = 'wf-result notice notice-' + kind;
    result.append(...nodes.flat().filter(Boolean));
  }

  function check() {
    clearErrors(form);
    const { doc, problems } = localCheck(text.value);
    if (problems.length) {
      showResult('error', h('strong', null, t('wf.check.failed')),
        h('ul', { class: 'wf-problems' }, problems.map((p) => h('li', null, p))));
      return null;
    }
    const guarded = (doc.actions || []).filter((a) => (a.guards || []).length).length;
    showResult('ok', h('strong', null, t('wf.check.ok')), h('div', { class: 'small' }, t('wf.check.ok_more', { states: doc.states.length, actions: doc.actions.length, guarded })));
    return doc;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const doc = check();
    if (!doc) return;
    busy(form, async () => {
      try {
        const saved = await api('POST', '/workflows/' + encodeURIComponent(key) + '/versions', doc);
        toast(t('wf.saved', { n: saved.version }), 'ok');
        ctx.go('/admin/workflows' + qs({ key, version: saved.version }), true);
      } catch (e) {
        showRefusal(e);
      }
    });
  });

  // A refusal names the guard (field = its id) or the path of the bad part.
  function showRefusal(e) {
    const guard = GUARDS.includes(e.field) ? e.field : null;
    const head = guard
      ? h('strong', { class: 'wf-refused-guard', dataset: { guard } }, t('wf.refused.guard', { guard: t('wf.guard.' + guard), id: guard }))
      : h('strong', null, t('wf.refused'));
    const where = !guard && e.field ? h('div', null, t('wf.refused.at', { path: e.field })) : null;
    showResult('error', head, where, h('div', { class: 'small' }, errorNode(e, { labels: { [e.field || '']: e.field } })));
    const slot = form.querySelector('[data-field="definition"]');
    slot.classList.add('has-error');
    clear(slot.querySelector('.field-error')).textContent = explainRefusal(e, guard);
  }

  return h('section', { class: 'card wf-edit' },
    h('h2', null, t('wf.edit_title', { n: latest + 1 })),
    h('p', { class: 'small muted' }, t('wf.edit_intro')),
    form);
}

function explainRefusal(e, guard) {
  if (guard) return t('wf.refused.guard', { guard: t('wf.guard.' + guard), id: guard }) + ' ' + (e.message || '');
  return explainError(e, { labels: { [e.field || '']: e.field } }).text + (e.message ? ' ' + e.message : '');
}

// The shape checks the page can make itself (the server makes them all,
// and the statutory ones only it can make).
function localCheck(src) {
  const problems = [];
  let doc;
  try { doc = JSON.parse(src); } catch (e) { return { doc: null, problems: [t('wf.check.json', { msg: e.message })] }; }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { doc: null, problems: [t('wf.check.object')] };
  const states = Array.isArray(doc.states) ? doc.states : [];
  const actions = Array.isArray(doc.actions) ? doc.actions : [];
  if (!doc.name) problems.push(t('wf.check.need', { what: 'name' }));
  if (!states.length) problems.push(t('wf.check.need', { what: 'states' }));
  if (!Array.isArray(doc.actions)) problems.push(t('wf.check.need', { what: 'actions' }));
  const ids = new Set();
  for (const s of states) {
    if (!s || !ID_RE.test(s.id || '')) problems.push(t('wf.check.bad_id', { id: s && s.id }));
    else if (ids.has(s.id)) problems.push(t('wf.check.dup', { id: s.id }));
    ids.add(s && s.id);
  }
  if (doc.initial && !ids.has(doc.initial)) problems.push(t('wf.check.unknown_state', { id: doc.initial, where: 'initial' }));
  const aids = new Set();
  for (const a of actions) {
    if (!a || !ID_RE.test(a.id || '')) { problems.push(t('wf.check.bad_id', { id: a && a.id })); continue; }
    if (aids.has(a.id)) problems.push(t('wf.check.dup', { id: a.id }));
    aids.add(a.id);
    for (const f of a.from || []) if (!ids.has(f)) problems.push(t('wf.check.unknown_state', { id: f, where: a.id + '.from' }));
    if (!ids.has(a.to)) problems.push(t('wf.check.unknown_state', { id: a.to, where: a.id + '.to' }));
    for (const g of a.guards || []) if (!GUARDS.includes(g)) problems.push(t('wf.check.unknown_guard', { id: g, where: a.id }));
  }
  for (const f of doc.fields || []) {
    if (!f || !ID_RE.test(f.id || '')) problems.push(t('wf.check.bad_id', { id: f && f.id }));
    else if (!FIELD_TYPES.includes(f.type)) problems.push(t('wf.check.bad_type', { id: f.id, type: f.type }));
  }
  return { doc, problems };
}

// ---- structured helpers: change the JSON without writing it ---------------

function parsed(text) {
  try { return JSON.parse(text.value); } catch (e) { toast(t('wf.check.json', { msg: e.message }), 'error'); return null; }
}

function helperDialog(title, fields, onOk) {
  const form = h('form', { class: 'form', id: 'wf-helper-form', novalidate: true }, formError(), fields,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('wf.add'))));
  const d = openDialog(title, form, { wide: true });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const err = onOk(form);
    if (err) showError(form, err); else d.close();
  });
}

function addState(text) {
  const doc = parsed(text);
  if (!doc) return;
  helperDialog(t('wf.add_state'), [
    field(t('wf.h.id'), input('id', { type: 'text', maxlength: 40, autocomplete: 'off' }), t('wf.h.id_hint')),
    field(t('wf.h.label'), input('label', { type: 'text', maxlength: 100 })),
    h('div', { class: 'field', dataset: { field: 'terminal' } },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'terminal' }), h('span', null, t('wf.terminal'))),
      h('div', { class: 'field-error', role: 'alert' })),
  ], (form) => {
    const id = form.elements.id.value.trim();
    if (!ID_RE.test(id)) return { field: 'id', message: t('wf.h.bad_id') };
    if ((doc.states || []).some((s) => s.id === id)) return { field: 'id', message: t('wf.check.dup', { id }) };
    const s = { id, label: form.elements.label.value.trim() || id };
    if (form.elements.terminal.checked) s.terminal = true;
    (doc.states = doc.states || []).push(s);
    text.value = JSON.stringify(doc, null, 2);
    return null;
  });
}

function addField(text) {
  const doc = parsed(text);
  if (!doc) return;
  const type = select('type', FIELD_TYPES.map((v) => ({ value: v, label: t('wf.type.' + v) + ' (' + v + ')' })), 'string');
  helperDialog(t('wf.add_field'), [
    field(t('wf.h.id'), input('id', { type: 'text', maxlength: 40, autocomplete: 'off' }), t('wf.h.id_hint')),
    field(t('wf.h.label'), input('label', { type: 'text', maxlength: 100 })),
    field(t('wf.h.type'), type),
    field(t('wf.h.options'), input('options', { type: 'text', autocomplete: 'off' }), t('wf.h.options_hint')),
    field(t('wf.h.attach_to'), select('attach_to', [{ value: '', label: t('wf.h.attach_none') },
      ...(doc.actions || []).map((a) => ({ value: a.id, label: (a.label || a.id) + ' (' + a.id + ')' }))], ''), t('wf.h.attach_hint')),
    h('div', { class: 'field', dataset: { field: 'required' } },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'required' }), h('span', null, t('wf.h.required'))),
      h('div', { class: 'field-error', role: 'alert' })),
  ], (form) => {
    const id = form.elements.id.value.trim();
    if (!ID_RE.test(id)) return { field: 'id', message: t('wf.h.bad_id') };
    if ((doc.fields || []).some((f) => f.id === id)) return { field: 'id', message: t('wf.check.dup', { id }) };
    const f = { id, type: type.value, label: form.elements.label.value.trim() || id };
    const opt = form.elements.options.value.trim();
    if (f.type === 'enum') {
      const values = opt.split(/[,，、\s]+/).filter(Boolean);
      if (!values.length) return { field: 'options', message: t('wf.h.need_values') };
      f.values = values;
    } else if (f.type === 'string' && opt) {
      const n = Number(opt);
      if (!Number.isInteger(n) || n < 1 || n > 20000) return { field: 'options', message: t('wf.h.bad_max_len') };
      f.max_len = n;
    } else if (f.type === 'integer' && opt) {
      const m = /^(-?\d+)?\s*[-~～]\s*(-?\d+)?$/.exec(opt);
      if (!m) return { field: 'options', message: t('wf.h.bad_range') };
      if (m[1] !== undefined) f.min = Number(m[1]);
      if (m[2] !== undefined) f.max = Number(m[2]);
    }
    (doc.fields = doc.fields || []).push(f);
    const target = form.elements.attach_to.value;
    if (target) {
      const a = doc.actions.find((x) => x.id === target);
      const list = form.elements.required.checked ? 'required' : 'optional';
      (a[list] = a[list] || []).push(id);
    }
    text.value = JSON.stringify(doc, null, 2);
    return null;
  });
}

function addAction(text) {
  const doc = parsed(text);
  if (!doc) return;
  const states = (doc.states || []).map((s) => ({ value: s.id, label: (s.label || s.id) + ' (' + s.id + ')' }));
  helperDialog(t('wf.add_action'), [
    field(t('wf.h.id'), input('id', { type: 'text', maxlength: 40, autocomplete: 'off' }), t('wf.h.id_hint')),
    field(t('wf.h.label'), input('label', { type: 'text', maxlength: 100 })),
    checkboxes('from', t('wf.h.from'), states, []),
    field(t('wf.h.to'), select('to', states, states.length ? states[0].value : '')),
    checkboxes('roles', t('wf.h.roles'), session.ROLES.map((r) => ({ value: r, label: session.roleName(r) })), []),
    checkboxes('relations', t('wf.h.relations'), RELATIONS.map((r) => ({ value: r, label: t('wf.rel.' + r) })), []),
    field(t('wf.h.fields_required'), input('required_fields', { type: 'text', autocomplete: 'off' }), t('wf.h.fields_hint')),
    field(t('wf.h.fields_optional'), input('optional_fields', { type: 'text', autocomplete: 'off' })),
    checkboxes('guards', t('wf.h.guards'), GUARDS.map((g) => ({ value: g, label: t('wf.guard.' + g) })), []),
  ], (form) => {
    const id = form.elements.id.value.trim();
    if (!ID_RE.test(id)) return { field: 'id', message: t('wf.h.bad_id') };
    if ((doc.actions || []).some((a) => a.id === id)) return { field: 'id', message: t('wf.check.dup', { id }) };
    const from = checkedValues(form, 'from');
    if (!from.length) return { field: 'from', message: t('wf.h.need_from') };
    const a = { id, label: form.elements.label.value.trim() || id, from, to: form.elements.to.value, allow: {} };
    const roles = checkedValues(form, 'roles');
    const rel = checkedValues(form, 'relations');
    if (roles.length) a.allow.roles = roles;
    if (rel.length) a.allow.relations = rel;
    if (!roles.length && !rel.some((r) => !r.startsWith('not_'))) return { field: 'roles', message: t('wf.h.need_who') };
    const split = (s) => s.split(/[,，、\s]+/).filter(Boolean);
    const req = split(form.elements.required_fields.value);
    const opt = split(form.elements.optional_fields.value);
    if (req.length) a.required = req;
    if (opt.length) a.optional = opt;
    const guards = checkedValues(form, 'guards');
    if (guards.length) a.guards = guards;
    (doc.actions = doc.actions || []).push(a);
    text.value = JSON.stringify(doc, null, 2);
    return null;
  });
}

