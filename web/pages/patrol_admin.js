// pages/patrol_admin.js — patrol points and checklist templates (/admin/patrol,
// patrol.admin: admin, manager, safety officer). New points (in a grid, with
// a code for its QR) and checklists (of an enterprise) are made here. A point is renamed, given
// another checklist or photo rule, retired or brought back
// (PATCH /patrol-points/{id}); its code stays, as the printed QR names it.
// A template is renamed, given new items or retired
// (PATCH /patrol-templates/{id}); the server refuses to retire one that a
// point or the rota still uses and says so. Patrols already made keep what
// they were made with.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, select, clearErrors, showError, busy, toast, toastError, pageHead, emptyState, badge, openDialog, formError } from '../ui.js';

// The fields' names in error messages.
const labels = () => ({ labels: { name: t('pa.f.name'), template_id: t('pa.f.template'), items: t('pa.f.items'), active: t('pa.f.state'),
  code: t('pa.f.code'), grid_unit_id: t('pa.f.grid'), enterprise_id: t('pa.f.enterprise') } });

// A dialog with a form of the given fields; send(form) does the request.
function editDialog(title, id, nodes, send, done) {
  const form = h('form', { class: 'form', id, novalidate: true }, formError(), nodes,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('pa.save'))));
  const d = openDialog(title, form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        await send(form);
        d.close();
        toast(t('pa.saved'), 'ok');
        done();
      } catch (e) { showError(form, e, labels()); }
    });
  });
}

