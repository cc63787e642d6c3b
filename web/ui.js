// ui.js — small DOM helpers shared by every page: element building without
// innerHTML (so no server text is ever parsed as HTML), form fields with an
// error slot, API errors explained in the page language and shown next to the
// field they name, dialogs, toasts.
// Pages import from here; this module imports only i18n.js.
import { t, has } from './i18n.js';

// h('button', {class: 'btn', onclick: fn, dataset: {id: 3}}, 'text', child, ...)
// Attributes named on* become event listeners (never HTML attributes: the
// CSP forbids inline handlers). Children may be strings, nodes, arrays, null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A labelled form field with an error slot. input must carry a name; the
// wrapper gets data-field=name so showError can find it.
export function field(label, input, hint) {
  const id = input.id || ('f-' + input.name + '-' + Math.random().toString(36).slice(2, 8));
  input.id = id;
  return h('div', { class: 'field', dataset: { field: input.name } },
    h('label', { for: id }, label),
    input,
    hint ? h('div', { class: 'field-hint' }, hint) : null,
    h('div', { class: 'field-error', role: 'alert' }));
}

// A checkbox group: [{value, label}] -> fieldset with data-field=name.
export function checkboxes(name, legend, options, checked) {
  const set = new Set(checked || []);
  return h('fieldset', { class: 'field checks', dataset: { field: name } },
    h('legend', null, legend),
    h('div', { class: 'check-grid' }, options.map((o) =>
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', name, value: o.value, checked: set.has(o.value) }),
        h('span', null, o.label)))),
    h('div', { class: 'field-error', role: 'alert' }));
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function input(name, attrs) {
  return h('input', Object.assign({ name, class: 'input' }, attrs || {}));
}

export function select(name, options, value, attrs) {
  const s = h('select', Object.assign({ name, class: 'input' }, attrs || {}),
    options.map((o) => h('option', { value: String(o.value) }, o.label)));
  if (value !== undefined && value !== null) s.value = String(value);
  return s;
}

// Remove all error marks of a form.
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('.has-error').forEach((e) => e.classList.remove('has-error'));
  const fe = form.querySelector('.form-error');
  if (fe) { fe.textContent = ''; fe.classList.add('hidden'); fe.classList.remove('locked'); }
}

// ---- errors in the reader's language ------------------------------------
// The server's error envelope carries a code (invalid_input, conflict, ...),
// an English message and the field it names. explainError turns it into a
// sentence in the page language that names the field by its label, and keeps
// the server's own words as the detail shown beneath in smaller text. Every
// page shows API errors through showError (in a form), toastError or
// errorNode; checks made in the page itself pass {field, message} already in
// the page language and are shown as they are.

// Field names that name no input a person can correct: the sentence then
// leaves the field out (the server's detail still says it).
// "active" names the state change itself (a deactivation the server refuses).
const TECHNICAL_FIELDS = new Set(['id', 'body', 'path', 'cursor', 'limit', 'q', 'origin', 'Origin',
  'Authorization', 'Content-Type', 'index', 'entity', 'key', 'active']);

