// pages/response.js — the alarm response card (报警处置卡) of a point: what
// the person who gets its alarm should know and do (GET/PUT
// /points/{id}/response; telemetry/response.h), and what is around the alarm
// now (its "context"). Shown in the alarm's detail on the console
// (pages/alarms.js) and on the acknowledge-link page a duty message opens
// (pages/ack.js); the card is written from the alarm's detail by those who
// keep the point register (point.write: admins, managers, safety officers).
import { api } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';

const { h, clear } = ui;

// What is around an open alarm now (the "context" of GET /alarms/{id} and of
// GET /alarm-links/{token}): its area, the special work active or suspended
// there (the first thing to stop when gas is found) and who is on duty along
// the escalation chain. opts.links: the area and permits link to their pages
// (not on the link page, whose reader has not signed in); opts.close runs
// when a link is followed (closes the console's dialog).
export function contextNode(cx, opts = {}) {
  const link = (href, text, cls) => (opts.links === false ? h('span', { class: cls || '' }, text)
    : h('a', { href, 'data-link': '', class: cls || '', onclick: opts.close }, text));
  const permits = cx.permits.map((p) => h('li', { dataset: { permit: String(p.id), state: p.state } },
    link('/permits/' + p.id, p.code, 'mono'), ' ', t('ri.permit.' + p.type), ' ', p.title,
    ' · ' + t('al.cx.until', { at: ui.fmtTime(p.until) }), p.state === 'suspended' ? [' ', ui.badge(t('al.cx.suspended'), 'off')] : null));
  return h('section', { class: 'al-context', id: 'al-context' },
    h('h3', null, t('al.cx.title')),
    h('dl', { class: 'kv' },
      cx.area ? [h('dt', null, t('al.cx.area')), h('dd', null, link('/risk/index/' + cx.area.unit_id, cx.area.name, 'al-cx-area'))] : null,
      h('dt', null, t('al.cx.permits')),
      h('dd', { id: 'al-cx-permits' }, permits.length ? h('ul', { class: 'al-cx-list' }, permits) : t('al.cx.nopermits')),
      h('dt', null, t('al.cx.duty')),
      h('dd', { id: 'al-cx-duty' }, cx.on_duty.length
        ? cx.on_duty.map((d) => session.roleName(d.role) + ' ' + d.name).join(' · ') : t('al.cx.noduty'))));
}

// The card. raisedAt (optional) turns the time limit into a clock time,
// marked overdue when it has passed and `open` (not yet acknowledged).
export function cardNode(r, raisedAt, open) {
  const by = raisedAt ? Date.parse(raisedAt) + r.response_min * 60000 : 0;
  const late = by && open && Date.now() > by;
  const steps = r.action.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  return h('section', { class: 'resp-card' + (late ? ' resp-late' : ''), id: 'al-response', dataset: { pointId: r.point_id } },
    h('h3', null, t('resp.title')),
    h('p', { class: 'resp-limit' }, t('resp.limit', { n: r.response_min }),
      by ? ' · ' + t(late ? 'resp.overdue' : 'resp.by', { at: ui.fmtTime(new Date(by).toISOString()) }) : ''),
    h('ol', { class: 'resp-steps' }, steps.map((s) => h('li', null, s))),
    r.cause ? h('p', null, h('strong', null, t('resp.cause')), r.cause) : null,
    r.consequence ? h('p', null, h('strong', null, t('resp.consequence')), r.consequence) : null);
}

// A form writing the card of pointId (prefilled from r, may be null) into
// slot; done(card) after the server has it.
export function editForm(slot, pointId, r, done) {
  const v = r || { cause: '', consequence: '', action: '', response_min: 10 };
  const action = h('textarea', { name: 'action', class: 'input', rows: 5, maxlength: 2000, id: 'resp-action', placeholder: t('resp.action_ph') }, v.action);
  const limit = ui.input('response_min', { type: 'number', min: 1, max: 1440, step: 1, value: v.response_min, id: 'resp-min' });
  const cause = ui.input('cause', { maxlength: 500, value: v.cause || '', id: 'resp-cause' });
  const consequence = ui.input('consequence', { maxlength: 500, value: v.consequence || '', id: 'resp-consequence' });
  const form = h('form', { class: 'form resp-form', id: 'resp-form', novalidate: true },
    ui.formError(),
    ui.field(t('resp.f.action'), action, t('resp.f.action_hint')),
    ui.field(t('resp.f.limit'), limit),
    ui.field(t('resp.f.cause'), cause),
    ui.field(t('resp.f.consequence'), consequence),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => done(r) }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'resp-save' }, t('resp.save'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ui.busy(form, async () => {
      ui.clearErrors(form);
      const n = Number(limit.value);
      const body = { action: action.value, response_min: limit.value === '' || !Number.isInteger(n) ? limit.value : n,
        cause: cause.value.trim() || null, consequence: consequence.value.trim() || null };
      try {
        done(await api('PUT', `/points/${pointId}/response`, body));
        ui.toast(t('resp.saved'), 'ok');
      } catch (err) { ui.showError(form, err); }
    });
  });
  clear(slot).appendChild(form);
  action.focus();
}

// The card of an alarm in slot: shown, or "none yet"; with a write or edit
// button when canWrite.
export function alarmCard(slot, a, canWrite) {
  const show = (r) => {
    clear(slot);
    if (r) slot.appendChild(cardNode(r, a.raised_at, a.state === 'unack' || a.state === 'rtn_unack'));
    else slot.appendChild(h('p', { class: 'muted', id: 'al-response-none' }, t('resp.none')));
    if (canWrite) {
      slot.appendChild(h('button', { type: 'button', class: 'btn', id: 'resp-edit',
        onclick: () => editForm(slot, a.point_id, r, show) }, t(r ? 'resp.edit' : 'resp.write')));
    }
  };
  show(a.response);
}
