// pages/permit_ui.js — what the special-work permit pages (特殊作业票; issue 5
// item 8: permits.js, permit_apply.js, permit.js, permit_print.js) share:
// the words for types, states, grades, posts and certificate types; the
// verdict list of the compliance engine (every rule with pass/fail/na, its
// clause and its evidence; GET /permits/{id}/precheck and the "verdicts" of a
// 409 refusal); countdowns; and the drawn signature (a canvas whose PNG is
// uploaded to POST /attachments, the id then sent as signature_attachment_id).
// Not a page: it exports no render().
import { api, qs } from '../api.js';
import { t, lang } from '../i18n.js';
import { h, clear, badge, errorNode } from '../ui.js';

export const TYPES = ['hot_work', 'confined_space', 'blind_plate', 'work_at_height', 'lifting',
  'temporary_power', 'excavation', 'road_closure'];
export const STATES = ['draft', 'applied', 'identified', 'tested', 'approved', 'active', 'suspended',
  'closed', 'cancelled', 'expired'];
export const TERMINAL = ['closed', 'cancelled', 'expired'];

export const typeName = (ty) => t('pm.type.' + ty, null, ty);
export const stateName = (s) => t('pm.state.' + s, null, s);
export function gradeName(g) {
  if (g === null || g === undefined || g === '') return '';
  return t('pm.grade.' + g, null, String(g));
}
// A post code, or a chain entry with alternatives ("plant_manager|chief_engineer").
export function postName(code) {
  return String(code || '').split('|').map((c) => t('pm.post.' + c, null, c)).join(' / ');
}
export const certTypeName = (c) => t('pm.cert.' + c, null, c);

export function stateBadge(s) {
  return h('span', { class: 'badge pm-state pm-state-' + s, dataset: { state: s } }, stateName(s));
}

// The grade the permit was applied for and, when the rules judge it higher
// (night, rest day, holiday, hot tapping), the grade in force.
export function gradeBadges(p, verdicts) {
  const eff = (verdicts && verdicts.effective_grade) || p.effective_grade || '';
  const out = [];
  if (p.grade) out.push(badge(gradeName(p.grade), 'kind'));
  if (eff && eff !== p.grade) out.push(badge(t('pm.effective_grade', { grade: gradeName(eff) }), 'warn pm-upgraded'));
  return out;
}

// ---- verdicts ---------------------------------------------------------------

// The report of the compliance engine as a list: one row per rule with its
// result (pass / fail / na), the rule, its clause (and whether the number is
// confirmed), and the evidence. failingField (a 409's error.field) marks the
// rule that refused.
// later(v): a failing rule that a later step of the lifecycle settles (the
// measures, the gas test, the approvals), shown as 待办 rather than as a fault.
export function verdictList(report, failingField, later) {
  const vs = (report && report.verdicts) || [];
  const isLater = (v) => v.result === 'fail' && !!later && later(v);
  const rank = (v) => (v.result === 'fail' ? (isLater(v) ? 1 : 0) : v.result === 'pass' ? 2 : 3);
  const sorted = vs.slice().sort((a, b) => rank(a) - rank(b));
  return h('ul', { class: 'pm-verdicts' }, sorted.map((v) =>
    h('li', { class: 'pm-verdict pm-' + v.result + (isLater(v) ? ' pm-later' : '') + (failingField && v.rule === failingField ? ' pm-refused' : ''),
      dataset: { rule: v.rule, result: v.result, later: isLater(v) ? '1' : null } },
      h('span', { class: 'badge pm-result pm-result-' + (isLater(v) ? 'later' : v.result) }, t('pm.result.' + (isLater(v) ? 'later' : v.result))),
      h('div', { class: 'pm-verdict-main' },
        // the rule's id stays on its name (hover, print) for whoever audits the rules
        h('div', { class: 'pm-verdict-rule' }, h('strong', { title: v.rule }, t('pm.rule.' + v.rule, null, v.rule))),
        v.evidence ? h('div', { class: 'pm-evidence' }, evidenceText(v.evidence)) : null,
        h('div', { class: 'pm-clause muted small' }, v.clause || '',
          v.confirmed === false ? ' · ' + t('pm.unconfirmed') : '')))));
}

// The engine writes its evidence in both languages, "中文 (English)": the
// reader's half. A parenthesis of plain ASCII with a letter is the English.
const EN_PART = /\s*\(([\x20-\x7e]*[A-Za-z][\x20-\x7e]*)\)/g;
export function evidenceText(s) {
  // a certificate type it names by its code reads as the certificate's name
  if (lang() !== 'en') return s.replace(EN_PART, '').trim().replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (c) => certTypeName(c));
  const en = [...s.matchAll(EN_PART)].map((m) => m[1]);
  return en.length ? en.join('; ') : s;
}

// Is a failing verdict one that the steps after submitting settle?
export const APPLICATION_FIELD = /^(planned|grade|workers|height|mass|serves|extension|guardian|continuous_monitor)/;
export const laterStep = (v) => !APPLICATION_FIELD.test(v.field || '');

