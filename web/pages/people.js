// pages/people.js — people (人员) of the caller's scope: a filtered list
// (name/number/phone text, unit subtree, active or left), create and edit
// (unit, department, posts), deactivate (people who leave are kept, not
// deleted), transfer to another unit, and a detail view with the history of
// earlier moves. From the detail of a person who has left, an administrator
// may erase the personal data (删除个人信息): irreversible; the record stays
// as 已删除人员 and the evidence log keeps tombstones.
// Data: /api/v1/people (+ /{id}, /actions/deactivate, /actions/transfer,
// /actions/erase, /transfers), /api/v1/departments and /api/v1/posts per
// enterprise.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, checkboxes, checkedValues, formError, clearErrors, showError,
  busy, toast, toastError, errorNode, openDialog, badge, pageHead, emptyState, fmtTime, exportButtons, actorName } from '../ui.js';
import * as session from '../session.js';

const filter = { q: '', unit_id: '', active: '1' };
// The name the server gives an erased person (ORG_ERASED_NAME in src/org/org.h).
const ERASED_NAME = '已删除人员';
const isErased = (p) => !p.active && p.name === ERASED_NAME && !p.employee_no;
const deptCache = new Map();
const postCache = new Map();

function departments(entId) {
  if (!entId) return Promise.resolve([]);
  if (!deptCache.has(entId)) {
    deptCache.set(entId, listAll('/departments' + qs({ enterprise_id: entId })).catch((e) => { deptCache.delete(entId); throw e; }));
  }
  return deptCache.get(entId);
}
function posts(entId) {
  if (!entId) return Promise.resolve([]);
  if (!postCache.has(entId)) {
    postCache.set(entId, listAll('/posts' + qs({ enterprise_id: entId })).catch((e) => { postCache.delete(entId); throw e; }));
  }
  return postCache.get(entId);
}

export async function render(main, ctx) {
  const units = await session.units();
  const writable = session.can.personWrite();
  const listBox = h('div', { class: 'rows', id: 'people-list' });
  const more = h('button', { type: 'button', class: 'btn btn-block hidden', id: 'people-more' }, t('common.more'));
  let cursor = null;

  const q = input('q', { type: 'search', placeholder: t('people.search'), value: filter.q, 'aria-label': t('people.search') });
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('people.all_units') }), filter.unit_id,
    { 'aria-label': t('people.unit') });
  const activeSel = select('active', [{ value: '1', label: t('people.active_only') }, { value: '0', label: t('people.left_only') },
    { value: '', label: t('people.all') }], filter.active, { 'aria-label': t('people.status') });
  const filterForm = h('form', { class: 'filters', id: 'people-filter', role: 'search' },
    q, unitSel, activeSel, h('button', { type: 'submit', class: 'btn' }, t('common.search')));

  async function load(append) {
    const page = await api('GET', '/people' + qs({ q: filter.q, unit_id: filter.unit_id, active: filter.active,
      limit: 50, cursor: append ? cursor : null }));
    if (!append) clear(listBox);
    const items = (page && page.items) || [];
    for (const p of items) listBox.appendChild(row(p));
    if (!append && !items.length) listBox.appendChild(emptyState(t('people.empty')));
    cursor = page ? page.next_cursor : null;
    more.classList.toggle('hidden', cursor === null || cursor === undefined);
  }
  const reload = () => load(false).catch((e) => toastError(e));

  function row(p) {
    const u = units.find((x) => x.id === p.unit_id);
    const r = h('div', { class: 'row-card' + (p.active ? '' : ' inactive'), dataset: { personId: p.id } },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title' }, h('span', { class: 'person-name' }, p.name),
          p.employee_no ? h('span', { class: 'muted' }, p.employee_no) : null,
          p.active ? null : badge(t('people.left'), 'off')),
        h('div', { class: 'row-meta' },
          h('span', null, u ? u.name : session.unitName(units, p.unit_id)),
          h('span', { class: 'dept' }),
          p.phone ? h('span', { class: 'phone' }, p.phone) : null,
          p.left_at ? h('span', null, t('people.left_at', { at: fmtTime(p.left_at) })) : null)),
      h('div', { class: 'row-actions' },
        writable && p.active ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' },
          onclick: () => editPerson(units, p, reload) }, t('common.edit')) : null,
        writable && p.active ? h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'transfer' },
          onclick: () => transfer(units, p, reload) }, t('people.transfer')) : null,
        h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'detail' },
          onclick: () => detail(units, p, reload) }, t('people.detail')),
        writable && p.active ? h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'deactivate' },
          onclick: () => deactivate(p, reload) }, t('people.deactivate')) : null));
    if (p.department_id && u) {
      departments(u.enterprise_id).then((ds) => {
        const d = ds.find((x) => x.id === p.department_id);
        if (d) r.querySelector('.dept').textContent = d.name;
      }).catch(() => {});
    }
    return r;
  }

  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filter.q = q.value.trim(); filter.unit_id = unitSel.value; filter.active = activeSel.value;
    reload();
  });
  unitSel.addEventListener('change', () => filterForm.requestSubmit());
  activeSel.addEventListener('change', () => filterForm.requestSubmit());
  more.addEventListener('click', () => load(true).catch((e) => toastError(e)));

  main.appendChild(h('div', { class: 'page' },
    pageHead(t('people.title'),
      exportButtons(() => '/people' + qs({ q: filter.q, unit_id: filter.unit_id, active: filter.active }), 'people'),
      writable ? h('button', { type: 'button', class: 'btn btn-primary', id: 'person-new',
      onclick: () => editPerson(units, null, reload) }, t('people.new')) : null),
    filterForm, listBox, more));
  await load(false);
}

