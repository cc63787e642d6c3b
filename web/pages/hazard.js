// pages/hazard.js — /hazards/{id}: one hidden danger. The record (photos as
// thumbnails linking to the full image, place, GB 6441 type, factor, grade,
// deadline, overdue, 挂牌督办), its timeline (GET /hazards/{id}/timeline,
// oldest first, newest last, one icon and word per kind), and the actions the
// CURRENT user may take now (GET /hazards/{id}/actions), each a button that
// opens a form generated from the action's field specs (hazard_ui.js) and
// posts to /hazards/{id}/actions/{action}. The server's workflow engine
// decides who may fire what and checks the statutory guards; its refusals
// are shown next to the field they name. A regulator is offered 挂牌督办 on
// a 重大 hazard (POST /hazards/{id}/supervision).
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, select, formError, clearErrors, showError, busy, toast, openDialog,
  pageHead, emptyState, fmtTime, actorName } from '../ui.js';
import * as session from '../session.js';
import { hazardBadges, stateName, fieldName, valueName, photoStrip, personSpan, actionFields, rememberPerson as personCache } from './hazard_ui.js';

// Fields whose values are person ids, shown by name in the timeline.
const PERSON_FIELDS = /(^|_)person_id$/;

export async function render(main, ctx) {
  const id = Number((ctx.params && ctx.params[0]) || location.pathname.split('/').pop());
  const [hz, tl, acts] = await Promise.all([
    api('GET', '/hazards/' + id),
    api('GET', '/hazards/' + id + '/timeline'),
    api('GET', '/hazards/' + id + '/actions').catch(() => ({ items: [] })),
  ]);
  const reload = () => ctx.rerender();
  const actions = (acts && acts.items) || [];
  const me = session.me();
  const isRegulator = ((me && me.roles) || []).includes('regulator');
  const open = !['closed', 'rejected'].includes(hz.state) && !hz.closed_at;

  const actionBar = h('div', { class: 'hz-actions', id: 'hz-actions' },
    actions.map((a) => h('button', { type: 'button', class: 'btn ' + (/reject|return/.test(a.action) ? '' : 'btn-primary'),
      dataset: { action: a.action }, onclick: () => actionDialog(hz, a, reload) }, a.label || a.action)),
    isRegulator && hz.grade === 'major' && open ? h('button', { type: 'button', class: 'btn btn-danger', id: 'hz-supervise',
      onclick: () => superviseDialog(hz, reload) }, hz.supervision ? t('hz.supervise.again') : t('hz.supervise')) : null);
  if (!actionBar.children.length) actionBar.appendChild(h('p', { class: 'muted', id: 'hz-no-actions' }, t('hz.no_actions')));

  const sup = hz.supervision;
  const facts = h('dl', { class: 'facts', id: 'hz-facts' },
    fact(t('hz.f.unit'), hz.unit_name || '#' + hz.unit_id),
    fact(t('hz.f.state'), stateName(hz.state, hz.state_label)),
    fact(t('hz.f.grade'), hz.grade ? t('hz.grade.' + hz.grade) : t('hz.grade.none')),
    fact(t('hz.f.accident_type'), hz.accident_type ? hz.accident_type + ' ' + (hz.accident_type_name || '') : ''),
    fact(t('hz.f.hazard_factor'), hz.hazard_factor ? hz.hazard_factor + ' ' + (hz.hazard_factor_name || '') : ''),
    fact(t('hz.f.location'), [hz.location || '', hz.lat !== null && hz.lat !== undefined ? ` (${hz.lat}, ${hz.lon})` : ''].join('')),
    fact(t('hz.f.risk_event'), hz.risk_event_id ? '#' + hz.risk_event_id : ''),
    fact(t('hz.f.deadline'), hz.deadline ? h('span', { class: hz.overdue ? 'hz-late' : '' }, fmtTime(hz.deadline),
      hz.overdue ? ' · ' + t('hz.overdue') : '') : ''),
    fact(t('hz.f.reporter'), person(hz, 'reporter')),
    fact(t('hz.f.assignee'), person(hz, 'assignee')),
    fact(t('hz.f.rectifier'), person(hz, 'rectifier')),
    fact(t('hz.f.acceptor'), person(hz, 'acceptor')),
    fact(t('hz.f.found_at'), fmtTime(hz.found_at)),
    fact(t('hz.f.closed_at'), fmtTime(hz.closed_at)),
    hz.recurrent ? fact(t('hz.recurrent'), hz.recurrence_of ? h('a', { href: '/hazards/' + hz.recurrence_of, 'data-link': '' }, '#' + hz.recurrence_of) : t('hz.yes')) : null,
    fact(t('hz.f.workflow'), hz.workflow ? `${hz.workflow.key} v${hz.workflow.version}` : ''));

  const supBox = sup ? h('div', { class: 'notice notice-error hz-supervision', id: 'hz-supervision' },
    h('strong', null, t('hz.supervised'), ' · ', t('hz.sup.level.' + sup.level, null, sup.level || '')),
    h('div', null, t('hz.sup.document_no'), '：', sup.document_no || ''),
    sup.note ? h('div', null, sup.note) : null,
    h('div', { class: 'small' }, fmtTime(sup.at), sup.regulator_acceptance ? ' · ' + t('hz.sup.regulator_acceptance') : '')) : null;

  const timeline = h('ol', { class: 'timeline hz-timeline', id: 'hz-timeline' },
    ((tl && tl.items) || []).slice().sort((a, b) => String(a.at).localeCompare(String(b.at)) || (a.id - b.id)).map(timelineItem));
  if (!timeline.children.length) timeline.appendChild(emptyState(t('hz.timeline.empty')));

  main.appendChild(h('div', { class: 'page hz-page', dataset: { hazardId: hz.id, state: hz.state } },
    h('a', { href: '/hazards', 'data-link': '', class: 'hz-back' }, '‹ ', t('hz.board.title')),
    pageHead(h('span', null, h('span', { class: 'hz-code mono', id: 'hz-code' }, hz.code || '#' + hz.id), ' ', hz.title)),
    h('div', { class: 'chips hz-badges', id: 'hz-badges' }, hazardBadges(hz)),
    supBox,
    h('section', { class: 'card' }, h('h2', null, t('hz.actions')), actionBar),
    h('section', { class: 'card' },
      hz.description ? h('p', { class: 'hz-desc' }, hz.description) : null,
      photoStrip(hz.photo_ids),
      facts),
    h('section', { class: 'card' }, h('h2', null, t('hz.timeline')), timeline,
      session.can.audit() ? h('div', { class: 'card-actions' }, h('a', { href: `/audit?entity=hazard&id=${hz.id}`, 'data-link': '',
        class: 'btn', id: 'hz-evidence' }, t('ev.link'))) : null)));
}

