// pages/permit.js — one special-work permit (/permits/{id}): its record
// (type, grades, unit, place, window, workers with certificates, guardian,
// linked gas points, measures, gas tests, approvals, signatures), the live
// verdicts of the rules for its state, the timeline, and one button per
// action the state allows, each with its form:
//   confirm_measures  the checklist: 确认 or 不适用 per item
//   gas               kind, unit, value, substance, LEL of the substance (by
//                     volume), limit (toxic), portable, position
//   approve           the post of the chain (the posts still missing; the one
//                     the signed-in person holds chosen), opinion
//   check_in          the guardian named on the permit
//   suspend / resume / close / cancel   reason or note
// Approve, gas, check-in and close take a drawn signature. A 409 shows the
// rule that refused and every verdict (error.field and verdicts), not only
// the message. The page reads the permit again every few seconds while the
// permit is open, so a suspension by the timer (a linked detector over the
// pass limit) shows without a reload.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, input, select, formError, clearErrors, busy, toast, openDialog, badge, fmtTime, emptyState, actorName } from '../ui.js';
import * as session from '../session.js';
import {
  TERMINAL, typeName, stateBadge, gradeBadges, postName, certTypeName, verdictList, gradeAndChain,
  refusalNode, missingPosts, myPosts, laterStep, personSpan, signaturePad, fmtRange, stateName,
} from './permit_ui.js';

const POLL_MS = 3000;
const APPROVER_ROLES = ['admin', 'manager', 'safety_officer', 'dept_head'];