// The label of an API field name ("code", "roles[1]", "row 7: code") in the
// page language: a label the page passes (opts.labels {name: label}) first,
// then the label of the form's field marked data-field=name (opts.form), then
// the dictionary (field.<name>), else the name itself.
export function fieldLabel(name, opts) {
  if (!name) return '';
  const o = opts || {};
  const s = String(name);
  const row = /^row\s+(\d+)(?::\s*(.*))?$/i.exec(s);
  if (row) {
    return row[2] ? t('err.row_field', { row: row[1], field: fieldLabel(row[2], { labels: o.labels }) })
      : t('err.row', { row: row[1] });
  }
  const base = s.replace(/\[.*$/, '').split('.')[0];
  if (o.labels && (o.labels[s] || o.labels[base])) return o.labels[s] || o.labels[base];
  if (TECHNICAL_FIELDS.has(base)) return '';
  const slot = o.form ? fieldSlot(o.form, s) : null;
  const lab = slot && slot.querySelector(':scope > label, :scope > legend, :scope > .label');
  if (lab && lab.textContent.trim()) return lab.textContent.trim();
  if (has('field.' + base)) return t('field.' + base);
  return s;
}

// {text, detail, label}: the sentence in the page language, the server's own
// message (or ''), and the field's label (or '').
export function explainError(err, opts) {
  if (!err) return { text: t('err.unknown'), detail: '', label: '' };
  const label = fieldLabel(err.field, opts);
  if (err.status === undefined) return { text: err.message || String(err) || t('err.unknown'), detail: '', label };
  if (err.status === 0) return { text: t('err.network'), detail: '', label: '' };
  let key = 'err.code.' + err.code;
  if (!has(key)) key = err.status >= 500 ? 'err.code.internal_error' : '';
  let text;
  if (!key) text = t('err.status', { status: err.status });
  else if (label && has(key + '.field')) text = t(key + '.field', { field: label });
  else text = t(key);
  const detail = err.message && err.message !== text ? err.message : '';
  return { text, detail, label };
}

// The explained error as inline nodes: the sentence, and beneath it the
// server's message in smaller text.
export function errorNode(err, opts) {
  const x = explainError(err, opts);
  return h('span', { class: 'err' }, h('span', { class: 'err-text' }, x.text),
    x.detail ? h('span', { class: 'err-detail', title: t('err.detail') }, x.detail) : null);
}

export function errorText(err, opts) { return explainError(err, opts).text; }

export function toastError(err, opts) { toast(errorNode(err, opts), 'error'); }

function fieldSlot(form, name) {
  if (!name || /^row\s+\d+/i.test(name)) return null;
  const base = name.replace(/\[.*$/, '').split('.')[0];
  return form.querySelector(`[data-field="${CSS.escape(name)}"]`) ||
         form.querySelector(`[data-field="${CSS.escape(base)}"]`);
}

// Show an error next to the field it names (error.field), else at the form
// level. The API's field may be a JSON name ("username"), a dotted path
// ("roles[1]") or an import row ("row 7: code"; never matched to a form
// field). opts.labels names fields the form does not have.
export function showError(form, err, opts) {
  const name = err && err.field ? String(err.field) : '';
  const slot = fieldSlot(form, name);
  const node = errorNode(err, Object.assign({ form }, opts || {}));
  if (slot) {
    slot.classList.add('has-error');
    clear(slot.querySelector('.field-error')).appendChild(node);
    const ctl = slot.querySelector('input,select,textarea');
    if (ctl) ctl.focus();
    return;
  }
  let fe = form.querySelector('.form-error');
  if (!fe) { fe = h('div', { class: 'form-error', role: 'alert' }); form.prepend(fe); }
  clear(fe).appendChild(node);
  fe.classList.remove('hidden');
}

export function formError() {
  return h('div', { class: 'form-error hidden', role: 'alert' });
}

// Disable the submit buttons of a form while fn runs.
export async function busy(form, fn) {
  const btns = form.querySelectorAll('button');
  btns.forEach((b) => { b.disabled = true; });
  try { return await fn(); } finally { btns.forEach((b) => { b.disabled = false; }); }
}

let toastTimer = 0;
// msg: text or a node (errorNode).
export function toast(msg, kind) {
  const el = document.getElementById('toast');
  clear(el).append(msg);
  el.className = 'toast' + (kind ? ' toast-' + kind : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.add('hidden'), 3500);
}

// A modal dialog. content is a node; returns {dialog, close}. The dialog is
// removed from the document when closed.
export function openDialog(title, content, opts) {
  const close = () => { dlg.close(); };
  const dlg = h('dialog', { class: 'dialog' + (opts && opts.wide ? ' dialog-wide' : '') },
    h('div', { class: 'dialog-head' },
      h('h2', null, title),
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': t('common.close'), onclick: close }, '✕')),
    h('div', { class: 'dialog-body' }, content));
  dlg.addEventListener('close', () => { dlg.remove(); if (opts && opts.onclose) opts.onclose(); });
  document.body.appendChild(dlg);
  dlg.showModal();
  return { dialog: dlg, close };
}

// Ask yes/no in a dialog; resolves true when confirmed.
export function confirmDialog(title, text, okLabel, danger) {
  return new Promise((resolve) => {
    let answered = false;
    const d = openDialog(title, h('div', null,
      h('p', null, text),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'button', class: 'btn ' + (danger ? 'btn-danger' : 'btn-primary'),
          onclick: () => { answered = true; d.close(); } }, okLabel))),
    { onclose: () => resolve(answered) });
  });
}

