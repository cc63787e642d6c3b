// pages/permit_apply.js — apply for a special-work permit from a phone
// (/permits/new) and fix a draft (/permits/{id}/edit). One column, usable at
// 390 px: type, grade (hot work 特级/一级/二级; work at height from height_m;
// hoisting from mass_t), unit, title, location, planned start and end, the
// workers (people search; each worker's certificate picked from GET
// /certificates?person_id=), the guardian, the unit's gas points to link
// (GET /points?unit_id=), extra measures. 保存草稿 POSTs the draft (or
// PATCHes it), then the pre-check (GET /permits/{id}/precheck) shows every
// rule with pass/fail/na, its clause and evidence, the grade in force and why
// it was raised, the approval chain and conflicting permits. The applicant
// fixes and saves again, draws the signature and submits (the signature PNG
// goes to /attachments; its id with the submit action). A refusal (409) shows
// every verdict of the check, not only the message.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, formError, clearErrors, showError, busy, toast, pageHead, emptyState } from '../ui.js';
import * as session from '../session.js';
import { localInputValue, toRfc3339 } from './hazard_ui.js';
import { TYPES, typeName, gradeName, certTypeName, verdictList, gradeAndChain, conflictList, refusalNode, signaturePad, personPicker, laterStep } from './permit_ui.js';

const HOT_GRADES = ['special', '1', '2'];

