// pages/hazard_ui.js — the pieces the hidden-danger (隐患) pages share: state
// and grade words and badges, the photo uploader (POST /api/v1/attachments,
// raw body, thumbnails shown), the person picker (/api/v1/people?q=), and the
// form GENERATED from a workflow action's field specs (GET
// /hazards/{id}/actions: [{action, label, to, required:[spec], optional:[spec],
// guards}], spec = {id, type, label, max_len|min|max|values|max_items}). The
// generated form is the low-code point: a custom field an admin adds to the
// workflow definition appears here without a code change. Not a page: it
// exports no render().
import { api, qs } from '../api.js';
import { t, lang, has } from '../i18n.js';
import { h, clear, field, input, select, errorNode, badge } from '../ui.js';

// States of the default lifecycle, in board order (hazard-contract.md).
export const STATES = ['reported', 'assessed', 'assigned', 'rectifying', 'acceptance', 'closed', 'rejected'];
export const OPEN_STATES = ['reported', 'assessed', 'assigned', 'rectifying', 'acceptance'];

// The word for a state: the dictionary's for the states of the default
// lifecycle (so the board, the badge and the timeline agree), else the
// server's state_label (a state an admin added), else the id.
export function stateName(id, serverLabel) {
  return t('hz.state.' + id, null, serverLabel || id);
}

export function gradeBadge(grade) {
  if (grade === 'major') return badge(t('hz.grade.major'), 'major');
  if (grade === 'general') return badge(t('hz.grade.general'), 'general');
  return badge(t('hz.grade.none'), 'off');
}

// Badges of a hazard: state, grade, overdue (已超期), supervised (督办), recurrent (重复).
export function hazardBadges(hz) {
  return [
    badge(stateName(hz.state, hz.state_label), 'state hz-state-' + hz.state),
    gradeBadge(hz.grade),
    hz.overdue ? badge(t('hz.overdue'), 'warn hz-overdue-badge') : null,
    hz.supervision || hz.supervised ? badge(t('hz.supervised'), 'supervised') : null,
    hz.recurrent ? badge(t('hz.recurrent'), 'info') : null,
  ];
}

// The label of a workflow field: the definition's label in Chinese (it may
// be a custom field), the dictionary's in English when it has one.
export function fieldName(spec) {
  const id = typeof spec === 'string' ? spec : spec.id;
  const label = typeof spec === 'string' ? '' : spec.label;
  if (lang() === 'en' && has('field.' + id)) return t('field.' + id);
  if (label) return label;
  return has('field.' + id) ? t('field.' + id) : id;
}

// The word for an enum value: the dictionary (hz.value.<field>.<value>) or the value.
export function valueName(fieldId, v) {
  return t('hz.value.' + fieldId + '.' + v, null, String(v));
}

// ---- time -----------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

// A Date as the value of <input type=datetime-local> (local time, minutes).
export function localInputValue(d) {
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

// "2026-05-31T14:05" (local) -> "2026-05-31T14:05:00+08:00" (RFC 3339 with
// the browser's offset at that moment). '' stays ''.
export function toRfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  if (isNaN(d.getTime())) return '';
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return localInputValue(d) + ':' + pad(d.getSeconds()) + sign + pad(Math.floor(a / 60)) + ':' + pad(a % 60);
}

// ---- photos ---------------------------------------------------------------

