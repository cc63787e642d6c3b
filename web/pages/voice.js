// pages/voice.js — the safety staff's inbox of anonymous reports (/voice) and
// one report (/voice/{id}): the text, photos (already without EXIF), the
// conversation, and the actions reply / reply and close / 属实 or not / turn
// into a hidden danger. voice.read lists, voice.answer acts (the server
// decides; a refusal shows). The reporter is never named: there is no one to
// name.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, clearErrors, showError, busy, fmtTime, toast, pageHead, emptyState, badge } from '../ui.js';

const FILTERS = ['open', 'overdue', 'answered', 'closed', ''];

export async function render(main, ctx) {
  const q = new URLSearchParams(location.search);
  const state = q.has('state') ? q.get('state') : 'open';
  const [list, stats] = await Promise.all([
    api('GET', '/voice/reports' + (state ? '?state=' + encodeURIComponent(state) : '')),
    api('GET', '/voice/stats'),
  ]);
  const tabs = h('div', { class: 'vr-tabs', id: 'voice-tabs' }, FILTERS.map((s) =>
    h('a', { href: '/voice' + (s === 'open' ? '' : '?state=' + s), 'data-link': '', class: 'btn' + (s === state ? ' btn-primary' : ''), dataset: { state: s } },
      t('vo.filter.' + (s || 'all')), s && stats[s] !== undefined ? ' (' + stats[s] + ')' : '')));
  const rows = list.items.map((r) => h('a', { href: '/voice/' + r.id, 'data-link': '', class: 'row-card vr-row', dataset: { id: String(r.id) } },
    h('div', null, h('strong', null, r.number), ' ', badge(t('vr.state.' + r.state), r.overdue ? 'danger' : r.state === 'open' ? 'warn' : 'ok'),
      r.overdue ? badge(t('vo.overdue'), 'danger') : null, ' ', timeLeft(r),
      h('div', { class: 'muted' }, r.unit_name, ' · ', t('vr.cat.' + r.category, null, r.category_name), ' · ', fmtTime(r.created_at))),
    h('div', { class: 'vr-row-text' }, r.text.length > 80 ? r.text.slice(0, 80) + '…' : r.text)));
  main.replaceChildren(pageHead(t('vo.title')), tabs,
    h('div', { id: 'voice-list' }, rows.length ? rows : emptyState(t('vo.empty'))));
}

// The 72-hour answer of an unanswered report: the time left, or how late.
function timeLeft(r) {
  if (r.state !== 'open' || r.first_reply_at || !r.due_at) return null;
  const ms = Date.parse(r.due_at) - Date.now();
  const hrs = Math.floor(Math.abs(ms) / 3600000);
  const text = ms < 0 ? t('vo.late_h', { h: Math.max(1, hrs) }) : hrs >= 1 ? t('vo.left_h', { h: hrs }) : t('vo.left_m', { m: Math.max(1, Math.floor(ms / 60000)) });
  return h('span', { class: ms < 0 || hrs < 12 ? 'vr-warn vr-left' : 'muted vr-left' }, text);
}

export async function one(main, ctx) {
  const id = ctx.params[0];
  let r = await api('GET', '/voice/reports/' + id);
  const draw = () => {
    const msgs = h('ol', { class: 'vr-msgs', id: 'voice-messages' }, r.messages.map((m) =>
      h('li', { class: 'vr-msg vr-msg-' + m.author, dataset: { author: m.author } },
        h('div', { class: 'vr-msg-who' }, m.by || t('vr.author.' + m.author), ' · ', fmtTime(m.at)),
        h('div', { class: 'vr-msg-body' }, m.body))));
    const photos = h('div', { class: 'vr-photos' }, (r.photo_ids || []).map((p) =>
      h('a', { href: '/api/v1/attachments/' + p, target: '_blank', rel: 'noopener' },
        h('img', { src: '/api/v1/attachments/' + p + '/thumb', alt: t('vr.photos'), class: 'vr-thumb' }))));
    const text = h('textarea', { name: 'text', class: 'input', rows: 4, maxlength: 4000, id: 'voice-reply-text' });
    const f = h('form', { id: 'voice-reply-form', novalidate: true }, field(t('vo.reply'), text),
      h('div', { class: 'page-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary', id: 'voice-reply', value: 'reply' }, t('vo.send')),
        h('button', { type: 'submit', class: 'btn', id: 'voice-close', value: 'close' }, t('vo.send_close'))));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(f);
      const close = ev.submitter && ev.submitter.value === 'close';
      busy(f, async () => {
        try { r = await api('POST', `/voice/reports/${id}/actions/reply`, { text: text.value, close }); draw(); toast(t('vo.sent')); }
        catch (e) { showError(f, e); }
      });
    });
    const act = (name, body, okMsg) => async () => {
      try { r = await api('POST', `/voice/reports/${id}/actions/${name}`, body); draw(); toast(okMsg); }
      catch (e) { toast(e.message, 'error'); }
    };
    const valid = h('button', { type: 'button', class: 'btn', id: 'voice-valid' }, t('vo.valid'));
    valid.addEventListener('click', act('judge', { valid: true }, t('vo.judged')));
    const invalid = h('button', { type: 'button', class: 'btn', id: 'voice-invalid' }, t('vo.invalid'));
    invalid.addEventListener('click', act('judge', { valid: false }, t('vo.judged')));
    const toHz = h('button', { type: 'button', class: 'btn', id: 'voice-to-hazard' }, t('vo.to_hazard'));
    toHz.addEventListener('click', act('to_hazard', {}, t('vo.hazard_made')));
    main.replaceChildren(
      pageHead(r.number + ' ' + t('vr.state.' + r.state), h('a', { href: '/voice', 'data-link': '', class: 'btn' }, t('vo.back'))),
      h('section', { class: 'card vr', id: 'voice-report' },
        h('p', { class: 'muted' }, r.unit_name, ' · ', t('vr.cat.' + r.category, null, r.category_name), ' · ', fmtTime(r.created_at),
          ' · ', t('vo.validity.' + r.validity)),
        r.state === 'open' ? h('p', { class: r.overdue ? 'vr-warn' : 'muted' }, t(r.overdue ? 'vr.overdue' : 'vr.due', { at: fmtTime(r.due_at) }),
          r.escalations ? ' · ' + t('vo.escalations', { n: r.escalations }) : '') : null,
        h('p', { class: 'vr-text', id: 'voice-text' }, r.text), photos,
        r.hazard_id ? h('p', null, h('a', { href: '/hazards/' + r.hazard_id, 'data-link': '', id: 'voice-hazard' }, t('vr.hazard', { code: r.hazard_code }))) : null,
        r.rating ? h('p', null, t('vr.rated', { n: r.rating }), ' ', '★'.repeat(r.rating)) : null,
        msgs,
        r.state !== 'closed' ? f : null,
        h('div', { class: 'page-actions' }, r.validity === 'valid' ? null : valid, r.validity === 'pending' ? invalid : null,
          r.hazard_id ? null : toHz)));
  };
  draw();
}
