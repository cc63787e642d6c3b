// pages/units.js — the unit tree (园区 › 企业 › 厂区 › 区域/车间 › 网格) of the
// caller's scope, with create (as a child of any unit), edit and deactivate.
// Data: GET /api/v1/units (all pages), POST /api/v1/units, PATCH
// /api/v1/units/{id}, POST /api/v1/units/{id}/actions/deactivate, and GET
// /api/v1/people?unit_id= for the leader choice.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, formError, clearErrors, showError, busy, toast, toastError,
  openDialog, confirmDialog, badge, pageHead, emptyState, exportButtons } from '../ui.js';
import * as session from '../session.js';

// The kind a child of a unit of this kind usually has.
// Server rule: a park at the top or under a park; an enterprise at the top or
// under a park; site, area, grid and workshop inside an enterprise, any depth.
const CHILD_KIND = { park: 'enterprise', enterprise: 'site', site: 'area', area: 'grid', workshop: 'grid', grid: 'grid' };

let showInactive = false;
let selected = null; // the unit whose actions are shown (phones show one at a time)
const collapsed = new Set();

let collapsedInit = false;

export async function render(main, ctx) {
  const list = await session.units(true);
  // A big organisation opens folded below the sites: the grids of a park
  // can number in the hundreds.
  if (!collapsedInit && list.length > 80) {
    for (const { unit, depth } of session.flatTree(list, false)) if (depth >= 2) collapsed.add(unit.id);
  }
  collapsedInit = true;
  const writable = session.can.unitWrite();
  const treeBox = h('div', { class: 'card tree-card' });
  const draw = () => {
    clear(treeBox);
    const visible = showInactive ? list : list.filter((u) => u.active);
    const roots = session.buildTree(visible);
    if (!roots.length) { treeBox.appendChild(emptyState(t('units.empty'))); return; }
    treeBox.appendChild(h('ul', { class: 'tree', id: 'unit-tree', role: 'tree' }, roots.map((n) => node(n, 0))));
  };
  const reload = async () => { session.invalidateUnits(); clear(main); await render(main, ctx); };

  function node(n, depth) {
    const u = n.unit;
    const hasKids = n.children.length > 0;
    const open = hasKids && !collapsed.has(u.id);
    const li = h('li', { class: 'tree-node' + (selected === u.id ? ' selected' : ''), role: 'treeitem', 'aria-expanded': hasKids ? String(open) : null,
      dataset: { unitId: u.id, kind: u.kind } },
      h('div', { class: 'tree-row' + (u.active ? '' : ' inactive') },
        hasKids
          ? h('button', { type: 'button', class: 'tree-toggle', 'aria-label': t(open ? 'units.collapse' : 'units.expand'),
              onclick: () => { if (open) collapsed.add(u.id); else collapsed.delete(u.id); draw(); } }, open ? '▾' : '▸')
          : h('span', { class: 'tree-toggle tree-leaf' }, '·'),
        h('button', { type: 'button', class: 'tree-main', 'aria-pressed': String(selected === u.id),
          onclick: () => { selected = selected === u.id ? null : u.id; draw(); } },
          h('span', { class: 'tree-name' }, u.name),
          badge(session.kindName(u.kind), 'kind kind-' + u.kind),
          u.active ? null : badge(t('common.inactive'), 'off'),
          h('span', { class: 'tree-code muted' }, u.code)),
        writable && u.active ? h('div', { class: 'tree-actions' },
          h('button', { type: 'button', class: 'btn btn-small', title: t('units.add_child'), 'aria-label': t('units.add_child'),
            dataset: { action: 'add' }, onclick: () => editUnit(list, null, u, reload) }, '＋', h('span', { class: 'lbl' }, t('units.add_child_short'))),
          h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' },
            onclick: () => editUnit(list, u, null, reload) }, t('common.edit')),
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'deactivate' },
            onclick: () => deactivate(u, reload) }, t('common.deactivate'))) : null),
      open ? h('ul', { class: 'tree-children', role: 'group' }, n.children.map((c) => node(c, depth + 1))) : null);
    return li;
  }

  const toggle = h('label', { class: 'switch' },
    h('input', { type: 'checkbox', id: 'units-show-inactive', checked: showInactive,
      onchange: (ev) => { showInactive = ev.target.checked; draw(); } }),
    h('span', null, t('units.show_inactive')));

  main.appendChild(h('div', { class: 'page' },
    pageHead(t('units.title'),
      exportButtons(() => '/units' + (showInactive ? '' : '?active=1'), 'units'),
      writable ? h('button', { type: 'button', class: 'btn btn-primary', id: 'unit-new',
        onclick: () => editUnit(list, null, list.find((u) => u.id === selected && u.active) || null, reload) }, t('units.new')) : null),
    h('div', { class: 'toolbar' }, toggle, h('span', { class: 'muted small' }, t('units.count', { n: list.filter((u) => u.active).length }))),
    writable ? h('p', { class: 'muted small tree-tip' }, t('units.tip')) : null,
    treeBox));
  draw();
}