// A photo field: <input type=file accept=image/* capture=environment multiple>;
// each chosen file is uploaded at once (POST /attachments?unit_id=&filename=,
// the raw bytes) and shown as a thumbnail that can be removed. unitId() says
// which unit the photos belong to (their scope). Returns {node, ids(),
// pending()} ; node is a .field marked data-field=name.
export function photoField(name, label, unitId, opts) {
  const o = opts || {};
  const max = o.max || 20;
  const ids = [];
  let uploading = 0;
  const file = h('input', { type: 'file', name: name + '__file', class: 'input', accept: 'image/*', capture: 'environment', multiple: true });
  const thumbs = h('div', { class: 'hz-thumbs', dataset: { count: '0' } });
  const status = h('div', { class: 'field-hint hz-upload-status', 'aria-live': 'polite' });
  const errSlot = h('div', { class: 'field-error', role: 'alert' });
  const wrap = h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: 'f-' + name + '-file' }, label), file, status, thumbs, errSlot);
  file.id = 'f-' + name + '-file';

  function refresh() {
    thumbs.dataset.count = String(ids.length);
    status.textContent = uploading ? t('hz.photo.uploading', { n: uploading }) : (ids.length ? t('hz.photo.count', { n: ids.length }) : t('hz.photo.hint'));
  }

  file.addEventListener('change', async () => {
    clear(errSlot); wrap.classList.remove('has-error');
    const files = [...file.files];
    file.value = '';
    const unit = unitId();
    if (!unit) { errSlot.textContent = t('hz.photo.need_unit'); wrap.classList.add('has-error'); return; }
    for (const f of files) {
      if (ids.length + uploading >= max) { errSlot.textContent = t('hz.photo.too_many', { n: max }); break; }
      uploading++; refresh();
      try {
        const a = await api('POST', '/attachments' + qs({ unit_id: unit, filename: f.name || 'photo.jpg' }), f,
          { contentType: f.type || 'application/octet-stream' });
        ids.push(a.id);
        const item = h('div', { class: 'hz-thumb', dataset: { attachmentId: a.id } },
          h('a', { href: a.url, target: '_blank', rel: 'noopener' },
            h('img', { src: a.thumb_url || a.url, alt: a.filename || t('hz.photo'), loading: 'lazy' })),
          h('button', { type: 'button', class: 'btn btn-ghost btn-icon hz-thumb-remove', 'aria-label': t('hz.photo.remove'),
            onclick: () => { const i = ids.indexOf(a.id); if (i >= 0) ids.splice(i, 1); item.remove(); refresh(); } }, '✕'));
        thumbs.appendChild(item);
      } catch (e) {
        wrap.classList.add('has-error');
        clear(errSlot).appendChild(errorNode(e, { labels: { file: f.name || t('hz.photo') } }));
      } finally {
        uploading--; refresh();
      }
    }
  });
  refresh();
  return { node: wrap, ids: () => ids.slice(), pending: () => uploading > 0 };
}

// Thumbnails of stored attachments, each a link to the full image.
export function photoStrip(ids) {
  if (!ids || !ids.length) return null;
  return h('div', { class: 'hz-thumbs hz-photos' }, ids.map((id) =>
    h('a', { class: 'hz-thumb', href: '/api/v1/attachments/' + id, target: '_blank', rel: 'noopener', dataset: { attachmentId: id } },
      h('img', { src: '/api/v1/attachments/' + id + '/thumb', alt: t('hz.photo'), loading: 'lazy' }))));
}

// ---- people ---------------------------------------------------------------

const personCache = new Map();

// The name of a person by id (GET /people/{id}); '#id' when out of scope.
export function personName(id) {
  if (id === null || id === undefined || id === '') return Promise.resolve('');
  if (!personCache.has(id)) {
    personCache.set(id, api('GET', '/people/' + id).then((p) => p.name).catch(() => '#' + id));
  }
  return personCache.get(id);
}

// Remember a name the server sent along (hazard.assignee_name, ...).
export function rememberPerson(id, name) {
  if (id && name && !personCache.has(id)) personCache.set(id, Promise.resolve(name));
}

// A span that fills in with the person's name.
export function personSpan(id) {
  const s = h('span', { class: 'person-ref', dataset: { personId: id } }, id ? '#' + id : '—');
  if (id) personName(id).then((n) => { s.textContent = n; });
  return s;
}

// A person picker: a search box (name, number or phone) and a select of the
// active people found in the caller's scope. The select carries the name.
export function personField(name, label, required, hint) {
  const sel = h('select', { name, class: 'input hz-person-select', required: !!required },
    h('option', { value: '' }, t('hz.person.choose')));
  const q = input('', { type: 'search', class: 'input hz-person-q', placeholder: t('hz.person.search'), 'aria-label': t('hz.person.search') });
  q.removeAttribute('name');
  let seq = 0;
  let timer = 0;
  async function search() {
    const my = ++seq;
    let items = [];
    try {
      const page = await api('GET', '/people' + qs({ q: q.value.trim(), active: 1, limit: 30 }));
      items = (page && page.items) || [];
    } catch (e) { items = []; }
    if (my !== seq) return;
    const keep = sel.value;
    clear(sel).appendChild(h('option', { value: '' }, items.length ? t('hz.person.choose') : t('hz.person.none')));
    for (const p of items) {
      personCache.set(p.id, Promise.resolve(p.name));
      sel.appendChild(h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : '')));
    }
    if (keep && items.some((p) => String(p.id) === keep)) sel.value = keep;
    else if (q.value.trim() && items.length) sel.value = String(items[0].id);
    sel.dispatchEvent(new Event('change'));
  }
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  search();
  const wrap = field(label, sel, hint);
  wrap.classList.add('hz-person');
  wrap.insertBefore(q, sel);
  return wrap;
}

