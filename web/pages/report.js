// pages/report.js — the anonymous report (匿名举报) for the phone, with no
// sign-in: /report sends one, /report/follow reads it back with the receipt
// code. Nothing here identifies the reporter: the page keeps no cookie or
// storage, photos are redrawn on a canvas before they leave the phone (which
// drops EXIF: GPS, camera serial) and the server strips them again. The
// receipt code is shown once; the server keeps only its hash.
//   GET  /public/report-form  POST /public/reports
//   POST /public/reports/follow | message | rate | redeem   GET /public/rewards
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, select, clearErrors, showError, busy, fmtTime, toast } from '../ui.js';

const MAX_SIDE = 1600;

// A photo redrawn at most MAX_SIDE px on its long side, as JPEG base64
// (no metadata survives a canvas).
function redraw(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      const k = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(img.naturalWidth * k));
      c.height = Math.max(1, Math.round(img.naturalHeight * k));
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(url);
      resolve(c.toDataURL('image/jpeg', 0.85));
    };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error(t('vr.photo_bad'))); };
    img.src = url;
  });
}

function privacyNote() {
  return h('p', { class: 'muted vr-privacy', id: 'vr-privacy' }, '🔒 ', t('vr.privacy'));
}

export async function render(main, ctx) {
  const form = await api('GET', '/public/report-form', undefined, { noRedirect: true });
  const groups = new Map();
  for (const u of form.units) {
    if (!groups.has(u.enterprise)) groups.set(u.enterprise, []);
    groups.get(u.enterprise).push(u);
  }
  const unitSel = h('select', { name: 'unit_id', class: 'input', id: 'report-unit', required: true },
    h('option', { value: '' }, t('vr.choose')),
    [...groups.entries()].map(([ent, us]) => h('optgroup', { label: ent },
      us.map((u) => h('option', { value: String(u.id) }, u.name)))));
  const catSel = select('category', [{ value: '', label: t('vr.choose') },
    ...form.categories.map((c) => ({ value: c.key, label: t('vr.cat.' + c.key, null, c.name) }))], '', { id: 'report-category' });
  const text = h('textarea', { name: 'text', class: 'input', rows: 5, maxlength: 4000, id: 'report-text', required: true });
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true, id: 'report-photos', class: 'input' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'report-submit' }, t('vr.send'));
  const f = h('form', { id: 'report-form', novalidate: true },
    field(t('vr.unit'), unitSel), field(t('vr.category'), catSel),
    field(t('vr.text'), text, t('vr.text_hint')),
    field(t('vr.photos'), photos, t('vr.photos_hint', { n: form.max_photos })),
    submit);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(f);
    busy(f, async () => {
      try {
        const files = [...(photos.files || [])];
        if (files.length > form.max_photos) throw Object.assign(new Error(t('vr.photos_many', { n: form.max_photos })), { field: 'photos' });
        const pics = [];
        for (const file of files) pics.push(await redraw(file));
        const body = { unit_id: Number(unitSel.value) || 0, category: catSel.value, text: text.value };
        if (!body.unit_id) throw Object.assign(new Error(t('vr.choose_unit')), { field: 'unit_id' });
        if (!body.category) throw Object.assign(new Error(t('vr.choose_category')), { field: 'category' });
        if (pics.length) body.photos = pics;
        const r = await api('POST', '/public/reports', body, { noRedirect: true });
        shown(main, r, form.reply_hours);
      } catch (e) {
        showError(f, e);
      }
    });
  });
  main.replaceChildren(h('section', { class: 'card narrow vr' },
    h('h1', null, t('vr.title')), h('p', { class: 'muted' }, t('vr.intro', { hours: form.reply_hours })),
    privacyNote(), f,
    h('p', null, h('a', { href: '/report/follow', 'data-link': '', id: 'report-follow-link' }, t('vr.follow_link')))));
}

// The receipt code, once.
function shown(main, r, hours) {
  const code = h('div', { class: 'vr-code', id: 'report-code' }, r.receipt_code);
  const copy = h('button', { type: 'button', class: 'btn', id: 'report-copy' }, t('vr.copy'));
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(r.receipt_code); toast(t('vr.copied')); } catch (e) { /* select instead */ }
  });
  main.replaceChildren(h('section', { class: 'card narrow vr', id: 'report-sent' },
    h('h1', null, t('vr.sent')),
    h('p', null, t('vr.sent_text', { number: r.number, hours })),
    code, h('p', { class: 'vr-warn' }, '⚠ ', t('vr.code_once')), copy,
    h('p', null, h('a', { href: '/report/follow', 'data-link': '', class: 'btn btn-primary btn-block' }, t('vr.follow_link')))));
}

const STATE = { open: 'vr.state.open', answered: 'vr.state.answered', closed: 'vr.state.closed' };

