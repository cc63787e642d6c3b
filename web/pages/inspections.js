// pages/inspections.js — /inspections: today's checks (隐患排查) of the
// signed-in user on a phone. GET /inspections?mine=1 with from/to = now lists
// the checks whose period holds this moment for the caller's posts and grids
// (docs/internals/hazard.md "Inspection tasks"). Each pending check is a form:
// per item 合格 / 不合格, a note and photos taken with the camera (uploaded
// to /attachments first, as on the hazard report form); submit posts
// /inspections/{id}/actions/complete. A done check shows its results, and a
// failed item links to the hidden danger it opened.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, formError, clearErrors, showError, busy, toast, pageHead, badge, emptyState, fmtTime } from '../ui.js';
import { photoField } from './hazard_ui.js';

const stateKind = { pending: 'warn', done: 'ok', missed: 'danger' };

export async function render(main) {
  const now = new Date();
  const from = now.toISOString();
  const to = new Date(now.getTime() + 1000).toISOString();
  const list = await api('GET', '/inspections' + qs({ mine: 1, from, to, limit: 200 }));
  const items = (list && list.items) || [];
  const page = h('div', { class: 'page narrow', id: 'inspections' },
    pageHead(t('insp.title')), h('p', { class: 'muted' }, t('insp.intro')));
  if (!items.length) page.appendChild(emptyState(t('insp.empty')));
  // Pending first, then done and missed.
  items.sort((a, b) => (a.state === 'pending' ? 0 : 1) - (b.state === 'pending' ? 0 : 1) || a.id - b.id);
  for (const it of items) page.appendChild(card(it));
  main.appendChild(page);
}

function head(it) {
  return h('div', { class: 'insp-head' },
    h('strong', null, it.unit_name || ''), ' ',
    badge(t('insp.state.' + it.state), stateKind[it.state]), ' ',
    h('span', { class: 'muted' }, t('insp.window', { from: fmtTime(it.window_start), to: fmtTime(it.window_end) })));
}

function card(it) {
  const box = h('section', { class: 'card insp-card', dataset: { inspectionId: it.id, state: it.state } });
  if (it.state !== 'pending') {
    box.append(head(it), results(it));
    return box;
  }
  const rows = (it.items || []).map((text, i) => itemRow(it, text, i));
  const form = h('form', { class: 'form', novalidate: true },
    formError(), ...rows.map((r) => r.node),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary insp-submit' }, t('insp.submit'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].ok() === null) return showError(form, { field: `items[${i}].ok`, message: t('insp.need.choice') });
      if (rows[i].photos.pending()) return showError(form, { field: `items[${i}].photo_ids`, message: t('hz.photo.wait') });
    }
    const body = { items: rows.map((r) => {
      const o = { ok: r.ok() };
      const note = r.note.value.trim();
      if (note) o.note = note;
      const ids = r.photos.ids();
      if (ids.length) o.photo_ids = ids;
      return o;
    }) };
    busy(form, async () => {
      try {
        const done = await api('POST', `/inspections/${it.id}/actions/complete`, body);
        toast(done.hazard_ids && done.hazard_ids.length ? t('insp.done.hazards', { n: done.hazard_ids.length }) : t('insp.done'), 'ok');
        box.replaceWith(card(done));
      } catch (e) {
        showError(form, e);
      }
    });
  });
  box.append(head(it), form);
  return box;
}

// One check item: 合格 / 不合格, a note, photos.
function itemRow(it, text, i) {
  const name = `items[${i}]`;
  let ok = null;
  const okBtn = h('button', { type: 'button', class: 'btn insp-ok', 'aria-pressed': 'false' }, '✓ ', t('insp.ok'));
  const badBtn = h('button', { type: 'button', class: 'btn insp-bad', 'aria-pressed': 'false' }, '✗ ', t('insp.bad'));
  const pick = (v) => {
    ok = v;
    okBtn.setAttribute('aria-pressed', String(v === true));
    badBtn.setAttribute('aria-pressed', String(v === false));
    okBtn.classList.toggle('btn-primary', v === true);
    badBtn.classList.toggle('btn-danger', v === false);
    node.dataset.result = v ? 'ok' : 'bad';
    const slot = node.querySelector('.field');
    slot.classList.remove('has-error');
    slot.querySelector('.field-error').textContent = '';
  };
  okBtn.addEventListener('click', () => pick(true));
  badBtn.addEventListener('click', () => pick(false));
  const note = h('textarea', { name: name + '.note', class: 'input insp-note', rows: 2, maxlength: 2000, placeholder: t('insp.note') });
  const photos = photoField(name + '.photo_ids', t('hz.photos'), () => it.unit_id, { max: 20 });
  const node = h('div', { class: 'insp-item', dataset: { item: i } },
    h('div', { class: 'field', dataset: { field: name + '.ok' } },
      h('span', { class: 'label' }, (i + 1) + '. ' + text),
      h('div', { class: 'insp-choice' }, okBtn, ' ', badBtn),
      h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'field', dataset: { field: name + '.note' } }, note, h('div', { class: 'field-error', role: 'alert' })),
    photos.node);
  return { node, ok: () => ok, note, photos };
}

function results(it) {
  const rs = it.results || [];
  if (!rs.length) return h('p', { class: 'muted' }, t('insp.none'));
  return h('ol', { class: 'insp-results' }, rs.map((r) => h('li', { dataset: { ok: String(!!r.ok) } },
    r.item, ' — ', r.ok ? badge(t('insp.ok'), 'ok') : badge(t('insp.bad'), 'danger'),
    r.note ? h('span', { class: 'muted' }, ' ', r.note) : null,
    r.hazard_id ? h('span', null, ' ', h('a', { href: '/hazards/' + r.hazard_id, 'data-link': '', class: 'insp-hazard-link' },
      t('insp.hazard', { id: r.hazard_id }))) : null)));
}