// ---- the generated form ---------------------------------------------------

// One input for a field spec, wrapped in a .field marked data-field=spec.id.
// Returns {node, read()} ; read() -> value, or undefined when left empty.
export function specField(spec, required, ctx) {
  const label = fieldName(spec) + (required ? ' *' : '');
  const id = spec.id;
  let ctl;
  let read;
  switch (spec.type) {
    case 'string': {
      const long = !spec.max_len || spec.max_len > 200;
      ctl = long ? h('textarea', { name: id, class: 'input', rows: 3, maxlength: spec.max_len || null })
        : input(id, { type: 'text', maxlength: spec.max_len || null });
      read = () => (ctl.value.trim() ? ctl.value.trim() : undefined);
      break;
    }
    case 'integer':
      ctl = input(id, { type: 'number', step: 1, inputmode: 'numeric',
        min: spec.min !== undefined ? String(spec.min) : null, max: spec.max !== undefined ? String(spec.max) : null });
      read = () => (ctl.value.trim() === '' ? undefined : Number(ctl.value));
      break;
    case 'date':
      ctl = input(id, { type: 'date' });
      read = () => ctl.value || undefined;
      break;
    case 'time': {
      ctl = input(id, { type: 'datetime-local' });
      // When something happened (rectified_at, accepted_at): default now.
      if (/_at$/.test(id)) ctl.value = localInputValue(new Date());
      read = () => toRfc3339(ctl.value) || undefined;
      break;
    }
    case 'enum': {
      const opts = [{ value: '', label: t('hz.choose') }, ...(spec.values || []).map((v) => ({ value: v, label: valueName(id, v) }))];
      ctl = select(id, opts, '');
      read = () => ctl.value || undefined;
      break;
    }
    case 'boolean': {
      ctl = h('input', { type: 'checkbox', name: id });
      const node = h('div', { class: 'field', dataset: { field: id } },
        h('label', { class: 'check' }, ctl, h('span', { class: 'label' }, label)),
        h('div', { class: 'field-error', role: 'alert' }));
      return { node, read: () => ctl.checked };
    }
    case 'attachments': {
      const p = photoField(id, label, () => ctx && ctx.unitId, { max: spec.max_items || 10 });
      return { node: p.node, read: () => (p.ids().length ? p.ids() : undefined), pending: p.pending };
    }
    case 'person': {
      const node = personField(id, label, required);
      const sel = node.querySelector('select');
      return { node, read: () => (sel.value ? Number(sel.value) : undefined) };
    }
    default:
      ctl = input(id, { type: 'text' });
      read = () => (ctl.value.trim() ? ctl.value.trim() : undefined);
  }
  if (required) ctl.setAttribute('aria-required', 'true');
  const hint = spec.type === 'string' && spec.max_len ? t('hz.max_len', { n: spec.max_len })
    : spec.type === 'integer' && (spec.min !== undefined || spec.max !== undefined)
      ? t('hz.range', { min: spec.min !== undefined ? spec.min : '', max: spec.max !== undefined ? spec.max : '' }) : null;
  return { node: field(label, ctl, hint), read };
}

// The form of one action: its required fields, then its optional ones (in a
// disclosure that is open when the action carries statutory guards, since
// for a 重大 hazard the guards need the 五落实 and 治理方案 items).
// Returns {nodes, collect()} ; collect() -> {values, missing: [id]}.
export function actionFields(action, ctx) {
  const req = (action.required || []).map((s) => ({ spec: s, f: specField(s, true, ctx), required: true }));
  const opt = (action.optional || []).map((s) => ({ spec: s, f: specField(s, false, ctx), required: false }));
  const nodes = req.map((x) => x.f.node);
  if (opt.length) {
    const open = !!(action.guards && action.guards.length) || !req.length || opt.length <= 4;
    nodes.push(h('details', { class: 'hz-optional', open },
      h('summary', null, t('hz.optional', { n: opt.length })), h('div', { class: 'form' }, opt.map((x) => x.f.node))));
  }
  function collect() {
    const values = {};
    const missing = [];
    for (const x of [...req, ...opt]) {
      const v = x.f.read();
      if (v === undefined || (x.spec.type === 'boolean' && v === false && !x.required)) {
        if (x.required && x.spec.type !== 'boolean') missing.push(x.spec.id);
        continue;
      }
      values[x.spec.id] = v;
    }
    return { values, missing, pending: [...req, ...opt].some((x) => x.f.pending && x.f.pending()) };
  }
  return { nodes, collect };
}