export async function render(main, ctx) {
  const [pts, tpls, grids, ents] = await Promise.all([api('GET', '/patrol-points?limit=200'), api('GET', '/patrol-templates'),
    api('GET', '/units?kind=grid&limit=200'), api('GET', '/units?kind=enterprise&limit=200')]);
  const tplName = (id) => { const x = tpls.items.find((y) => y.id === id); return x ? x.name : '#' + id; };
  const reload = () => ctx.rerender();
  const patchPoint = (p, body) => api('PATCH', '/patrol-points/' + p.id, body);

  const editPoint = (p) => {
    const name = input('name', { value: p.name, maxlength: 100, required: true });
    const tpl = select('template_id', [{ value: '', label: t('pa.no_template') }, ...tpls.items.map((x) => ({ value: x.id, label: x.name }))],
      p.template_id || '');
    const photo = h('input', { type: 'checkbox', name: 'photo_required', checked: !!p.photo_required });
    editDialog(t('pa.edit_point') + ' · ' + p.code, 'pa-point-form',
      [field(t('pa.f.name'), name), field(t('pa.f.template'), tpl),
        h('label', { class: 'check' }, photo, h('span', null, t('pa.f.photo')))],
      () => patchPoint(p, { name: name.value.trim(), template_id: tpl.value ? Number(tpl.value) : null, photo_required: photo.checked }),
      reload);
  };
  const toggle = async (p) => {
    try {
      await patchPoint(p, { active: !p.active });
      toast(t(p.active ? 'pa.retired_ok' : 'pa.restored_ok', { name: p.name }), 'ok');
      reload();
    } catch (e) { toastError(e, labels()); }
  };
  const pointRow = (p) => h('div', { class: 'row-card pa-point', dataset: { code: p.code, active: String(!!p.active) } },
    h('div', null,
      h('strong', null, p.name), ' ', h('span', { class: 'muted' }, p.code + ' · ' + p.grid_name), ' ',
      p.active ? badge(t('pa.active'), 'ok') : badge(t('pa.retired'), 'danger'),
      h('div', { class: 'row-meta' }, t('pa.template_is', { name: p.template_id ? tplName(p.template_id) : t('pa.no_template') }),
        ' · ', p.photo_required ? t('pa.photo_yes') : t('pa.photo_no'))),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => editPoint(p) }, t('pa.edit')),
      h('button', { type: 'button', class: 'btn btn-small' + (p.active ? ' btn-danger-ghost' : ''), dataset: { action: p.active ? 'retire' : 'restore' },
        onclick: () => toggle(p) }, p.active ? t('pa.retire') : t('pa.restore'))));

  const newPoint = () => {
    const grid = select('grid_unit_id', grids.items.filter((g) => g.active).map((g) => ({ value: g.id, label: g.name })));
    const code = input('code', { maxlength: 32, required: true, autocomplete: 'off', placeholder: 'A-01' });
    const name = input('name', { maxlength: 100, required: true });
    const tplOpts = () => [{ value: '', label: t('pa.no_template') },
      ...tpls.items.filter((x) => { const g = grids.items.find((y) => String(y.id) === grid.value); return g && x.enterprise_id === g.enterprise_id; })
        .map((x) => ({ value: x.id, label: x.name }))];
    const tpl = select('template_id', tplOpts());
    grid.addEventListener('change', () => tpl.replaceChildren(...tplOpts().map((o) => h('option', { value: String(o.value) }, o.label))));
    const photo = h('input', { type: 'checkbox', name: 'photo_required' });
    editDialog(t('pa.new_point'), 'pa-new-point-form',
      [field(t('pa.f.grid'), grid), field(t('pa.f.code'), code, t('pa.code_hint')), field(t('pa.f.name'), name), field(t('pa.f.template'), tpl),
        h('label', { class: 'check' }, photo, h('span', null, t('pa.f.photo')))],
      () => api('POST', '/patrol-points', { grid_unit_id: Number(grid.value), code: code.value.trim(), name: name.value.trim(),
        template_id: tpl.value ? Number(tpl.value) : null, photo_required: photo.checked }),
      reload);
  };
  const newTemplate = () => {
    const ent = select('enterprise_id', ents.items.filter((e) => e.active).map((e) => ({ value: e.id, label: e.name })));
    const name = input('name', { maxlength: 100, required: true });
    const items = h('textarea', { name: 'items', class: 'input', rows: 6 });
    editDialog(t('pa.new_template'), 'pa-new-template-form',
      [field(t('pa.f.enterprise'), ent), field(t('pa.f.name'), name), field(t('pa.f.items'), items, t('pa.items_hint'))],
      () => api('POST', '/patrol-templates', { enterprise_id: Number(ent.value), name: name.value.trim(),
        items: items.value.split('\n').map((s) => s.trim()).filter(Boolean) }),
      reload);
  };

  const editTemplate = (x) => {
    const name = input('name', { value: x.name, maxlength: 100, required: true });
    const items = h('textarea', { name: 'items', class: 'input', rows: 6 },
      (x.items || []).map((i) => (typeof i === 'string' ? i : i.text)).join('\n'));
    editDialog(t('pa.edit_template'), 'pa-template-form',
      [field(t('pa.f.name'), name), field(t('pa.f.items'), items, t('pa.items_hint'))],
      () => api('PATCH', '/patrol-templates/' + x.id, { name: name.value.trim(), items: items.value.split('\n').map((s) => s.trim()).filter(Boolean) }),
      reload);
  };
  const retireTemplate = async (x) => {
    try {
      await api('PATCH', '/patrol-templates/' + x.id, { active: false });
      toast(t('pa.retired_ok', { name: x.name }), 'ok');
      reload();
    } catch (e) {
      if (e.status === 409) toast(t('pa.tpl_in_use'), 'error'); // points or the rota still use it
      else toastError(e, labels());
    }
  };
  const tplRow = (x) => h('div', { class: 'row-card pa-template', dataset: { template: String(x.id) } },
    h('div', null, h('strong', null, x.name),
      h('div', { class: 'row-meta' }, t('pa.items_n', { n: (x.items || []).length }))),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => editTemplate(x) }, t('pa.edit')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'retire' }, onclick: () => retireTemplate(x) }, t('pa.retire'))));

  main.replaceChildren(h('div', { class: 'page', id: 'pa-page' },
    pageHead(t('pa.title'),
      grids.items.length ? h('button', { type: 'button', class: 'btn btn-primary', id: 'pa-new-point', onclick: newPoint }, t('pa.new_point')) : null,
      ents.items.length ? h('button', { type: 'button', class: 'btn', id: 'pa-new-template', onclick: newTemplate }, t('pa.new_template')) : null),
    h('p', { class: 'hint' }, t('pa.hint')),
    h('section', { class: 'card', id: 'pa-points' }, h('h2', null, t('pa.points')),
      pts.items.length ? pts.items.map(pointRow) : emptyState(t('pa.no_points'))),
    h('section', { class: 'card', id: 'pa-templates' }, h('h2', null, t('pa.templates')),
      tpls.items.length ? tpls.items.map(tplRow) : emptyState(t('pa.no_templates')))));
}