// The grade in force and why it was raised, and the approval chain.
export function gradeAndChain(report, approvals) {
  if (!report) return null;
  const done = (approvals || []).map((a) => a.post);
  const chain = (report.required_posts || []);
  return h('div', { class: 'pm-grade-chain' },
    report.effective_grade ? h('p', { id: 'pm-effective-grade', dataset: { grade: report.effective_grade } },
      t('pm.effective_grade', { grade: gradeName(report.effective_grade) }),
      report.upgrade_reason ? h('span', { class: 'pm-upgrade muted' }, ' — ' + t('pm.upgraded_because', { reason: report.upgrade_reason })) : null) : null,
    chain.length ? h('div', { class: 'pm-chain', id: 'pm-chain' }, h('span', { class: 'label' }, t('pm.chain')),
      h('ol', { class: 'pm-chain-list' }, chain.map((entry) => {
        const ok = done.some((p) => String(entry).split('|').includes(p));
        return h('li', { class: ok ? 'pm-chain-done' : 'pm-chain-open', dataset: { post: entry, done: ok ? '1' : '0' } },
          postName(entry), ok ? ' ✓' : '');
      }))) : null);
}

// The posts of the chain still without an approval.
export function missingPosts(report, approvals) {
  const done = (approvals || []).map((a) => a.post);
  return ((report && report.required_posts) || []).filter((entry) => !done.some((p) => String(entry).split('|').includes(p)));
}

// Conflicting permits (交叉作业) of a pre-check or a refusal.
export function conflictList(conflicts) {
  if (!conflicts || !conflicts.length) return null;
  return h('div', { class: 'pm-conflicts', id: 'pm-conflicts' }, h('h3', null, t('pm.conflicts')),
    h('ul', null, conflicts.map((c) => h('li', { class: 'pm-conflict' + (c.resolved ? ' pm-resolved' : ''), dataset: { permitId: c.permit_id, verdict: c.verdict } },
      h('a', { href: '/permits/' + c.permit_id, 'data-link': '' }, c.code), ' ', typeName(c.type), ' · ', stateName(c.state),
      ' — ', c.reason))));
}

// A refusal by a rule (409 with verdicts) or any other API error, shown in a
// box: the explained error, then the rule that refused and every verdict.
export function refusalNode(err) {
  const body = (err && err.body) || {};
  // the check's report stands beside the error: {error, verdicts: [...], conflicts, ...}
  const rep = Array.isArray(body.verdicts) ? body : null;
  return h('div', { class: 'pm-refusal', dataset: { field: (err && err.field) || '' } },
    errorNode(err, { labels: { conflict: t('pm.conflicts'), state: t('pm.f.state'), post: t('pm.f.post') } }),
    rep ? [verdictList(rep, err.field), conflictList(rep.conflicts)] : null);
}

// ---- time -------------------------------------------------------------------

// "3 小时 05 分" / "-12 分 04 秒" for a number of milliseconds.
export function duration(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const pad = (n) => String(n).padStart(2, '0');
  let out;
  if (d) out = t('pm.dur.dh', { d, h: hh });
  else if (hh) out = t('pm.dur.hms', { h: hh, m: pad(mm), s: pad(s) });
  else out = t('pm.dur.ms', { m: mm, s: pad(s) });
  return (neg ? '-' : '') + out;
}

// The moment the next periodic gas test is due, from the verdicts (the
// gas_periodic rule's interval) and the newest test of the record; null when
// the verdicts show none.
export function retestDue(p) {
  const vs = (p.verdicts && p.verdicts.verdicts) || [];
  const v = vs.find((x) => /^gas_periodic/.test(x.rule) && x.result !== 'na');
  if (!v) return null;
  const m = /interval (\d+)/.exec(v.evidence || '');
  if (!m) return null;
  const gas = ((p.record && p.record.gas) || []).map((g) => g.at_ms || 0);
  if (!gas.length) return null;
  return Math.max(...gas) + Number(m[1]) * 60000;
}

// ---- people -------------------------------------------------------------------

const names = new Map();
export function personName(id) {
  if (!id) return Promise.resolve('');
  if (!names.has(id)) names.set(id, api('GET', '/people/' + id).then((p) => p.name).catch(() => '#' + id));
  return names.get(id);
}
export function personSpan(id, known) {
  const s = h('span', { class: 'person-ref', dataset: { personId: id || '' } }, known || (id ? '#' + id : '—'));
  if (id && !known) personName(id).then((n) => { s.textContent = n; });
  return s;
}

// The posts the signed-in person holds (codes), for choosing what to approve as.
export async function myPosts(me) {
  if (!me || !me.person) return [];
  try {
    const [p, posts] = await Promise.all([api('GET', '/people/' + me.person.id), api('GET', '/posts' + qs({ limit: 200 }))]);
    const ids = new Set(p.post_ids || []);
    return ((posts && posts.items) || []).filter((x) => ids.has(x.id)).map((x) => x.code);
  } catch (e) { return []; }
}

// ---- the drawn signature --------------------------------------------------------