export async function render(main, ctx) {
  const id = ctx.params && ctx.params[0] ? Number(ctx.params[0]) : 0;
  const me = session.me();
  const [units, permit] = await Promise.all([session.units(), id ? api('GET', '/permits/' + id) : null]);
  if (permit && permit.state !== 'draft') { ctx.go('/permits/' + id, true); return; }
  const rec = (permit && permit.record) || {};
  const active = units.filter((u) => u.active !== false && u.enterprise_id);
  const own = me.person && active.find((u) => u.id === me.person.unit_id);
  const defUnit = permit ? permit.unit_id : (own ? own.id : (active[0] && active[0].id));

  const typeSel = select('type', TYPES.map((ty) => ({ value: ty, label: typeName(ty) })), permit ? permit.type : 'hot_work',
    { disabled: !!permit });
  const gradeSel = select('grade', HOT_GRADES.map((g) => ({ value: g, label: gradeName(g) })), permit && permit.grade ? permit.grade : '2');
  const height = input('height_m', { type: 'number', step: '0.1', min: '0', inputmode: 'decimal', value: rec.height_m != null ? String(rec.height_m) : '' });
  const mass = input('mass_t', { type: 'number', step: '0.1', min: '0', inputmode: 'decimal', value: rec.mass_t != null ? String(rec.mass_t) : '' });
  const tapping = h('input', { type: 'checkbox', name: 'hot_tapping', checked: !!rec.hot_tapping });
  const enriched = h('input', { type: 'checkbox', name: 'enriched_oxygen', checked: !!rec.enriched_oxygen });
  const unitSel = select('unit_id', session.unitOptions(units), defUnit, { disabled: !!permit });
  const title = input('title', { type: 'text', maxlength: 200, autocomplete: 'off', value: permit ? permit.title : '' });
  const location = input('location', { type: 'text', maxlength: 200, autocomplete: 'off', value: permit ? permit.location : '' });
  const now = new Date();
  now.setSeconds(0, 0);
  const start = input('planned_start', { type: 'datetime-local', value: localInputValue(permit ? new Date(permit.planned_start) : now) });
  const end = input('planned_end', { type: 'datetime-local',
    value: localInputValue(permit ? new Date(permit.planned_end) : new Date(now.getTime() + 4 * 3600000)) });
  const extra = h('textarea', { name: 'measures', class: 'input', rows: 3, maxlength: 4000 });
  extra.value = ((rec.measures || []).filter((m) => !m.statutory).map((m) => m.item)).join('\n');

  const gradeField = field(t('pm.f.grade'), gradeSel);
  const heightField = field(t('pm.f.height_m'), height, t('pm.f.height_hint'));
  const massField = field(t('pm.f.mass_t'), mass, t('pm.f.mass_hint'));
  const tappingField = h('div', { class: 'field', dataset: { field: 'hot_tapping' } },
    h('label', { class: 'check' }, tapping, h('span', null, t('pm.f.hot_tapping'))), h('div', { class: 'field-error', role: 'alert' }));
  const enrichedField = h('div', { class: 'field', dataset: { field: 'enriched_oxygen' } },
    h('label', { class: 'check' }, enriched, h('span', null, t('pm.f.enriched_oxygen'))), h('div', { class: 'field-error', role: 'alert' }));
  function byType() {
    const ty = typeSel.value;
    gradeField.classList.toggle('hidden', ty !== 'hot_work');
    tappingField.classList.toggle('hidden', ty !== 'hot_work');
    heightField.classList.toggle('hidden', ty !== 'work_at_height');
    massField.classList.toggle('hidden', ty !== 'lifting');
    enrichedField.classList.toggle('hidden', ty !== 'confined_space');
  }
  typeSel.addEventListener('change', byType);
  byType();

  // ---- workers: a person search each, and the certificate of that person
  const workersBox = h('div', { class: 'pm-workers', id: 'pm-workers' });
  const workers = [];
  function addWorker(w) {
    const i = workers.length;
    const pf = personPicker('workers[' + i + '].person_id', t('pm.f.worker', { n: i + 1 }), w && w.person_id ? { id: w.person_id, name: w.name } : null);
    const psel = pf.querySelector('select');
    const certSel = h('select', { name: 'workers[' + i + '].cert', class: 'input pm-cert-select' }, h('option', { value: '' }, t('pm.f.cert_none')));
    const certField = field(t('pm.f.cert'), certSel, t('pm.f.cert_hint'));
    certField.dataset.field = 'workers[' + i + '].cert';
    let loaded = 0;
    async function loadCerts(keep) {
      const pid = Number(psel.value) || 0;
      const my = ++loaded;
      clear(certSel).appendChild(h('option', { value: '' }, t('pm.f.cert_none')));
      if (!pid) return;
      let items = [];
      try { items = ((await api('GET', '/certificates' + qs({ person_id: pid, limit: 50 }))).items || []); } catch (e) { items = []; }
      if (my !== loaded) return;
      for (const c of items.filter((x) => !x.revoked && x.type !== 'guardian')) {
        const exp = c.expires_at ? String(c.expires_at).slice(0, 10) : '';
        certSel.appendChild(h('option', { value: c.type + '\u0001' + c.number }, certTypeName(c.type) + ' · ' + c.number + (exp ? ' · ' + t('pm.f.cert_until', { date: exp }) : '')));
      }
      if (keep) {
        const v = keep.cert_type + '\u0001' + (keep.cert_no || '');
        if ([...certSel.options].some((o) => o.value === v)) certSel.value = v;
        else if (keep.cert_type) {
          certSel.appendChild(h('option', { value: v }, certTypeName(keep.cert_type) + ' · ' + (keep.cert_no || '?')));
          certSel.value = v;
        }
      }
      certSel.dataset.loaded = String(pid);
    }
    psel.addEventListener('change', () => loadCerts(null));
    const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost pm-worker-remove', onclick: () => {
      const k = workers.indexOf(entry); if (k >= 0) workers.splice(k, 1); box.remove();
    } }, t('pm.f.worker_remove'));
    const box = h('div', { class: 'pm-worker card', dataset: { worker: String(i) } }, pf, certField, remove);
    const entry = { box, read: () => {
      const pid = Number(psel.value) || 0;
      if (!pid) return null;
      const [ct, cn] = (certSel.value || '\u0001').split('\u0001');
      // a masked number (the register shows whole ones to its keepers only) is
      // resolved by the server from the worker's certificate of that type
      return { person_id: pid, cert_type: ct || '', cert_no: cn && !cn.includes('*') ? cn : '' };
    } };
    workers.push(entry);
    workersBox.appendChild(box);
    if (w && w.person_id) loadCerts(w); // a worker of the draft, with the certificate chosen
  }
  for (const w of rec.workers || []) addWorker(w);
  if (!workers.length) addWorker(null);
  const addWorkerBtn = h('button', { type: 'button', class: 'btn btn-small', id: 'pm-add-worker', onclick: () => addWorker(null) }, t('pm.f.worker_add'));

  const guardian = personPicker('guardian_person_id', t('pm.f.guardian'),
    permit && permit.guardian_person_id ? { id: permit.guardian_person_id } : null, t('pm.f.guardian_hint'));
  const gsel = guardian.querySelector('select');

  // ---- gas points of the unit
  const pointsBox = h('div', { class: 'check-grid pm-points', id: 'pm-points' });
  const pointsField = h('fieldset', { class: 'field checks', dataset: { field: 'gas_points' } },
    h('legend', null, t('pm.f.gas_points')), pointsBox, h('div', { class: 'field-hint' }, t('pm.f.gas_points_hint')),
    h('div', { class: 'field-error', role: 'alert' }));
  const linked = new Set((rec.gas_points || []).map(Number));
  async function loadPoints() {
    clear(pointsBox);
    const u = Number(unitSel.value) || 0;
    if (!u) return;
    let items = [];
    try { items = ((await api('GET', '/points' + qs({ unit_id: u, active: 1, limit: 200 }))).items || []); } catch (e) { items = []; }
    items = items.filter((p) => ['combustible', 'toxic', 'oxygen'].includes(p.kind) || /%LEL|ppm|%VOL/i.test(p.unit || ''));
    if (!items.length) pointsBox.appendChild(emptyState(t('pm.f.gas_points_none')));
    for (const p of items) {
      pointsBox.appendChild(h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'gas_points', value: String(p.id), checked: linked.has(p.id), dataset: { tag: p.tag } }),
        h('span', null, p.tag + ' ' + (p.name || ''))));
    }
  }
  unitSel.addEventListener('change', loadPoints);
  loadPoints();

  const sign = signaturePad('pm-sign');
  const checkBox = h('section', { class: 'card pm-precheck hidden', id: 'pm-precheck', 'aria-live': 'polite' });

  const form = h('form', { class: 'form card', id: 'permit-form', novalidate: true },
    formError(),
    field(t('pm.f.type'), typeSel),
    gradeField, tappingField, heightField, massField, enrichedField,
    field(t('pm.f.unit'), unitSel),
    field(t('pm.f.title'), title, t('pm.f.title_hint')),
    field(t('pm.f.location'), location),
    h('div', { class: 'pm-window' }, field(t('pm.f.planned_start'), start), field(t('pm.f.planned_end'), end)),
    h('h2', null, t('pm.f.workers')), workersBox, h('div', null, addWorkerBtn),
    guardian,
    pointsField,
    field(t('pm.f.measures'), extra, t('pm.f.measures_hint')),
    h('div', { class: 'form-actions' },
      h('a', { href: permit ? '/permits/' + permit.id : '/permits', 'data-link': '', class: 'btn' }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'pm-save' }, t('pm.save_check'))));

  const submitForm = h('form', { class: 'form card hidden', id: 'pm-submit-form', novalidate: true },
    formError(), h('h2', null, t('pm.submit.title')), sign.node,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'pm-submit' }, t('pm.submit'))));

  let current = permit;

  function body() {
    const b = {
      title: title.value.trim(),
      location: location.value.trim(),
      planned_start: toRfc3339(start.value),
      planned_end: toRfc3339(end.value),
      workers: workers.map((w) => w.read()).filter(Boolean),
      measures: extra.value.split('\n').map((s) => s.trim()).filter(Boolean),
      gas_points: [...pointsBox.querySelectorAll('input[name=gas_points]:checked')].map((i) => Number(i.value)),
    };
    const ty = typeSel.value;
    if (!current) { b.type = ty; b.unit_id = Number(unitSel.value) || 0; }
    if (ty === 'hot_work') { b.grade = gradeSel.value; b.hot_tapping = tapping.checked; }
    if (ty === 'work_at_height' && height.value !== '') b.height_m = Number(height.value);
    if (ty === 'lifting' && mass.value !== '') b.mass_t = Number(mass.value);
    if (ty === 'confined_space') b.enriched_oxygen = enriched.checked;
    if (gsel.value) b.guardian_person_id = Number(gsel.value);
    return b;
  }

  async function precheck() {
    const r = await api('GET', '/permits/' + current.id + '/precheck');
    clear(checkBox).classList.remove('hidden');
    const app = r.verdicts.filter((v) => v.result === 'fail' && !laterStep(v));
    checkBox.dataset.pass = r.pass ? '1' : '0';
    checkBox.dataset.applicationOk = app.length ? '0' : '1';
    checkBox.append(
      h('h2', null, t('pm.precheck.title'), ' ', h('a', { href: '/permits/' + current.id, 'data-link': '', class: 'pm-code' }, current.code)),
      h('p', { class: 'notice ' + (app.length ? 'notice-error' : 'notice-ok'), id: 'pm-precheck-summary' },
        app.length ? t('pm.precheck.fix', { n: app.length }) : t('pm.precheck.ready')),
      gradeAndChain(r, (current.record || {}).approvals),
      verdictList(r, null, laterStep),
      conflictList(r.conflicts),
      h('p', { class: 'muted small' }, t('pm.precheck.later')));
    submitForm.classList.toggle('hidden', false);
    return r;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const b = body();
    if (!current && !b.unit_id) return showError(form, { field: 'unit_id', message: t('pm.need.unit') });
    if (!b.title) return showError(form, { field: 'title', message: t('pm.need.title') });
    if (!b.location) return showError(form, { field: 'location', message: t('pm.need.location') });
    if (!b.planned_start || !b.planned_end) return showError(form, { field: 'planned_start', message: t('pm.need.window') });
    busy(form, async () => {
      try {
        current = current ? await api('PATCH', '/permits/' + current.id, b) : await api('POST', '/permits', b);
        toast(t('pm.saved', { code: current.code }), 'ok');
        if (!id) history.replaceState(null, '', '/permits/' + current.id + '/edit');
        typeSel.disabled = true;
        unitSel.disabled = true;
        await precheck();
        checkBox.scrollIntoView({ block: 'start' });
      } catch (e) {
        showError(form, e, { labels: { workers: t('pm.f.workers'), guardian_person_id: t('pm.f.guardian'), gas_points: t('pm.f.gas_points') } });
      }
    });
  });

  submitForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(submitForm);
    busy(submitForm, async () => {
      const fe = submitForm.querySelector('.form-error');
      try {
        const sig = await sign.upload(current.unit_id);
        const out = await api('POST', '/permits/' + current.id + '/actions/submit', sig ? { signature_attachment_id: sig } : {});
        toast(t('pm.submitted', { code: out.code }), 'ok');
        ctx.go('/permits/' + out.id);
      } catch (e) {
        clear(fe).appendChild(refusalNode(e));
        fe.classList.remove('hidden');
      }
    });
  });

  main.appendChild(h('div', { class: 'page narrow pm-apply' },
    pageHead(permit ? t('pm.edit.title', { code: permit.code }) : t('pm.apply.title')), form, checkBox, submitForm));
  if (permit) await precheck();
}
