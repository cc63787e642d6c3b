// pages/accounts.js — accounts (账号): list, create with roles and a scope
// unit (and optionally the person it belongs to), edit roles and scope, reset
// the password (the new one is shown once and never again), unlock,
// deactivate and activate. Managers may read; only admins write.
// Data: /api/v1/accounts, /api/v1/accounts/{id}, /actions/{reset_password,
// unlock, deactivate, activate}, and /api/v1/people for the person choice.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, checkboxes, checkedValues, formError, clearErrors, showError,
  busy, toast, toastError, openDialog, confirmDialog, badge, pageHead, emptyState, exportButtons } from '../ui.js';
import * as session from '../session.js';

export async function render(main, ctx) {
  const units = await session.units();
  const writable = session.can.accountWrite();
  const listBox = h('div', { class: 'rows', id: 'account-list' });
  const reload = async () => {
    const items = await listAll('/accounts');
    clear(listBox);
    if (!items.length) listBox.appendChild(emptyState(t('accounts.empty')));
    items.sort((a, b) => String(a.username).localeCompare(String(b.username)));
    for (const a of items) listBox.appendChild(row(a));
  };
  const safeReload = () => reload().catch((e) => toastError(e));

  function row(a) {
    const locked = isLocked(a);
    // one's own account: no reset (the password page asks for the current
    // one) and no deactivation; the server refuses both too
    const self = session.me() && session.me().id === a.id;
    return h('div', { class: 'row-card' + (a.active === false ? ' inactive' : ''), dataset: { accountId: a.id, username: a.username } },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title' }, h('span', { class: 'account-name' }, a.username),
          a.active === false ? badge(t('common.inactive'), 'off') : null,
          locked ? badge(t('accounts.locked'), 'warn') : null,
          a.must_change_password ? badge(t('accounts.must_change'), 'info') : null,
          self ? badge(t('accounts.self'), 'info') : null),
        h('div', { class: 'chips' }, (a.roles || []).map((r) => badge(session.roleName(r), 'role'))),
        h('div', { class: 'row-meta' },
          h('span', null, t('accounts.scope') + ': ' + session.unitName(units, a.scope_unit_id)),
          a.person_id ? personLabel(a.person_id) : null)),
      writable ? h('div', { class: 'row-actions' },
        a.active !== false ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' },
          onclick: () => editAccount(units, a, safeReload) }, t('common.edit')) : null,
        a.active !== false && !self ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'reset' },
          onclick: () => resetPassword(a, safeReload) }, t('accounts.reset')) : null,
        locked ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'unlock' },
          onclick: () => act(a, 'unlock', safeReload) }, t('accounts.unlock')) : null,
        self ? null : a.active !== false
          ? h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'deactivate' },
              onclick: () => act(a, 'deactivate', safeReload) }, t('common.deactivate'))
          : h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'activate' },
              onclick: () => act(a, 'activate', safeReload) }, t('accounts.activate'))) : null);
  }

  main.appendChild(h('div', { class: 'page' },
    pageHead(t('accounts.title'), exportButtons('/accounts', 'accounts'), writable ? h('button', { type: 'button', class: 'btn btn-primary', id: 'account-new',
      onclick: () => editAccount(units, null, safeReload) }, t('accounts.new')) : null),
    writable ? null : h('p', { class: 'notice' }, t('accounts.readonly')),
    listBox));
  await reload();
}

// The person an account belongs to, filled in when GET /people/{id} answers
// (one request per person, cached for the page's life).
const personCache = new Map();
function personLabel(id) {
  const el = h('span', { class: 'person-of' }, t('accounts.person') + ': #' + id);
  if (!personCache.has(id)) personCache.set(id, api('GET', '/people/' + id).catch(() => null));
  personCache.get(id).then((p) => { if (p && p.name) el.textContent = t('accounts.person') + ': ' + p.name; });
  return el;
}

function isLocked(a) {
  if (a.locked === true) return true;
  if (a.locked_until) {
    const until = typeof a.locked_until === 'number' ? a.locked_until : Date.parse(a.locked_until);
    return until > Date.now();
  }
  return false;
}

function roleChoices() {
  return session.ROLES.map((r) => ({ value: r, label: session.roleName(r) }));
}

