// pages/patrol_admin.js — patrol points and checklist templates (/admin/patrol,
// patrol.admin: admin, manager, safety officer). New points (in a grid, with
// a code for its QR, optionally a risk point of the grid and the GPS place
// with its radius, typed or taken from the phone) and checklists (of an
// enterprise) are made here. A point is renamed, given
// another checklist or photo rule, retired or brought back
// (PATCH /patrol-points/{id}); its code stays, as the printed QR names it.
// A template is renamed, given new items or retired
// (PATCH /patrol-templates/{id}); the server refuses to retire one that a
// point or the rota still uses and says so. Patrols already made keep what
// they were made with. The cross-supervision rota (交叉监督: one grid's leader
// inspects another grid on chosen weekdays) is listed, added to, given other
// days or another checklist, trimmed or made a ring an enterprise at a time
// (PUT /patrol-rota replaces the rows of the unit it names; the rows that
// stay keep their ids).
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, select, checkboxes, checkedValues, clearErrors, showError, busy, toast, toastError, pageHead, emptyState, badge, openDialog, formError } from '../ui.js';

// The fields' names in error messages.
const labels = () => ({ labels: { name: t('pa.f.name'), template_id: t('pa.f.template'), items: t('pa.f.items'), active: t('pa.f.state'),
  code: t('pa.f.code'), grid_unit_id: t('pa.f.grid'), enterprise_id: t('pa.f.enterprise'),
  risk_object_id: t('pa.f.risk'), lat: t('pa.f.lat'), lon: t('pa.f.lon'), radius_m: t('pa.f.radius'),
  inspector_grid_id: t('pa.f.inspector'), target_grid_id: t('pa.f.target'), weekdays: t('pa.f.weekdays'), ring_template_id: t('pa.f.template'), unit_id: t('pa.f.enterprise') } });

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

// Weekday mask (bit 0 Monday; 0 or 127 every day) as words.
const WEEKDAYS = ['pa.wd0', 'pa.wd1', 'pa.wd2', 'pa.wd3', 'pa.wd4', 'pa.wd5', 'pa.wd6'];
const dayNames = (mask) => (!mask || mask === 127 ? t('pa.every_day')
  : WEEKDAYS.filter((k, i) => mask & (1 << i)).map((k) => t(k)).join('、'));