export function badge(text, kind) {
  return h('span', { class: 'badge' + (kind ? ' badge-' + kind : '') }, text);
}

export function pageHead(title, ...actions) {
  return h('div', { class: 'page-head' }, h('h1', null, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

// A table that reads as one card per row on a phone (CSS .table.stack under
// 600 px): each cell is labelled with its column's heading, and so are rows
// added later ("more"). Returns the table.
export function stackTable(table) {
  if (!(table instanceof HTMLTableElement)) throw new Error('stackTable: not a table: ' + (table && table.id));
  table.classList.add('stack');
  const body = table.tBodies[0], head = table.tHead && table.tHead.rows[0];
  if (!body || !head) return table;
  const label = () => {
    const names = [...head.cells].map((c) => c.textContent.trim());
    for (const tr of body.rows) [...tr.cells].forEach((td, i) => { if (td.colSpan === 1) td.dataset.label = names[i] || ''; });
  };
  label();
  new MutationObserver(label).observe(body, { childList: true });
  return table;
}

export function emptyState(text) {
  return h('p', { class: 'empty' }, text);
}

// Format an RFC 3339 time (or epoch ms) in the page language.
// Who acted, from an evidence-log actor: "account:6" -> 账号 #6, the command
// line and the server's own timers by what they are, a name as it is.
export function actorName(a) {
  const m = /^(account|person):(\d+)$/.exec(a || '');
  if (m) return t(m[1] === 'account' ? 'hz.actor.account' : 'actor.person', { id: m[2] });
  if (a === 'cli') return t('actor.cli');
  if (a === 'anonymous') return t('actor.anonymous');
  if (/^system(:|$)/.test(a || '')) return t('actor.system');
  return a || '';
}

export function fmtTime(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(typeof v === 'number' ? v : String(v));
  if (isNaN(d.getTime())) return String(v);
  return d.toLocaleString(document.documentElement.lang || 'zh-CN', { hour12: false });
}

// ---- ledger exports (docs/internals/web.md "Export buttons") ----
// exportButtons(pathWithQuery, idPrefix): "导出 Excel" and "导出 CSV" links to
// /api/v1 + path + format=xlsx|csv, the same list with the same filters as
// the page (the session cookie authenticates the download; ?limit= and
// ?cursor= are dropped: an export holds every row up to the server's cap).
// pathWithQuery is "/people?unit_id=3" or a function returning it, read again
// each time a link is used, so the files follow the filters the page shows.
export function exportHref(pathWithQuery, format) {
  const [path, query] = String(pathWithQuery).split('?');
  const params = new URLSearchParams(query || '');
  params.delete('limit'); params.delete('cursor'); params.delete('format');
  params.set('format', format);
  return '/api/v1' + path + '?' + params.toString();
}

export function exportButtons(pathWithQuery, idPrefix) {
  const current = () => (typeof pathWithQuery === 'function' ? pathWithQuery() : pathWithQuery);
  const link = (format, label) => {
    const a = h('a', { class: 'btn btn-export', download: '', href: exportHref(current(), format),
      id: idPrefix ? idPrefix + '-export-' + format : null, dataset: { export: format } }, label);
    const refresh = () => { a.href = exportHref(current(), format); };
    a.addEventListener('click', refresh);
    a.addEventListener('focus', refresh);
    a.addEventListener('mouseenter', refresh);
    return a;
  };
  return h('span', { class: 'export-buttons' },
    link('xlsx', t('export.xlsx')), link('csv', t('export.csv')));
}