// A person of the record: the server's <role>_name when it sends one, else
// looked up by id.
function person(hz, role) {
  const id = hz[role + '_person_id'];
  if (!id) return '';
  const name = hz[role + '_name'];
  if (name) {
    personCache(id, name);
    return h('span', { class: 'person-ref', dataset: { personId: id } }, name);
  }
  return personSpan(id);
}

function fact(label, value) {
  if (value === '' || value === null || value === undefined) return null;
  return [h('dt', null, label), h('dd', null, value)];
}

const KIND_ICON = { start: '●', action: '➜', escalation: '⬆', effect: '✉', overdue: '⏰', recurrence: '↻', supervision: '⚑' };

function timelineItem(e) {
  const kind = e.kind || 'action';
  const head = [h('span', { class: 'hz-kind-icon', 'aria-hidden': 'true' }, KIND_ICON[kind] || '•'),
    h('span', { class: 'hz-kind' }, t('hz.kind.' + kind, null, kind))];
  if (e.action) head.push(h('strong', { class: 'hz-tl-action' }, t('hz.action.' + e.action, null, e.action)));
  if (e.from || e.to) {
    head.push(h('span', { class: 'muted hz-tl-move' },
      e.from ? stateName(e.from) : '', e.from && e.to ? ' → ' : '', e.to ? stateName(e.to) : ''));
  }
  return h('li', { class: 'timeline-item hz-tl-' + kind, dataset: { kind, action: e.action || '' } },
    h('div', { class: 'hz-tl-head' }, head),
    h('div', { class: 'small muted' }, fmtTime(e.at), actorText(e)),
    detailNode(e.detail));
}

// Who acted: the server's actor_name when it sends one, else the account
// ("account:6" -> 账号 #6); the timer's own steps say so.
function actorText(e) {
  if (e.actor_name) return ' · ' + e.actor_name;
  return e.actor ? ' · ' + actorName(e.actor) : '';
}