// Department select and post checkboxes that follow the chosen unit's enterprise.
function orgPickers(units, unitId, deptId, postIds) {
  const deptSel = select('department_id', [{ value: '', label: t('people.no_dept') }], '');
  const postBox = h('div', { class: 'posts-box' });
  async function fill(uid, dId, pIds) {
    const u = units.find((x) => String(x.id) === String(uid));
    const ent = u ? u.enterprise_id : null;
    const [ds, ps] = await Promise.all([departments(ent).catch(() => []), posts(ent).catch(() => [])]);
    clear(deptSel).appendChild(h('option', { value: '' }, t('people.no_dept')));
    for (const d of ds.filter((x) => x.active !== false)) deptSel.appendChild(h('option', { value: String(d.id) }, d.name));
    deptSel.value = dId ? String(dId) : '';
    clear(postBox);
    const act = ps.filter((x) => x.active !== false);
    if (act.length) postBox.appendChild(checkboxes('post_ids', t('people.posts'), act.map((x) => ({ value: String(x.id), label: x.name })),
      (pIds || []).map(String)));
  }
  fill(unitId, deptId, postIds);
  return { deptSel, postBox, fill };
}

function editPerson(units, p, done) {
  const creating = !p;
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('people.pick_unit') }),
    creating ? (filter.unit_id || '') : p.unit_id);
  const name = input('name', { type: 'text', required: true, maxlength: 64, value: creating ? '' : p.name });
  const no = input('employee_no', { type: 'text', maxlength: 32, value: creating ? '' : (p.employee_no || ''), spellcheck: 'false' });
  const phone = input('phone', { type: 'tel', maxlength: 32, value: creating ? '' : (p.phone || ''), autocomplete: 'off' });
  const pick = orgPickers(units, creating ? unitSel.value : p.unit_id, creating ? null : p.department_id, creating ? [] : p.post_ids);
  if (creating) unitSel.addEventListener('change', () => pick.fill(unitSel.value, null, []));
  const form = h('form', { class: 'form', id: 'person-form', novalidate: true },
    formError(),
    field(t('people.name'), name),
    creating ? field(t('people.unit'), unitSel) : null,
    field(t('people.employee_no'), no),
    field(t('people.phone'), phone),
    field(t('people.department'), pick.deptSel),
    pick.postBox,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t(creating ? 'common.create' : 'common.save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (creating && !unitSel.value) { showError(form, { field: 'unit_id', message: t('people.need_unit') }); return; }
    const body = {
      name: name.value.trim(),
      employee_no: no.value.trim() || null,
      phone: phone.value.trim() || null,
      department_id: pick.deptSel.value ? Number(pick.deptSel.value) : null,
    };
    if (form.querySelector('input[name="post_ids"]')) body.post_ids = checkedValues(form, 'post_ids').map(Number);
    busy(form, async () => {
      try {
        if (creating) {
          body.unit_id = Number(unitSel.value);
          for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
          await api('POST', '/people', body);
          toast(t('people.created', { name: body.name }), 'ok');
        } else {
          if (body.phone === null && p.phone === undefined) delete body.phone; // not allowed to see it
          await api('PATCH', '/people/' + p.id, body);
          toast(t('common.saved'), 'ok');
        }
        d.close();
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(creating ? t('people.new') : t('people.edit', { name: p.name }), form);
  name.focus();
}

function deactivate(p, done) {
  const reason = input('reason', { type: 'text', maxlength: 200, placeholder: t('people.reason_ph') });
  const form = h('form', { class: 'form', id: 'deactivate-form', novalidate: true },
    formError(),
    h('p', null, t('people.deactivate_text', { name: p.name })),
    field(t('people.reason'), reason),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-danger' }, t('people.deactivate'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        await api('POST', '/people/' + p.id + '/actions/deactivate', body);
        toast(t('people.deactivated', { name: p.name }), 'ok');
        d.close();
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(t('people.deactivate_title'), form);
}

function transfer(units, p, done) {
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('people.pick_unit') }), '');
  const pick = orgPickers(units, null, null, []);
  unitSel.addEventListener('change', () => pick.fill(unitSel.value, null, []));
  const reason = input('reason', { type: 'text', maxlength: 200 });
  const hist = h('div', { class: 'history', id: 'transfer-history' });
  const form = h('form', { class: 'form', id: 'transfer-form', novalidate: true },
    formError(),
    h('p', { class: 'muted' }, t('people.transfer_from', { name: p.name, unit: session.unitName(units, p.unit_id) })),
    field(t('people.to_unit'), unitSel),
    field(t('people.department'), pick.deptSel),
    field(t('people.reason'), reason),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('people.transfer'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!unitSel.value) { showError(form, { field: 'unit_id', message: t('people.need_unit') }); return; }
    busy(form, async () => {
      try {
        const body = { unit_id: Number(unitSel.value) };
        if (pick.deptSel.value) body.department_id = Number(pick.deptSel.value);
        if (reason.value.trim()) body.reason = reason.value.trim();
        await api('POST', '/people/' + p.id + '/actions/transfer', body);
        toast(t('people.transferred', { name: p.name, unit: session.unitName(units, body.unit_id) }), 'ok');
        d.close();
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(t('people.transfer_title', { name: p.name }), h('div', null, form,
    h('h3', null, t('people.history')), hist), { wide: true });
  fillHistory(units, p, hist);
}

// The detail of a person: facts, transfers, and for an administrator looking
// at someone who has left, the erasure of their personal data.
function detail(units, p, done) {
  const u = units.find((x) => x.id === p.unit_id);
  const ent = u ? u.enterprise_id : null;
  const dept = h('dd', { id: 'person-dept' }, p.department_id ? '#' + p.department_id : t('people.no_dept'));
  const postsDd = h('dd', { id: 'person-posts' }, (p.post_ids || []).length ? (p.post_ids || []).map((x) => '#' + x).join('、') : '—');
  const hist = h('div', { class: 'history', id: 'transfer-history' });
  const erased = isErased(p);
  const mayErase = session.can.personErase() && !p.active && !erased;
  const box = h('div', { id: 'person-detail', dataset: { personId: p.id } },
    h('dl', { class: 'facts' },
      h('dt', null, t('people.name')), h('dd', { id: 'person-name' }, p.name),
      h('dt', null, t('people.employee_no')), h('dd', null, p.employee_no || '—'),
      p.phone !== undefined ? [h('dt', null, t('people.phone')), h('dd', null, p.phone || '—')] : null,
      h('dt', null, t('people.unit')), h('dd', null, session.unitName(units, p.unit_id)),
      h('dt', null, t('people.department')), dept,
      h('dt', null, t('people.posts')), postsDd,
      h('dt', null, t('people.status')), h('dd', { id: 'person-status' },
        p.active ? t('people.active') : [badge(t('people.left'), 'off'), p.left_at ? ' ' + t('people.left_at', { at: fmtTime(p.left_at) }) : ''])),
    erased ? h('p', { class: 'notice', id: 'person-erased' }, t('people.erased_note')) : null,
    h('h3', null, t('people.history')), hist,
    mayErase ? h('div', { class: 'card-actions danger-zone' },
      h('p', { class: 'muted small' }, t('people.erase_hint')),
      h('button', { type: 'button', class: 'btn btn-danger', id: 'person-erase', dataset: { action: 'erase' },
        onclick: () => { d.close(); erase(units, p, done); } }, t('people.erase'))) : null);
  const d = openDialog(t('people.detail_title', { name: p.name }), box, { wide: true });
  Promise.all([departments(ent).catch(() => []), posts(ent).catch(() => [])]).then(([ds, ps]) => {
    const dd = ds.find((x) => x.id === p.department_id);
    if (dd) dept.textContent = dd.name;
    const names = (p.post_ids || []).map((id) => (ps.find((x) => x.id === id) || { name: '#' + id }).name);
    if (names.length) postsDd.textContent = names.join('、');
  });
  fillHistory(units, p, hist);
}

// Erase the personal data of a person who has left (admins). Irreversible:
// the warning says what goes and what stays; a reason is required and the
// administrator confirms with a checkbox.
function erase(units, p, done) {
  const reason = input('reason', { type: 'text', maxlength: 500, placeholder: t('people.erase_reason_ph'), required: true });
  const sure = h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'confirm' }), h('span', null, t('people.erase_confirm', { name: p.name })));
  const form = h('form', { class: 'form', id: 'erase-form', novalidate: true },
    formError(),
    h('div', { class: 'notice notice-error erase-warning', id: 'erase-warning', role: 'note' },
      h('strong', null, t('people.erase_warn_title')),
      h('ul', null,
        h('li', null, t('people.erase_warn_gone')),
        h('li', null, t('people.erase_warn_stays')),
        h('li', null, t('people.erase_warn_accounts')),
        h('li', null, t('people.erase_warn_log')))),
    field(t('people.erase_reason'), reason),
    h('div', { class: 'field', dataset: { field: 'confirm' } }, sure, h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-danger' }, t('people.erase'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!reason.value.trim()) { showError(form, { field: 'reason', message: t('people.erase_need_reason') }); return; }
    if (!form.querySelector('input[name=confirm]').checked) {
      showError(form, { field: 'confirm', message: t('people.erase_need_confirm') });
      return;
    }
    busy(form, async () => {
      try {
        const q = await api('POST', '/people/' + p.id + '/actions/erase', { reason: reason.value.trim() });
        toast(t('people.erased', { name: p.name }), 'ok');
        d.close();
        await done();
        detail(units, q || Object.assign({}, p, { name: ERASED_NAME, employee_no: null }), done);
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const d = openDialog(t('people.erase_title', { name: p.name }), form);
  reason.focus();
}

async function fillHistory(units, p, box) {
  try {
    const items = await listAll('/people/' + p.id + '/transfers');
    clear(box);
    if (!items.length) { box.appendChild(emptyState(t('people.no_history'))); return; }
    const ds = async (uid) => {
      const u = units.find((x) => x.id === uid);
      return u ? departments(u.enterprise_id).catch(() => []) : [];
    };
    const ol = h('ol', { class: 'timeline' });
    for (const it of items) {
      const dFrom = (await ds(it.from_unit_id)).find((x) => x.id === it.from_department_id);
      const dTo = (await ds(it.to_unit_id)).find((x) => x.id === it.to_department_id);
      ol.appendChild(h('li', { class: 'timeline-item' },
        h('div', { class: 'timeline-when muted small' }, fmtTime(it.at || it.created_at), it.actor ? ' · ' + actorName(it.actor) : ''),
        h('div', null,
          h('span', { class: 'from' }, it.from_unit_id ? session.unitName(units, it.from_unit_id) : '—', dFrom ? ' / ' + dFrom.name : ''),
          ' → ',
          h('strong', { class: 'to' }, it.to_unit_id ? session.unitName(units, it.to_unit_id) : '—', dTo ? ' / ' + dTo.name : '')),
        it.reason ? h('div', { class: 'muted small' }, t('people.reason') + ': ' + it.reason) : null));
    }
    box.appendChild(ol);
  } catch (e) {
    clear(box).appendChild(h('p', { class: 'form-error' }, errorNode(e)));
  }
}