export async function render(main, ctx) {
  const [pts, tpls, grids, ents, rota] = await Promise.all([api('GET', '/patrol-points?limit=200'), api('GET', '/patrol-templates'),
    api('GET', '/units?kind=grid&limit=200'), api('GET', '/units?kind=enterprise&limit=200'), api('GET', '/patrol-rota')]);
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
        ' · ', p.photo_required ? t('pa.photo_yes') : t('pa.photo_no'),
        ' · ', p.lat !== null && p.lat !== undefined ? h('span', { class: 'pa-gps' }, t('pa.gps_is', { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), r: p.radius_m })) : t('pa.gps_none'),
        p.risk_object_id ? [' · ', h('a', { href: '/risk/objects/' + p.risk_object_id, class: 'pa-risk' }, t('pa.risk_is'))] : null)),
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
    // The risk point whose control measures the patrol checks: one in the grid.
    const risk = select('risk_object_id', [{ value: '', label: t('pa.no_risk') }]);
    const loadRisks = async () => {
      let items = [];
      try { items = grid.value ? (await api('GET', '/risk/objects?unit_id=' + grid.value + '&limit=200')).items : []; } catch (e) { items = []; }
      risk.replaceChildren(...[{ value: '', label: t('pa.no_risk') }, ...items.map((x) => ({ value: x.id, label: x.name }))]
        .map((o) => h('option', { value: String(o.value) }, o.label)));
      risk.dataset.grid = grid.value; // loaded for this grid
    };
    grid.addEventListener('change', () => {
      tpl.replaceChildren(...tplOpts().map((o) => h('option', { value: String(o.value) }, o.label)));
      loadRisks();
    });
    loadRisks();
    // Where the QR hangs: a check-in farther than the radius is recorded as outside.
    const lat = input('lat', { type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
    const lon = input('lon', { type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
    const radius = input('radius_m', { type: 'number', step: 'any', min: 1, max: 5000, placeholder: '30', inputmode: 'decimal' });
    const here = h('button', { type: 'button', class: 'btn btn-small', id: 'pa-here', onclick: () => {
      if (!navigator.geolocation) { toast(t('pa.no_geo'), 'error'); return; }
      navigator.geolocation.getCurrentPosition((pos) => {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
      }, () => toast(t('pa.no_geo'), 'error'), { enableHighAccuracy: true, timeout: 10000 });
    } }, t('pa.here'));
    const photo = h('input', { type: 'checkbox', name: 'photo_required' });
    editDialog(t('pa.new_point'), 'pa-new-point-form',
      [field(t('pa.f.grid'), grid), field(t('pa.f.code'), code, t('pa.code_hint')), field(t('pa.f.name'), name), field(t('pa.f.template'), tpl),
        field(t('pa.f.risk'), risk, t('pa.risk_hint')),
        h('div', { class: 'grid-3' }, field(t('pa.f.lat'), lat), field(t('pa.f.lon'), lon), field(t('pa.f.radius'), radius)),
        h('p', { class: 'hint' }, t('pa.gps_hint'), ' ', here),
        h('label', { class: 'check' }, photo, h('span', null, t('pa.f.photo')))],
      () => {
        const body = { grid_unit_id: Number(grid.value), code: code.value.trim(), name: name.value.trim(),
          template_id: tpl.value ? Number(tpl.value) : null, photo_required: photo.checked };
        if (risk.value) body.risk_object_id = Number(risk.value);
        // Sent as typed: the server names a missing half of the pair or a value out of range.
        if (lat.value !== '') body.lat = Number(lat.value);
        if (lon.value !== '') body.lon = Number(lon.value);
        if (radius.value !== '') body.radius_m = Number(radius.value);
        return api('POST', '/patrol-points', body);
      },
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

  // The rota, an enterprise at a time: its rows are sent whole (PUT), and
  // an error in the row being added names the dialog's field.
  const gridEnt = (id) => { const g = grids.items.find((x) => x.id === id); return g ? g.enterprise_id : 0; };
  const rowOf = (r) => ({ inspector_grid_id: r.inspector_grid_id, target_grid_id: r.target_grid_id, template_id: r.template_id, weekdays: r.weekdays });
  const rowsOf = (ent, but) => rota.items.filter((r) => r.id !== but && gridEnt(r.target_grid_id) === ent).map(rowOf);
  const putRota = async (ent, items) => {
    try { return await api('PUT', '/patrol-rota', { unit_id: ent, items }); } catch (e) {
      const m = e && e.field && /^items\[(\d+)\]\.(\w+)$/.exec(e.field);
      if (m && Number(m[1]) === items.length - 1) e.field = m[2];
      throw e;
    }
  };
  const activeGrids = grids.items.filter((g) => g.active);
  const entTpls = (ent) => tpls.items.filter((x) => x.enterprise_id === ent).map((x) => ({ value: x.id, label: x.name }));
  const tplOptions = (sel, ent) => sel.replaceChildren(...entTpls(ent).map((o) => h('option', { value: String(o.value) }, o.label)));
  // A new row, or (r) the days and checklist of a row: its two grids stay
  // (another pair is another row: remove this one, add that one).
  const rotaDialog = (r) => {
    const opts = activeGrids.map((g) => ({ value: g.id, label: g.name }));
    const fixed = { disabled: true }; // an edited row offers only its own grids, even a retired one
    const insp = r ? select('inspector_grid_id', [{ value: r.inspector_grid_id, label: r.inspector_grid_name }], undefined, fixed)
      : select('inspector_grid_id', opts);
    const target = r ? select('target_grid_id', [{ value: r.target_grid_id, label: r.target_grid_name }], undefined, fixed)
      : select('target_grid_id', opts, opts.length > 1 ? opts[1].value : undefined);
    const tpl = select('template_id', entTpls(gridEnt(Number(target.value))), r ? r.template_id : undefined);
    target.addEventListener('change', () => tplOptions(tpl, gridEnt(Number(target.value))));
    const all = [0, 1, 2, 3, 4, 5, 6];
    const on = r && r.weekdays && r.weekdays !== 127 ? all.filter((i) => r.weekdays & (1 << i)) : all;
    const days = checkboxes('weekdays', t('pa.f.weekdays'), WEEKDAYS.map((k, i) => ({ value: String(i), label: t(k) })), on.map(String));
    editDialog(r ? t('pa.edit_rota') + ' · ' + r.inspector_grid_name + ' → ' + r.target_grid_name : t('pa.new_rota'), 'pa-rota-form',
      [field(t('pa.f.inspector'), insp), field(t('pa.f.target'), target), field(t('pa.f.template'), tpl), days],
      (form) => {
        const mask = checkedValues(form, 'weekdays').reduce((m, v) => m | (1 << Number(v)), 0);
        if (!mask) throw { field: 'weekdays', message: t('pa.pick_day') };
        const ent = gridEnt(Number(target.value));
        return putRota(ent, rowsOf(ent, r ? r.id : undefined).concat([{ inspector_grid_id: Number(insp.value), target_grid_id: Number(target.value),
          template_id: Number(tpl.value), weekdays: mask }]));
      },
      reload);
  };
  const removeRota = async (r) => {
    try {
      await api('PUT', '/patrol-rota', { unit_id: gridEnt(r.target_grid_id), items: rowsOf(gridEnt(r.target_grid_id), r.id) });
      toast(t('pa.rota_removed'), 'ok');
      reload();
    } catch (e) { toastError(e, labels()); }
  };
  const ringRota = () => {
    const ent = select('unit_id', ents.items.filter((e) => e.active).map((e) => ({ value: e.id, label: e.name })));
    const tpl = select('ring_template_id', entTpls(Number(ent.value)));
    ent.addEventListener('change', () => tplOptions(tpl, Number(ent.value)));
    editDialog(t('pa.ring'), 'pa-ring-form',
      [h('p', { class: 'hint' }, t('pa.ring_hint')), field(t('pa.f.enterprise'), ent), field(t('pa.f.template'), tpl)],
      () => api('PUT', '/patrol-rota', { unit_id: Number(ent.value), ring_template_id: Number(tpl.value) || 0 }),
      reload);
  };
  const rotaRow = (r) => h('div', { class: 'row-card pa-rota', dataset: { rota: String(r.id), from: String(r.inspector_grid_id), to: String(r.target_grid_id) } },
    h('div', null, h('strong', null, r.inspector_grid_name + ' → ' + r.target_grid_name),
      h('div', { class: 'row-meta' }, t('pa.template_is', { name: r.template_name }), ' · ', dayNames(r.weekdays))),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => rotaDialog(r) }, t('pa.edit')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { action: 'remove' }, onclick: () => removeRota(r) }, t('pa.remove'))));

  main.replaceChildren(h('div', { class: 'page', id: 'pa-page' },
    pageHead(t('pa.title'),
      grids.items.length ? h('button', { type: 'button', class: 'btn btn-primary', id: 'pa-new-point', onclick: newPoint }, t('pa.new_point')) : null,
      ents.items.length ? h('button', { type: 'button', class: 'btn', id: 'pa-new-template', onclick: newTemplate }, t('pa.new_template')) : null),
    h('p', { class: 'hint' }, t('pa.hint')),
    h('section', { class: 'card', id: 'pa-points' }, h('h2', null, t('pa.points')),
      pts.items.length ? pts.items.map(pointRow) : emptyState(t('pa.no_points'))),
    h('section', { class: 'card', id: 'pa-templates' }, h('h2', null, t('pa.templates')),
      tpls.items.length ? tpls.items.map(tplRow) : emptyState(t('pa.no_templates'))),
    h('section', { class: 'card', id: 'pa-rota' }, h('h2', null, t('pa.rota')),
      h('p', { class: 'hint' }, t('pa.rota_hint')),
      rota.items.length ? rota.items.map(rotaRow) : emptyState(t('pa.no_rota')),
      activeGrids.length > 1 ? h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'btn', id: 'pa-new-rota', onclick: () => rotaDialog() }, t('pa.new_rota')),
        h('button', { type: 'button', class: 'btn', id: 'pa-ring', onclick: ringRota }, t('pa.ring'))) : null)));
}