// The detail of a timeline entry: submitted fields as "label: value", a
// target as its kind and person.
function detailNode(d) {
  if (d === null || d === undefined || d === '') return null;
  if (typeof d !== 'object') return h('div', { class: 'hz-tl-detail' }, String(d));
  const src = d.fields && typeof d.fields === 'object' ? d.fields : d;
  const rows = [];
  for (const [k, v] of Object.entries(src)) {
    if (v === null || v === undefined || v === '' || k === 'when') continue;
    let val;
    if (PERSON_FIELDS.test(k) && (typeof v === 'number' || /^\d+$/.test(String(v)))) val = personSpan(v);
    else if (Array.isArray(v)) val = k.includes('photo') ? photoStrip(v) : v.join(', ');
    else if (typeof v === 'object') val = v.kind ? [t('hz.target.' + v.kind, null, v.kind), v.person_id ? [' ', personSpan(v.person_id)] : null, v.role ? ' ' + session.roleName(v.role) : null]
      : JSON.stringify(v);
    else if (typeof v === 'boolean') val = v ? t('hz.yes') : t('hz.no');
    else if (/_at$|deadline/.test(k) && /^\d{4}-\d\d-\d\dT/.test(String(v))) val = fmtTime(v);
    else val = valueName(k, v);
    rows.push(h('div', null, h('span', { class: 'muted' }, fieldName(k), '：'), val));
  }
  return rows.length ? h('div', { class: 'hz-tl-detail' }, rows) : null;
}

// The form of one action, generated from its field specs.
function actionDialog(hz, a, reload) {
  const gen = actionFields(a, { unitId: hz.unit_id });
  const guards = (a.guards || []).map((g) => t('hz.guard.' + g, null, g));
  const form = h('form', { class: 'form', id: 'hz-action-form', dataset: { action: a.action }, novalidate: true },
    formError(),
    a.to ? h('p', { class: 'muted' }, t('hz.action.to', { state: stateName(a.to) })) : null,
    guards.length ? h('p', { class: 'notice notice-warn small hz-guards' }, t('hz.guards', { list: guards.join('、') })) : null,
    gen.nodes,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'hz-action-submit' }, a.label || a.action)));
  const d = openDialog(a.label || a.action, form, { wide: (a.required || []).length + (a.optional || []).length > 4 });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const { values, missing, pending } = gen.collect();
    if (pending) return showError(form, { message: t('hz.photo.wait') });
    if (missing.length) return showError(form, { field: missing[0], message: t('hz.need.field') });
    busy(form, async () => {
      try {
        await api('POST', '/hazards/' + hz.id + '/actions/' + encodeURIComponent(a.action), values);
        d.close();
        toast(t('hz.action.done', { action: a.label || a.action }), 'ok');
        reload();
      } catch (e) {
        showError(form, e, { labels: guardLabels() });
      }
    });
  });
}

function guardLabels() {
  return {
    acceptor_not_rectifier: t('hz.guard.acceptor_not_rectifier'),
    five_assurances: t('hz.guard.five_assurances'),
    rectification_plan: t('hz.guard.rectification_plan'),
  };
}

// 挂牌督办: a regulator lists a 重大 hazard for supervision.
function superviseDialog(hz, reload) {
  const level = select('level', ['province', 'city', 'county'].map((v) => ({ value: v, label: t('hz.sup.level.' + v) })), 'county');
  const doc = input('document_no', { type: 'text', maxlength: 64 });
  const note = h('textarea', { name: 'note', class: 'input', rows: 3, maxlength: 2000 });
  const acc = h('input', { type: 'checkbox', name: 'regulator_acceptance' });
  const form = h('form', { class: 'form', id: 'hz-supervise-form', novalidate: true },
    formError(),
    field(t('hz.sup.level'), level),
    field(t('hz.sup.document_no'), doc),
    field(t('hz.sup.note'), note),
    h('div', { class: 'field', dataset: { field: 'regulator_acceptance' } },
      h('label', { class: 'check' }, acc, h('span', null, t('hz.sup.regulator_acceptance'))),
      h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-danger' }, t('hz.supervise'))));
  const d = openDialog(t('hz.supervise'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!doc.value.trim()) return showError(form, { field: 'document_no', message: t('hz.need.field') });
    const body = { level: level.value, document_no: doc.value.trim(), regulator_acceptance: acc.checked };
    if (note.value.trim()) body.note = note.value.trim();
    busy(form, async () => {
      try {
        await api('POST', '/hazards/' + hz.id + '/supervision', body);
        d.close();
        toast(t('hz.supervise.done'), 'ok');
        reload();
      } catch (e) {
        showError(form, e);
      }
    });
  });
}