function editAccount(units, a, done) {
  const creating = !a;
  const username = input('username', { type: 'text', required: true, maxlength: 64, autocapitalize: 'none',
    spellcheck: 'false', autocomplete: 'off' });
  const password = input('password', { type: 'password', maxlength: 128, autocomplete: 'new-password' });
  const scopeSel = select('scope_unit_id', session.unitOptions(units, { empty: t('accounts.pick_scope') }),
    creating ? '' : a.scope_unit_id);
  const personSel = select('person_id', [{ value: '', label: t('accounts.no_person') }], '');
  const roles = checkboxes('roles', t('accounts.roles'), roleChoices(), creating ? [] : a.roles);
  const mustChange = h('label', { class: 'check', dataset: { field: 'must_change_password' } },
    h('input', { type: 'checkbox', name: 'must_change_password', checked: true }), h('span', null, t('accounts.must_change_next')));
  async function fillPeople() {
    const keep = personSel.value || (a && a.person_id ? String(a.person_id) : '');
    clear(personSel).appendChild(h('option', { value: '' }, t('accounts.no_person')));
    if (!scopeSel.value) return;
    try {
      const people = await listAll('/people' + qs({ unit_id: scopeSel.value, active: 1 }), 1000);
      for (const p of people) personSel.appendChild(h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : '')));
      if (keep && !people.some((p) => String(p.id) === keep)) personSel.appendChild(h('option', { value: keep }, '#' + keep));
      personSel.value = keep;
    } catch (e) { /* the person list is a convenience */ }
  }
  scopeSel.addEventListener('change', fillPeople);
  const syncMust = () => mustChange.classList.toggle('hidden', !password.value);
  password.addEventListener('input', syncMust);
  syncMust();
  fillPeople();
  const form = h('form', { class: 'form', id: 'account-form', novalidate: true },
    formError(),
    creating ? field(t('accounts.username'), username) : h('p', null, h('strong', null, a.username)),
    roles,
    field(t('accounts.scope'), scopeSel, t('accounts.scope_hint')),
    field(t('accounts.person'), personSel),
    creating ? field(t('accounts.password'), password, t('accounts.password_hint')) : null,
    creating ? mustChange : null,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t(creating ? 'common.create' : 'common.save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const rs = checkedValues(form, 'roles');
    if (!rs.length) { showError(form, { field: 'roles', message: t('accounts.need_role') }); return; }
    if (!scopeSel.value) { showError(form, { field: 'scope_unit_id', message: t('accounts.need_scope') }); return; }
    busy(form, async () => {
      try {
        if (creating) {
          const body = { username: username.value.trim(), roles: rs, scope_unit_id: Number(scopeSel.value) };
          if (personSel.value) body.person_id = Number(personSel.value);
          if (password.value) {
            body.password = password.value;
            body.must_change_password = mustChange.querySelector('input').checked;
          }
          const r = await api('POST', '/accounts', body);
          d.close();
          if (r && r.initial_password) showOnce(t('accounts.created_title', { name: body.username }), r.initial_password);
          else toast(t('accounts.created', { name: body.username }), 'ok');
        } else {
          const body = {};
          const same = (x, y) => [...x].sort().join() === [...y].sort().join();
          if (!same(rs, a.roles || [])) body.roles = rs;
          if (Number(scopeSel.value) !== a.scope_unit_id) body.scope_unit_id = Number(scopeSel.value);
          const pid = personSel.value ? Number(personSel.value) : null;
          if (pid !== (a.person_id || null)) body.person_id = pid;
          if (Object.keys(body).length) await api('PATCH', '/accounts/' + a.id, body);
          d.close();
          toast(t('common.saved'), 'ok');
        }
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(creating ? t('accounts.new') : t('accounts.edit', { name: a.username }), form, { wide: true });
  (creating ? username : scopeSel).focus();
}

// Show a password once, with a copy button; it is not kept anywhere.
function showOnce(title, pw) {
  const box = h('code', { class: 'secret', id: 'initial-password' }, pw);
  const copy = h('button', { type: 'button', class: 'btn', onclick: async () => {
    try { await navigator.clipboard.writeText(pw); toast(t('accounts.copied'), 'ok'); } catch (e) { toast(t('accounts.copy_failed'), 'error'); }
  } }, t('accounts.copy'));
  const d = openDialog(title, h('div', null,
    h('p', { class: 'notice notice-warn' }, t('accounts.once')),
    h('div', { class: 'secret-row' }, box, copy),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, t('accounts.noted')))));
}

async function resetPassword(a, done) {
  const ok = await confirmDialog(t('accounts.reset_title'), t('accounts.reset_text', { name: a.username }), t('accounts.reset'), true);
  if (!ok) return;
  try {
    const r = await api('POST', '/accounts/' + a.id + '/actions/reset_password', {});
    showOnce(t('accounts.reset_done', { name: a.username }), (r && r.initial_password) || '');
    await done();
  } catch (e) {
    toastError(e);
  }
}

async function act(a, action, done) {
  if (action === 'deactivate') {
    const ok = await confirmDialog(t('accounts.deactivate_title'), t('accounts.deactivate_text', { name: a.username }), t('common.deactivate'), true);
    if (!ok) return;
  }
  try {
    await api('POST', '/accounts/' + a.id + '/actions/' + action, {});
    toast(t('accounts.done.' + action, { name: a.username }), 'ok');
    await done();
  } catch (e) {
    toastError(e);
  }
}