// Create (unit null; parent given or null for a root) or edit a unit.
function editUnit(list, unit, parent, done) {
  const creating = !unit;
  // A unit cannot move below itself: its subtree is left out of the choice.
  const candidates = creating ? list : list.filter((u) => !u.path.startsWith(unit.path));
  const parentSel = select('parent_id', session.unitOptions(candidates, { empty: t('units.pick_parent') }),
    creating ? (parent ? parent.id : '') : unit.parent_id);
  const kindSel = select('kind', session.KINDS.map((k) => ({ value: k, label: session.kindName(k) + ' (' + k + ')' })),
    creating ? (parent ? CHILD_KIND[parent.kind] || 'grid' : 'enterprise') : unit.kind);
  if (!creating && !session.KINDS.includes(unit.kind)) {
    kindSel.appendChild(h('option', { value: unit.kind }, unit.kind));
    kindSel.value = unit.kind;
  }
  const code = input('code', { type: 'text', required: true, maxlength: 64, value: creating ? '' : unit.code,
    autocapitalize: 'characters', spellcheck: 'false' });
  const name = input('name', { type: 'text', required: true, maxlength: 128, value: creating ? '' : unit.name });
  const tz = input('tz', { type: 'text', maxlength: 64, value: creating ? '' : unit.tz, spellcheck: 'false',
    placeholder: creating ? t('units.tz_inherit') : '' });
  const leader = select('leader_person_id', [{ value: '', label: t('units.no_leader') }], '');
  const form = h('form', { class: 'form', id: 'unit-form', novalidate: true },
    formError(),
    creating || unit.parent_id ? field(t('units.parent'), parentSel, creating ? null : t('units.move_hint')) : null,
    creating ? field(t('units.kind'), kindSel) : null,
    field(t('units.name'), name),
    field(t('units.code'), code, t('units.code_hint')),
    field(t('units.tz'), tz, creating ? t('units.tz_hint') : null),
    creating ? null : field(t('units.leader'), leader),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t(creating ? 'common.create' : 'common.save'))));
  if (creating) parentSel.addEventListener('change', () => {
    const p = list.find((u) => String(u.id) === parentSel.value);
    if (p && CHILD_KIND[p.kind]) kindSel.value = CHILD_KIND[p.kind];
  });
  if (!creating) {
    listAll('/people' + qs({ unit_id: unit.id, active: 1 }), 1000).then((people) => {
      for (const p of people) leader.appendChild(h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : '')));
      if (unit.leader_person_id && !people.some((p) => p.id === unit.leader_person_id)) {
        leader.appendChild(h('option', { value: String(unit.leader_person_id) }, '#' + unit.leader_person_id));
      }
      leader.value = unit.leader_person_id ? String(unit.leader_person_id) : '';
    }).catch(() => {});
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        if (creating) {
          if (!parentSel.value) { showError(form, { field: 'parent_id', message: t('units.need_parent') }); return; }
          const body = { parent_id: Number(parentSel.value), kind: kindSel.value, code: code.value.trim(), name: name.value.trim() };
          if (tz.value.trim()) body.tz = tz.value.trim();
          const u = await api('POST', '/units', body);
          toast(t('units.created', { name: (u && u.name) || body.name }), 'ok');
        } else {
          const body = {};
          if (unit.parent_id && parentSel.value && Number(parentSel.value) !== unit.parent_id) body.parent_id = Number(parentSel.value);
          if (name.value.trim() !== unit.name) body.name = name.value.trim();
          if (code.value.trim() !== unit.code) body.code = code.value.trim();
          if (tz.value.trim() !== unit.tz) body.tz = tz.value.trim();
          const lv = leader.value ? Number(leader.value) : null;
          if (lv !== (unit.leader_person_id || null)) body.leader_person_id = lv;
          if (Object.keys(body).length) await api('PATCH', '/units/' + unit.id, body);
          toast(t('common.saved'), 'ok');
        }
        d.close();
        await done();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const title = creating ? (parent ? t('units.new_child_of', { name: parent.name }) : t('units.new')) : t('units.edit', { name: unit.name });
  const d = openDialog(title, form);
  (creating && !parent ? parentSel : name).focus();
}

async function deactivate(u, done) {
  const ok = await confirmDialog(t('units.deactivate_title'), t('units.deactivate_text', { name: u.name }), t('common.deactivate'), true);
  if (!ok) return;
  try {
    await api('POST', '/units/' + u.id + '/actions/deactivate', {});
    toast(t('units.deactivated', { name: u.name }), 'ok');
    await done();
  } catch (e) {
    toastError(e);
  }
}
