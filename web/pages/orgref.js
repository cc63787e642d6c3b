// pages/orgref.js — the departments (部门) and posts (岗位) of one enterprise at
// a time: list, create, rename (name and code), for a post its department,
// and deactivate/activate. Departments are not units: each enterprise has its
// own list, so the page first picks the enterprise among those the caller may
// read (the enterprises in the scope, and the one that contains the scope).
// Admins and managers write (org.write); every other role reads, and is
// offered no buttons. The server decides every request.
// Data: GET/POST /api/v1/departments and /api/v1/posts (?enterprise_id=),
// PATCH /api/v1/departments/{id} and /api/v1/posts/{id}.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, formError, clearErrors, showError, busy, toast, toastError,
  openDialog, confirmDialog, badge, pageHead, emptyState, exportButtons } from '../ui.js';
import * as session from '../session.js';

// The enterprise shown, shared by both pages so that switching between
// departments and posts keeps it.
let chosen = null;
let showInactive = false;

// What differs between the two pages. The strings are looked up when drawn
// (the language may change between renders).
const KINDS = {
  departments: {
    path: '/departments',
    prefix: 'dept',
    text: () => ({
      title: t('dept.title'), add: t('dept.new'), empty: t('dept.empty'),
      edit: (name) => t('dept.edit', { name }), created: (name) => t('dept.created', { name }),
      count: (n) => t('dept.count', { n }),
      offTitle: t('dept.deactivate_title'), offText: (name) => t('dept.deactivate_text', { name }),
    }),
  },
  posts: {
    path: '/posts',
    prefix: 'post',
    text: () => ({
      title: t('post.title'), add: t('post.new'), empty: t('post.empty'),
      edit: (name) => t('post.edit', { name }), created: (name) => t('post.created', { name }),
      count: (n) => t('post.count', { n }),
      offTitle: t('post.deactivate_title'), offText: (name) => t('post.deactivate_text', { name }),
    }),
  },
};

export const departments = { render: (main, ctx) => render('departments', main, ctx) };
export const posts = { render: (main, ctx) => render('posts', main, ctx) };

async function render(kind, main) {
  const K = KINDS[kind];
  const T = K.text();
  const ents = await session.enterprises();
  const writable = session.can.orgWrite();
  if (!chosen || !ents.some((e) => e.id === chosen)) chosen = defaultEnterprise(ents);

  const listBox = h('div', { class: 'rows', id: K.prefix + '-list' });
  const count = h('span', { class: 'muted small', id: K.prefix + '-count' });
  const newBtn = writable && ents.length ? h('button', { type: 'button', class: 'btn btn-primary', id: K.prefix + '-new',
    onclick: () => edit(kind, null, state, reload) }, T.add) : null;
  const state = { items: [], depts: [] };

  async function reload() {
    const ent = chosen;
    const [items, depts] = await Promise.all([
      listAll(K.path + qs({ enterprise_id: ent })),
      kind === 'posts' ? listAll('/departments' + qs({ enterprise_id: ent })) : Promise.resolve([]),
    ]);
    if (ent !== chosen) return; // another enterprise was picked meanwhile
    state.items = items;
    state.depts = kind === 'posts' ? depts : items;
    draw();
  }
  const safeReload = () => reload().catch((e) => toastError(e));

  function draw() {
    clear(listBox);
    const visible = showInactive ? state.items : state.items.filter((x) => x.active !== false);
    count.textContent = T.count(state.items.filter((x) => x.active !== false).length);
    if (!visible.length) { listBox.appendChild(emptyState(T.empty)); return; }
    for (const x of visible) listBox.appendChild(row(x));
  }

  function row(x) {
    const dept = kind === 'posts' && x.department_id ? state.depts.find((d) => d.id === x.department_id) : null;
    return h('div', { class: 'row-card' + (x.active === false ? ' inactive' : ''), dataset: { id: x.id, code: x.code } },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title' }, h('span', { class: 'ref-name' }, x.name),
          h('span', { class: 'ref-code muted' }, x.code),
          x.active === false ? badge(t('common.inactive'), 'off') : null),
        kind === 'posts' ? h('div', { class: 'row-meta' },
          h('span', { class: 'ref-dept' }, t('post.department') + ': ' +
            (dept ? dept.name : x.department_id ? '#' + x.department_id : t('post.no_dept')))) : null),
      writable ? h('div', { class: 'row-actions' },
        x.active !== false ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' },
          onclick: () => edit(kind, x, state, safeReload) }, t('common.edit')) : null,
        x.active !== false
          ? h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'deactivate' },
              onclick: () => setActive(kind, x, false, safeReload) }, t('common.deactivate'))
          : h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'activate' },
              onclick: () => setActive(kind, x, true, safeReload) }, t('ref.activate'))) : null);
  }

  const entSel = select('enterprise_id', ents.map((e) => ({ value: e.id, label: e.name + (e.active === false ? ' · ' + t('common.inactive') : '') })),
    chosen, { id: K.prefix + '-enterprise' });
  entSel.addEventListener('change', () => { chosen = Number(entSel.value); clear(listBox); safeReload(); });
  const toggle = h('label', { class: 'switch' },
    h('input', { type: 'checkbox', id: K.prefix + '-show-inactive', checked: showInactive,
      onchange: (ev) => { showInactive = ev.target.checked; draw(); } }),
    h('span', null, t('ref.show_inactive')));

  main.appendChild(h('div', { class: 'page' },
    pageHead(T.title, exportButtons(() => K.path + qs({ enterprise_id: chosen }), K.prefix), newBtn),
    ents.length ? h('div', { class: 'ref-toolbar' },
      field(t('ref.enterprise'), entSel),
      h('div', { class: 'toolbar' }, toggle, count)) : null,
    writable || !ents.length ? null : h('p', { class: 'notice', id: 'ref-readonly' }, t('ref.readonly')),
    ents.length ? listBox : emptyState(t('ref.no_enterprise'))));
  if (ents.length) await reload();
}