// A signature pad: a canvas drawn with a finger or the mouse (pointer events),
// a clear button. upload(unitId) sends the PNG to /attachments and resolves
// to the attachment id, or null when nothing was drawn.
export function signaturePad(idPrefix) {
  const canvas = h('canvas', { class: 'pm-sign-canvas', id: idPrefix + '-canvas', width: 600, height: 200,
    'aria-label': t('pm.sign.label'), dataset: { drawn: '0' } });
  const ctx2d = canvas.getContext('2d');
  let drawing = false;
  let drawn = false;
  const pos = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height];
  };
  function reset() {
    ctx2d.fillStyle = '#fff';
    ctx2d.fillRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    canvas.dataset.drawn = '0';
  }
  reset();
  canvas.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    drawing = true;
    try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic pointer */ }
    const [x, y] = pos(ev);
    ctx2d.beginPath();
    ctx2d.moveTo(x, y);
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const [x, y] = pos(ev);
    ctx2d.lineWidth = 4;
    ctx2d.lineCap = 'round';
    ctx2d.strokeStyle = '#10233a';
    ctx2d.lineTo(x, y);
    ctx2d.stroke();
    drawn = true;
    canvas.dataset.drawn = '1';
  });
  const stop = () => { drawing = false; };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  const node = h('div', { class: 'field pm-sign', dataset: { field: 'signature_attachment_id' } },
    h('span', { class: 'label' }, t('pm.sign.label')), canvas,
    h('div', { class: 'pm-sign-actions' }, h('span', { class: 'field-hint' }, t('pm.sign.hint')),
      h('button', { type: 'button', class: 'btn btn-small', id: idPrefix + '-clear', onclick: reset }, t('pm.sign.clear'))),
    h('div', { class: 'field-error', role: 'alert' }));
  async function upload(unitId) {
    if (!drawn) return null;
    const blob = await new Promise((res) => canvas.toBlob(res, 'image/png'));
    const a = await api('POST', '/attachments' + qs({ unit_id: unitId, filename: 'signature.png' }), blob, { contentType: 'image/png' });
    return a.id;
  }
  return { node, upload, drawn: () => drawn };
}

// The list of permits as cards (list page, queue).
export function permitCard(p, extra) {
  return h('div', { class: 'row-card pm-card pm-card-' + p.state, dataset: { permitId: p.id, state: p.state, code: p.code } },
    h('div', { class: 'row-main' },
      h('div', { class: 'row-title' }, h('a', { href: '/permits/' + p.id, 'data-link': '', class: 'pm-code' }, p.code),
        stateBadge(p.state), badge(typeName(p.type), 'kind'), gradeBadges(p)),
      h('div', null, p.title),
      h('div', { class: 'row-meta' }, h('span', null, p.location),
        h('span', null, fmtRange(p.planned_start, p.planned_end)))),
    extra || null);
}

export function fmtRange(a, b) {
  const o = { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  const l = document.documentElement.lang || 'zh-CN';
  const f = (v) => (v ? new Date(v).toLocaleString(l, o) : '—');
  return f(a) + ' – ' + f(b);
}

// A person picker: a search box (name, number or phone) over GET /people?q=
// and a select of the people found; preset {id, name} is chosen at first.
// The select carries name; the wrapper is a .field marked data-field=name.
export function personPicker(name, label, preset, hint) {
  const sel = h('select', { name, class: 'input pm-person-select' }, h('option', { value: '' }, t('pm.person.choose')));
  if (preset && preset.id) {
    sel.appendChild(h('option', { value: String(preset.id) }, preset.name || '#' + preset.id));
    sel.value = String(preset.id);
    if (!preset.name) personName(preset.id).then((n) => { sel.options[sel.selectedIndex].textContent = n; });
  }
  const q = h('input', { type: 'search', class: 'input pm-person-q', placeholder: t('pm.person.search'), 'aria-label': t('pm.person.search') });
  let seq = 0;
  let timer = 0;
  async function search() {
    const my = ++seq;
    let items = [];
    try { items = ((await api('GET', '/people' + qs({ q: q.value.trim(), active: 1, limit: 30 }))).items || []); } catch (e) { items = []; }
    if (my !== seq) return;
    const keep = sel.value;
    const keepText = sel.selectedIndex >= 0 ? sel.options[sel.selectedIndex].textContent : '';
    clear(sel).appendChild(h('option', { value: '' }, items.length ? t('pm.person.choose') : t('pm.person.none')));
    for (const p of items) {
      names.set(p.id, Promise.resolve(p.name));
      sel.appendChild(h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : '')));
    }
    if (keep && !items.some((p) => String(p.id) === keep) && !q.value.trim()) sel.appendChild(h('option', { value: keep }, keepText));
    if (q.value.trim() && items.length) sel.value = String(items[0].id);
    else sel.value = keep && [...sel.options].some((o) => o.value === keep) ? keep : '';
    if (sel.value !== keep) sel.dispatchEvent(new Event('change'));
    sel.dataset.searched = q.value.trim();
  }
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  if (!preset || !preset.id) search();
  const wrap = h('div', { class: 'field pm-person', dataset: { field: name } },
    h('label', null, label), q, sel, hint ? h('div', { class: 'field-hint' }, hint) : null,
    h('div', { class: 'field-error', role: 'alert' }));
  return wrap;
}
