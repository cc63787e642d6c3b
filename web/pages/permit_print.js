// pages/permit_print.js — the printable permit (/permits/{id}/print), laid
// out like the appendix forms of GB 30871: one table with 作业票编号, 作业内容,
// 地点, 时间, 作业人及证号, 监护人, 气体分析 (时间/部位/结果/分析人), 安全措施
// (确认), 审批 (岗位/审批人/时间), 完工验收; the QR code of the permit's live
// page (GET /api/v1/permits/{id}/qr.svg, an <img>) and the verdicts of the
// rules. The @media print rules of app.css hide the shell, so the browser
// prints one clean page.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, fmtTime } from '../ui.js';
import * as session from '../session.js';
import { typeName, gradeName, stateName, postName, certTypeName, personName, fmtRange, evidenceText } from './permit_ui.js';

export async function render(main, ctx) {
  const id = Number(ctx.params[0]);
  const p = await api('GET', '/permits/' + id);
  const rec = p.record || {};
  const units = await session.units().catch(() => []);
  const ids = new Set([p.applicant_person_id, p.guardian_person_id, ...(rec.gas || []).map((g) => g.analyst_person_id),
    ...(rec.approvals || []).map((a) => a.person_id), ...(rec.measures || []).map((m) => m.confirmed_person_id)].filter(Boolean));
  const names = new Map(await Promise.all([...ids].map(async (x) => [x, await personName(x)])));
  const who = (x) => (x ? names.get(x) || '#' + x : '');
  const eff = (p.verdicts && p.verdicts.effective_grade) || p.effective_grade || '';
  const row = (label, ...cells) => h('tr', null, h('th', { scope: 'row' }, label), h('td', { colspan: cells.length === 1 ? 3 : null }, cells[0]),
    cells.length > 1 ? [h('th', { scope: 'row' }, cells[1]), h('td', null, cells[2])] : null);
  const sub = (heads, rows, empty) => h('table', { class: 'pm-sub' }, h('thead', null, h('tr', null, heads.map((x) => h('th', null, x)))),
    h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: heads.length, class: 'muted' }, empty || '—'))));
  const closeEv = (p.timeline || []).filter((e) => ['close', 'cancel', 'expire'].includes(e.kind)).pop();
  const sigs = (rec.signatures || []);
  const sigOf = (role) => sigs.filter((s) => s.role === role).map((s) => h('img', { class: 'pm-print-sig', src: '/api/v1/attachments/' + s.attachment_id, alt: t('pm.sign.role.' + role, null, role) }));
  const sigAt = (role, at) => sigs.filter((s) => s.role === role && s.at_ms === at).map((s) => h('img', { class: 'pm-print-sig', src: '/api/v1/attachments/' + s.attachment_id, alt: t('pm.sign.role.' + role, null, role) }));
  const qr = h('img', { class: 'pm-print-qr', id: 'pm-print-qr', src: '/api/v1/permits/' + p.id + '/qr.svg', alt: t('pm.print.qr'), width: 150, height: 150 });
  const failing = ((p.verdicts && p.verdicts.verdicts) || []);

  main.appendChild(h('div', { class: 'no-print page-actions pm-print-actions' },
    h('a', { href: '/permits/' + p.id, 'data-link': '', class: 'btn' }, t('pm.print.back')),
    h('button', { type: 'button', class: 'btn btn-primary', id: 'pm-print-btn', onclick: () => window.print() }, t('pm.print.do'))));
  main.appendChild(h('article', { class: 'pm-print', id: 'pm-print', dataset: { permitId: p.id } },
    h('div', { class: 'pm-print-head' },
      h('div', null, h('h1', null, t('pm.print.title', { type: typeName(p.type) })),
        h('p', { class: 'small' }, t('pm.print.profile', { profile: p.profile }), ' · ', stateName(p.state))),
      h('figure', { class: 'pm-print-qrbox' }, qr, h('figcaption', { class: 'small' }, t('pm.print.scan')))),
    h('table', { class: 'pm-form' }, h('tbody', null,
      row(t('pm.print.code'), h('strong', null, p.code), t('pm.print.grade'),
        gradeName(p.grade) + (eff && eff !== p.grade ? ' → ' + gradeName(eff) : '')),
      row(t('pm.print.content'), p.title),
      row(t('pm.print.place'), (session.unitName(units, p.unit_id) || '') + ' · ' + p.location),
      row(t('pm.print.time'), fmtRange(p.planned_start, p.planned_end) + (p.activated_at ? ' · ' + t('pm.activated_at') + ' ' + fmtTime(p.activated_at) : '')),
      row(t('pm.print.applicant'), h('span', null, who(p.applicant_person_id), ' ', sigOf('applicant'))),
      row(t('pm.print.workers'), sub([t('pm.print.name'), t('pm.print.cert_type'), t('pm.print.cert_no')],
        (rec.workers || []).map((w) => h('tr', null, h('td', null, w.name), h('td', null, w.cert_type ? certTypeName(w.cert_type) : '—'), h('td', null, w.cert_no || '—'))))),
      row(t('pm.print.guardian'), h('span', null, who(p.guardian_person_id), rec.guardian_checkin_at ? ' · ' + t('pm.checked_in_at', { time: fmtTime(rec.guardian_checkin_at) }) : '', ' ', sigOf('guardian'))),
      row(t('pm.print.gas'), sub([t('pm.gas.at'), t('pm.gas.position'), t('pm.print.result'), t('pm.gas.by')],
        (rec.gas || []).map((g) => h('tr', null, h('td', null, fmtTime(g.at_ms)),
          h('td', null, g.position ? t('pm.gas.pos.' + g.position, null, g.position) : (g.portable ? t('pm.gas.portable') : '—')),
          h('td', null, t('pm.gas.kind.' + g.kind, null, g.kind) + (g.substance ? '(' + g.substance + ')' : '') + ' ' + g.value + ' ' + g.unit),
          h('td', null, who(g.analyst_person_id) || g.recorded_by))))),
      row(t('pm.print.measures'), sub([t('pm.print.no'), t('pm.print.measure'), t('pm.print.confirmed')],
        (rec.measures || []).map((m, i) => h('tr', null, h('td', null, String(i + 1)), h('td', null, m.item),
          h('td', { class: 'pm-tick' }, m.not_applicable ? t('pm.measure.na') : m.confirmed_at_ms ? '✓ ' + who(m.confirmed_person_id) : ''))))),
      row(t('pm.print.approvals'), sub([t('pm.f.post'), t('pm.print.approver'), t('pm.print.at'), t('pm.f.opinion')],
        (rec.approvals || []).map((a) => h('tr', { dataset: { post: a.post } }, h('td', null, postName(a.post)), h('td', null, who(a.person_id), ' ', sigAt('approver', a.at_ms)),
          h('td', null, fmtTime(a.at_ms)), h('td', null, a.opinion || ''))), t('pm.print.no_approvals'))),
      row(t('pm.print.completion'), closeEv ? h('span', null, t('pm.ev.' + closeEv.kind, null, closeEv.kind), ' · ', fmtTime(closeEv.at), ' · ',
        (closeEv.detail && closeEv.detail.body && (closeEv.detail.body.note || closeEv.detail.body.reason)) || (closeEv.detail && closeEv.detail.reason) || rec.close_note || '', ' ', sigOf('close'))
        : h('span', { class: 'muted' }, t('pm.print.not_closed'))),
    )),
    h('section', { class: 'pm-print-verdicts' }, h('h2', null, t('pm.verdicts')),
      h('table', { class: 'pm-sub' }, h('thead', null, h('tr', null, [t('pm.print.rule'), t('pm.print.result'), t('pm.print.clause'), t('pm.print.evidence')].map((x) => h('th', null, x)))),
        h('tbody', null, failing.map((v) => h('tr', { class: 'pm-' + v.result, dataset: { rule: v.rule } }, h('td', null, t('pm.rule.' + v.rule, null, v.rule)),
          h('td', null, t('pm.result.' + v.result)), h('td', null, v.clause), h('td', null, evidenceText(v.evidence || '')))))))));
}