export async function follow(main) {
  const codeIn = h('input', { name: 'code', class: 'input vr-code-input', id: 'follow-code', autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', placeholder: 'XXXX-XXXX-XXXX-XXXX-XXXX' });
  const f = h('form', { id: 'follow-form', novalidate: true }, field(t('vr.code'), codeIn),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'follow-submit' }, t('vr.open')));
  const out = h('div', { id: 'follow-out' });
  let code = '';
  async function load(call, body) {
    const r = await api('POST', '/public/reports/' + call, Object.assign({ code }, body || {}), { noRedirect: true });
    draw(r);
    return r;
  }
  function draw(r) {
    const msgs = h('ol', { class: 'vr-msgs', id: 'follow-messages' }, (r.messages || []).map((m) =>
      h('li', { class: 'vr-msg vr-msg-' + m.author, dataset: { author: m.author } },
        h('div', { class: 'vr-msg-who' }, t('vr.author.' + m.author), ' · ', fmtTime(m.at)),
        h('div', { class: 'vr-msg-body' }, m.body))));
    const parts = [
      h('h2', null, r.number, ' ', h('span', { class: 'badge', id: 'follow-state', dataset: { state: r.state } }, t(STATE[r.state] || r.state))),
      h('p', { class: 'muted' }, r.unit_name, ' · ', t('vr.cat.' + r.category, null, r.category_name), ' · ', fmtTime(r.created_at)),
      h('p', { class: 'vr-text' }, r.text),
      r.state === 'open' ? h('p', { class: r.overdue ? 'vr-warn' : 'muted', id: 'follow-due' },
        t(r.overdue ? 'vr.overdue' : 'vr.due', { at: fmtTime(r.due_at) })) : null,
      r.hazard_code ? h('p', null, t('vr.hazard', { code: r.hazard_code })) : null,
      msgs.children.length ? msgs : h('p', { class: 'muted' }, t('vr.no_reply')),
    ];
    if (r.first_reply_at && !r.rating) {
      const rate = h('div', { class: 'vr-rate', id: 'follow-rate' }, h('span', null, t('vr.rate')),
        [1, 2, 3, 4, 5].map((n) => {
          const b = h('button', { type: 'button', class: 'btn', dataset: { rating: String(n) }, 'aria-label': t('vr.stars', { n }) }, '★'.repeat(n));
          b.addEventListener('click', () => load('rate', { rating: n }).catch((e) => toast(e.message, 'error')));
          return b;
        }));
      parts.push(rate);
    } else if (r.rating) {
      parts.push(h('p', { id: 'follow-rating' }, t('vr.rated', { n: r.rating }), ' ', '★'.repeat(r.rating)));
    }
    if (r.state !== 'closed') {
      const more = h('textarea', { name: 'text', class: 'input', rows: 3, maxlength: 4000, id: 'follow-text' });
      const mf = h('form', { id: 'follow-message', novalidate: true }, field(t('vr.more'), more),
        h('button', { type: 'submit', class: 'btn' }, t('vr.send_more')));
      mf.addEventListener('submit', (ev) => {
        ev.preventDefault();
        clearErrors(mf);
        busy(mf, () => load('message', { text: more.value }).catch((e) => showError(mf, e)));
      });
      parts.push(mf);
    }
    const pts = r.points || { balance: 0, earned: 0 };
    const pbox = h('div', { class: 'vr-points', id: 'follow-points' },
      h('h3', null, t('vr.points', { n: pts.balance })), h('p', { class: 'muted' }, t('vr.points_hint')));
    parts.push(pbox);
    if (pts.balance > 0) {
      api('GET', '/public/rewards', undefined, { noRedirect: true }).then((rw) => {
        for (const it of rw.items) {
          const b = h('button', { type: 'button', class: 'btn', disabled: it.cost > pts.balance, dataset: { item: String(it.id) } },
            t('vr.redeem', { name: it.name, cost: it.cost }));
          b.addEventListener('click', async () => {
            try {
              const x = await api('POST', '/public/reports/redeem', { code, item_id: it.id }, { noRedirect: true });
              toast(t('vr.redeemed', { no: x.pickup_no }));
              await load('follow');
            } catch (e) { toast(e.message, 'error'); }
          });
          pbox.appendChild(b);
        }
      }).catch(() => {});
    }
    out.replaceChildren(h('section', { class: 'card vr', id: 'follow-report' }, parts));
  }
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(f);
    code = codeIn.value.trim();
    busy(f, () => load('follow').catch((e) => showError(f, e, { labels: { code: t('vr.code') } })));
  });
  main.replaceChildren(h('div', { class: 'narrow' }, h('section', { class: 'card vr' },
    h('h1', null, t('vr.follow_title')), privacyNote(), f), out));
}