export async function render(main, ctx) {
  const id = Number(ctx.params[0]);
  const me = session.me();
  const root = h('div', { class: 'page pm-page', id: 'permit-page', dataset: { permitId: id } });
  main.appendChild(root);
  let p = await api('GET', '/permits/' + id);
  const posts = await myPosts(me);
  const unitName = session.unitName(await session.units().catch(() => []), p.unit_id);
  draw();

  // Keep the page live while the permit is open.
  const timer = setInterval(async () => {
    if (!root.isConnected) { clearInterval(timer); return; }
    if (TERMINAL.includes(p.state) || document.querySelector('dialog[open]')) return;
    try {
      const q = await api('GET', '/permits/' + id);
      if (q.updated_at !== p.updated_at || q.state !== p.state || JSON.stringify(q.verdicts) !== JSON.stringify(p.verdicts)) { p = q; draw(); }
    } catch (e) { /* next time */ }
  }, POLL_MS);

  function draw() {
    clear(root);
    root.dataset.state = p.state;
    const rec = p.record || {};
    root.append(...[ // (append would print a null as "null")
      h('div', { class: 'page-head' },
        h('h1', null, h('span', { class: 'pm-code', id: 'pm-code' }, p.code), ' ', stateBadge(p.state)),
        h('div', { class: 'page-actions' },
          p.state === 'draft' && p.writable !== false ? h('a', { href: '/permits/' + p.id + '/edit', 'data-link': '', class: 'btn', id: 'pm-edit' }, t('pm.edit')) : null,
          h('a', { href: '/permits/' + p.id + '/print', 'data-link': '', class: 'btn', id: 'pm-print-link' }, t('pm.print')))),
      p.reason && ['suspended', 'cancelled', 'expired'].includes(p.state)
        ? h('p', { class: 'notice notice-warn', id: 'pm-reason' }, t('pm.reason'), '：', p.reason) : null,
      actionsBar(),
      h('div', { class: 'pm-grid' },
        h('section', { class: 'card' }, h('h2', null, typeName(p.type), ' ', gradeBadges(p, p.verdicts)),
          h('p', { class: 'pm-title' }, p.title),
          h('dl', { class: 'facts' },
            h('dt', null, t('pm.f.unit')), h('dd', null, unitName),
            h('dt', null, t('pm.f.location')), h('dd', null, p.location),
            h('dt', null, t('pm.f.window')), h('dd', null, fmtRange(p.planned_start, p.planned_end)),
            h('dt', null, t('pm.f.applicant')), h('dd', null, personSpan(p.applicant_person_id)),
            h('dt', null, t('pm.f.guardian')), h('dd', { id: 'pm-guardian' }, personSpan(p.guardian_person_id),
              rec.guardian_checkin_at ? h('span', { class: 'muted' }, ' · ' + t('pm.checked_in_at', { time: fmtTime(rec.guardian_checkin_at) })) : null),
            h('dt', null, t('pm.f.workers')), h('dd', null, h('ul', { class: 'pm-plain' }, (rec.workers || []).map((w) =>
              h('li', null, w.name || personSpan(w.person_id), ' · ',
                w.cert_type ? certTypeName(w.cert_type) + ' ' + (w.cert_no || '') : h('span', { class: 'muted' }, t('pm.f.cert_none')))))),
            (rec.gas_points || []).length ? [h('dt', null, t('pm.f.gas_points')), h('dd', { id: 'pm-points' }, pointTags(rec.gas_points))] : null,
            p.activated_at ? [h('dt', null, t('pm.activated_at')), h('dd', null, fmtTime(p.activated_at))] : null)),
        h('section', { class: 'card', id: 'pm-live' }, h('h2', null, t('pm.verdicts')),
          gradeAndChain(p.verdicts, rec.approvals),
          p.verdicts && p.verdicts.verdicts && p.verdicts.verdicts.length
            ? verdictList(p.verdicts, null, ['draft', 'applied', 'identified', 'tested'].includes(p.state) ? laterStep : null) : emptyState(t('pm.verdicts.none')))),
      measuresSection(rec), gasSection(rec), approvalsSection(rec), signaturesSection(rec),
      h('section', { class: 'card' }, h('h2', null, t('pm.timeline')),
        h('ol', { class: 'timeline', id: 'pm-timeline' }, (p.timeline || []).map((e) =>
          h('li', { class: 'timeline-item', dataset: { kind: e.kind, to: e.to || '' } },
            h('div', null, h('strong', null, t('pm.ev.' + e.kind, null, e.kind)),
              e.from && e.to && e.from !== e.to ? ' ' + stateName(e.from) + ' → ' + stateName(e.to) : ''),
            h('div', { class: 'muted small' }, fmtTime(e.at), ' · ', e.actor_name || actorName(e.actor)),
            e.detail && (e.detail.reason || (e.detail.body && (e.detail.body.reason || e.detail.body.note)))
              ? h('div', { class: 'small' }, e.detail.reason || e.detail.body.reason || e.detail.body.note) : null))),
        session.can.audit() ? h('div', { class: 'card-actions' }, h('a', { href: `/audit?entity=permit&id=${p.id}`, 'data-link': '',
          class: 'btn', id: 'pm-evidence' }, t('ev.link'))) : null)].filter(Boolean));
  }

  function pointTags(ids) {
    const span = h('span', null, ids.map((x) => '#' + x).join(', '));
    api('GET', '/points?limit=200').then((r) => {
      const byId = new Map(((r && r.items) || []).map((x) => [x.id, x.tag]));
      span.textContent = ids.map((x) => byId.get(x) || '#' + x).join(', ');
    }).catch(() => {});
    return span;
  }

  function measuresSection(rec) {
    const ms = rec.measures || [];
    return h('section', { class: 'card' }, h('h2', null, t('pm.measures')),
      h('ol', { class: 'pm-measures', id: 'pm-measures' }, ms.map((m) => h('li', { dataset: { confirmed: m.confirmed_at_ms ? '1' : '0' } },
        m.item, ' ',
        m.not_applicable ? badge(t('pm.measure.na'), 'off') : m.confirmed_at_ms ? badge(t('pm.measure.ok'), 'role') : badge(t('pm.measure.open'), 'warn'),
        m.statutory ? null : h('span', { class: 'muted small' }, ' ' + t('pm.measure.extra'))))));
  }

  function gasSection(rec) {
    const gs = rec.gas || [];
    if (!gs.length) return null;
    return h('section', { class: 'card' }, h('h2', null, t('pm.gas')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'pm-gas' },
        h('thead', null, h('tr', null, ['pm.gas.at', 'pm.gas.kind', 'pm.gas.value', 'pm.gas.position', 'pm.gas.by'].map((k) => h('th', null, t(k))))),
        h('tbody', null, gs.map((g) => h('tr', null,
          h('td', null, fmtTime(g.at_ms)), h('td', null, t('pm.gas.kind.' + g.kind, null, g.kind) + (g.substance ? ' ' + g.substance : '')),
          h('td', null, g.value + ' ' + g.unit), h('td', null, g.position ? t('pm.gas.pos.' + g.position, null, g.position) : (g.portable ? t('pm.gas.portable') : '')),
          h('td', null, g.analyst_person_id ? personSpan(g.analyst_person_id) : g.recorded_by)))))));
  }

  function approvalsSection(rec) {
    const as = rec.approvals || [];
    if (!as.length) return null;
    return h('section', { class: 'card' }, h('h2', null, t('pm.approvals')),
      h('ul', { class: 'pm-plain', id: 'pm-approvals' }, as.map((a) => h('li', { dataset: { post: a.post } },
        h('strong', null, postName(a.post)), ' · ', personSpan(a.person_id), ' · ', fmtTime(a.at_ms),
        a.opinion ? ' · ' + a.opinion : ''))));
  }

  function signaturesSection(rec) {
    const ss = rec.signatures || [];
    if (!ss.length) return null;
    return h('section', { class: 'card' }, h('h2', null, t('pm.signatures')),
      h('div', { class: 'pm-signatures', id: 'pm-signatures' }, ss.map((s) => h('figure', { class: 'pm-signature', dataset: { role: s.role } },
        h('img', { src: '/api/v1/attachments/' + s.attachment_id, alt: t('pm.sign.role.' + s.role, null, s.role), loading: 'lazy' }),
        h('figcaption', null, t('pm.sign.role.' + s.role, null, s.role), ' · ', fmtTime(s.at_ms))))));
  }

  // ---- actions ------------------------------------------------------------

  function actionsBar() {
    const s = p.state;
    const roles = me.roles || [];
    const writer = !roles.every((r) => r === 'regulator');
    const approver = roles.some((r) => APPROVER_ROLES.includes(r));
    const guardian = me.person && me.person.id === p.guardian_person_id;
    const acts = [];
    if (!writer || p.writable === false) return null; // read only: a permit of the area above the caller's grid (属地)
    if (s === 'draft') acts.push(['submit_go', 'btn-primary']);
    if (s === 'applied') acts.push(['confirm_measures', 'btn-primary']);
    if (['identified', 'tested', 'approved', 'active', 'suspended'].includes(s)) acts.push(['gas', s === 'identified' ? 'btn-primary' : '']);
    if (s === 'tested' && approver) acts.push(['approve', 'btn-primary']);
    if (s === 'approved') acts.push(['check_in', guardian ? 'btn-primary' : '']);
    if (s === 'active') acts.push(['suspend', '']);
    if (s === 'suspended') acts.push(['resume', 'btn-primary']);
    if (['active', 'suspended'].includes(s)) acts.push(['close', '']);
    if (['draft', 'applied', 'identified', 'tested', 'approved', 'suspended'].includes(s)) acts.push(['cancel', 'btn-danger-ghost']);
    if (!acts.length) return null;
    return h('div', { class: 'pm-actions card', id: 'pm-actions' }, acts.map(([a, cls]) =>
      h('button', { type: 'button', class: 'btn ' + cls, id: 'pm-act-' + a, dataset: { action: a },
        onclick: () => (a === 'submit_go' ? ctx.go('/permits/' + p.id + '/edit') : openAction(a)) }, t('pm.act.' + a))));
  }

  function openAction(action) {
    const sign = ['gas', 'approve', 'check_in', 'close'].includes(action) ? signaturePad('pm-sign-' + action) : null;
    const parts = formParts(action);
    const form = h('form', { class: 'form', id: 'pm-form-' + action, novalidate: true },
      formError(), parts.nodes, sign ? sign.node : null,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary', id: 'pm-form-submit' }, t('pm.act.' + action))));
    const d = openDialog(t('pm.act.' + action) + ' · ' + p.code, form, { wide: action === 'confirm_measures' });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const fe = form.querySelector('.form-error');
      const got = parts.collect();
      if (got.error) { clear(fe).append(got.error); fe.classList.remove('hidden'); return; }
      busy(form, async () => {
        try {
          const body = got.body;
          const sig = sign ? await sign.upload(p.unit_id) : null;
          if (sig) body.signature_attachment_id = sig;
          p = await api('POST', '/permits/' + p.id + '/actions/' + action, body);
          d.close();
          toast(t('pm.done.' + action, { code: p.code }), 'ok');
          draw();
        } catch (e) {
          clear(fe).appendChild(refusalNode(e));
          fe.classList.remove('hidden');
          fe.scrollIntoView({ block: 'nearest' });
        }
      });
    });
  }

  // The fields of each action's form: {nodes, collect() -> {body} | {error}}.
  function formParts(action) {
    const rec = p.record || {};
    if (action === 'confirm_measures') {
      const ms = rec.measures || [];
      const rows = ms.map((m, i) => {
        const ok = h('input', { type: 'checkbox', name: 'confirmed', value: String(i), class: 'pm-m-ok' });
        const na = h('input', { type: 'checkbox', name: 'not_applicable', value: String(i), class: 'pm-m-na' });
        ok.addEventListener('change', () => { if (ok.checked) na.checked = false; });
        na.addEventListener('change', () => { if (na.checked) ok.checked = false; });
        return h('li', { class: 'pm-m-row', dataset: { measure: String(i) } }, h('div', { class: 'pm-m-item' }, m.item,
          m.statutory ? null : h('span', { class: 'muted small' }, ' ' + t('pm.measure.extra'))),
        h('div', { class: 'pm-m-choices' }, h('label', { class: 'check' }, ok, h('span', null, t('pm.measure.confirm'))),
          h('label', { class: 'check' }, na, h('span', null, t('pm.measure.na')))));
      });
      const list = h('ol', { class: 'pm-m-list', dataset: { field: 'confirmed' } }, rows);
      const all = h('button', { type: 'button', class: 'btn btn-small', id: 'pm-m-all', onclick: () => {
        list.querySelectorAll('.pm-m-row').forEach((r) => { if (!r.querySelector('.pm-m-na').checked) r.querySelector('.pm-m-ok').checked = true; });
      } }, t('pm.measure.all'));
      return { nodes: [h('p', { class: 'muted' }, t('pm.measure.hint')), all, list], collect: () => {
        const confirmed = [...list.querySelectorAll('.pm-m-ok:checked')].map((x) => Number(x.value));
        const na = [...list.querySelectorAll('.pm-m-na:checked')].map((x) => Number(x.value));
        if (confirmed.length + na.length < ms.length) return { error: t('pm.measure.incomplete', { n: ms.length - confirmed.length - na.length }) };
        return { body: { confirmed, not_applicable: na } };
      } };
    }
    if (action === 'gas') {
      const kind = select('kind', ['combustible', 'oxygen', 'toxic'].map((k) => ({ value: k, label: t('pm.gas.kind.' + k) })), 'combustible');
      const unit = select('unit', ['%LEL', '%VOL', 'mg/m3', 'ppm'].map((u) => ({ value: u, label: u })), '%LEL');
      const value = input('value', { type: 'number', step: 'any', min: '0', inputmode: 'decimal', required: true });
      const substance = input('substance', { type: 'text', maxlength: 30, placeholder: t('pm.gas.substance_ph') });
      const lel = input('lel_pct_vol', { type: 'number', step: 'any', min: '0', inputmode: 'decimal' });
      const limit = input('limit', { type: 'number', step: 'any', min: '0', inputmode: 'decimal' });
      const portable = h('input', { type: 'checkbox', name: 'portable', checked: true });
      const position = select('position', [{ value: '', label: t('pm.gas.pos.none') }, ...['upper', 'middle', 'lower'].map((x) => ({ value: x, label: t('pm.gas.pos.' + x) }))], '');
      const lelField = field(t('pm.gas.lel'), lel, t('pm.gas.lel_hint'));
      const limitField = field(t('pm.gas.limit'), limit, t('pm.gas.limit_hint'));
      const sync = () => {
        if (kind.value === 'oxygen') unit.value = '%VOL';
        if (kind.value === 'combustible' && !['%LEL', '%VOL'].includes(unit.value)) unit.value = '%LEL';
        lelField.classList.toggle('hidden', !(kind.value === 'combustible' && unit.value === '%VOL'));
        limitField.classList.toggle('hidden', kind.value !== 'toxic');
      };
      kind.addEventListener('change', sync);
      unit.addEventListener('change', sync);
      sync();
      return { nodes: [field(t('pm.gas.kind'), kind), field(t('pm.gas.unit'), unit), field(t('pm.gas.value'), value),
        field(t('pm.gas.substance'), substance), lelField, limitField,
        h('div', { class: 'field', dataset: { field: 'portable' } }, h('label', { class: 'check' }, portable, h('span', null, t('pm.gas.portable'))),
          h('div', { class: 'field-error', role: 'alert' })),
        field(t('pm.gas.position'), position)], collect: () => {
        if (value.value.trim() === '') return { error: t('pm.gas.need_value') };
        const b = { kind: kind.value, unit: unit.value, value: Number(value.value), portable: portable.checked };
        if (substance.value.trim()) b.substance = substance.value.trim();
        if (position.value) b.position = position.value;
        if (!lelField.classList.contains('hidden') && lel.value !== '') b.lel_pct_vol = Number(lel.value);
        if (!limitField.classList.contains('hidden') && limit.value !== '') b.limit = Number(limit.value);
        return { body: b };
      } };
    }
    if (action === 'approve') {
      const open = missingPosts(p.verdicts, rec.approvals);
      const opts = [];
      for (const entry of open) for (const c of String(entry).split('|')) opts.push({ value: c, label: postName(c) + (posts.includes(c) ? ' ✓' : '') });
      const mine = opts.find((o) => posts.includes(o.value));
      const post = select('post', opts.length ? opts : [{ value: '', label: t('pm.approve.none') }], mine ? mine.value : (opts[0] && opts[0].value));
      const opinion = h('textarea', { name: 'opinion', class: 'input', rows: 2, maxlength: 500 });
      return { nodes: [field(t('pm.f.post'), post, t('pm.approve.hint')), field(t('pm.f.opinion'), opinion)], collect: () => {
        if (!post.value) return { error: t('pm.approve.none') };
        const b = { post: post.value };
        if (opinion.value.trim()) b.opinion = opinion.value.trim();
        return { body: b };
      } };
    }
    if (action === 'check_in') {
      return { nodes: [h('p', null, t('pm.checkin.text'))], collect: () => ({ body: {} }) };
    }
    if (action === 'resume') {
      return { nodes: [h('p', null, t('pm.resume.text'))], collect: () => ({ body: {} }) };
    }
    const key = action === 'close' ? 'note' : 'reason';
    const text = h('textarea', { name: key, class: 'input', rows: 3, maxlength: 2000 });
    return { nodes: [field(t('pm.f.' + key), text)], collect: () => {
      if (key === 'reason' && !text.value.trim()) return { error: t('pm.need.reason') };
      return { body: text.value.trim() ? { [key]: text.value.trim() } : {} };
    } };
  }
}