// The caller's own enterprise (of their person's unit) when it is offered,
// else the first in tree order.
function defaultEnterprise(ents) {
  if (!ents.length) return null;
  const m = session.me();
  const own = m && m.person ? session.enterpriseOf(m.person.unit_id) : null;
  return own && ents.some((e) => e.id === own) ? own : ents[0].id;
}

// Create (x null) or edit a department or post of the chosen enterprise.
function edit(kind, x, state, done) {
  const K = KINDS[kind];
  const T = K.text();
  const creating = !x;
  const ent = chosen;
  const entName = (session.enterpriseName(ent)) || '#' + ent;
  const name = input('name', { type: 'text', required: true, maxlength: 200, value: creating ? '' : x.name });
  const code = input('code', { type: 'text', required: true, maxlength: 64, value: creating ? '' : x.code,
    spellcheck: 'false', autocapitalize: 'none' });
  let deptSel = null;
  if (kind === 'posts') {
    const opts = [{ value: '', label: t('post.no_dept') },
      ...state.depts.filter((d) => d.active !== false || (x && d.id === x.department_id)).map((d) => ({ value: d.id, label: d.name }))];
    deptSel = select('department_id', opts, creating || !x.department_id ? '' : x.department_id);
  }
  const form = h('form', { class: 'form', id: K.prefix + '-form', novalidate: true },
    formError(),
    h('p', { class: 'muted small ref-in' }, t('ref.in_enterprise', { name: entName })),
    field(t('ref.name'), name),
    field(t('ref.code'), code, t('ref.code_hint')),
    deptSel ? field(t('post.department'), deptSel) : null,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t(creating ? 'common.create' : 'common.save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        const deptId = deptSel && deptSel.value ? Number(deptSel.value) : null;
        if (creating) {
          const body = { enterprise_id: ent, code: code.value.trim(), name: name.value.trim() };
          if (deptId) body.department_id = deptId;
          const r = await api('POST', K.path, body);
          toast(T.created((r && r.name) || body.name), 'ok');
        } else {
          const body = {};
          if (name.value.trim() !== x.name) body.name = name.value.trim();
          if (code.value.trim() !== x.code) body.code = code.value.trim();
          if (deptSel && deptId !== (x.department_id || null)) body.department_id = deptId;
          if (Object.keys(body).length) await api('PATCH', K.path + '/' + x.id, body);
          toast(t('common.saved'), 'ok');
        }
        d.close();
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(creating ? T.add : T.edit(x.name), form);
  name.focus();
}

async function setActive(kind, x, active, done) {
  const K = KINDS[kind];
  const T = K.text();
  if (!active) {
    const ok = await confirmDialog(T.offTitle, T.offText(x.name), t('common.deactivate'), true);
    if (!ok) return;
  }
  try {
    await api('PATCH', K.path + '/' + x.id, { active });
    toast(t(active ? 'ref.activated' : 'ref.deactivated', { name: x.name }), 'ok');
    await done();
  } catch (e) {
    toastError(e);
  }
}
