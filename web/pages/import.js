// pages/import.js — bulk import of units, people or the point register (位号)
// from CSV (UTF-8 with or without BOM, or GBK) or Excel (.xlsx). Always a dry
// run first (POST /api/v1/imports/{units|people|points}?dry_run=1): the server
// checks every row
// and, when any is bad, answers 400 with the row errors, shown here in a table;
// nothing is written. Only a clean dry run enables the real import, which is
// all-or-nothing too.
import { api } from '../api.js';
import { t, lang } from '../i18n.js';
import { h, clear, formError, clearErrors, showError, errorNode, fieldLabel, busy, toast, pageHead } from '../ui.js';
import * as session from '../session.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
// Header names the server accepts (Chinese or English, any order); the
// template offered for download uses the page language.
// The points' columns are those of the 位号台账 export, so an exported
// ledger, edited, comes back in; the last four are the alarm response card.
const COLUMNS = {
  zh: { units: ['编码', '名称', '类型', '上级编码', '时区'], people: ['姓名', '工号', '手机', '单位编码', '部门', '岗位'],
    points: ['位号', '名称', '类型', '单位编码', '计量单位', '量程下限', '量程上限', '低低限(LL)', '低限(L)', '高限(H)',
      '高高限(HH)', '回差', '报警延时(毫秒)', '设备编码', '状态', '处置措施', '响应时限(分钟)', '可能原因', '后果'] },
  en: { units: ['code', 'name', 'kind', 'parent_code', 'tz'], people: ['name', 'employee_no', 'phone', 'unit_code', 'department', 'posts'],
    points: ['tag', 'name', 'kind', 'unit_code', 'uom', 'range_low', 'range_high', 'll', 'l', 'h', 'hh', 'deadband',
      'on_delay_ms', 'device_code', 'active', 'action', 'response_min', 'cause', 'consequence'] },
};
const columns = (kind) => COLUMNS[lang()][kind];
// The API names a column by its English name ("row 7: code"): its label in the page language.
const columnLabels = (kind) => Object.fromEntries(COLUMNS.en[kind].map((c, i) => [c, columns(kind)[i]]));

export function render(main) {
  let kind = 'units';
  let checked = null; // the File that passed the dry run
  const fileIn = h('input', { type: 'file', name: 'file', id: 'import-file', class: 'input',
    accept: '.csv,.xlsx,text/csv,' + XLSX });
  const cols = h('code', { id: 'import-columns' }, columns(kind).join(', '));
  const tmpl = h('a', { href: '#', class: 'template-link', id: 'import-template', onclick: (ev) => {
    ev.preventDefault();
    // A UTF-8 CSV with BOM so that Excel opens the Chinese headers correctly.
    const blob = new Blob(['\ufeff' + columns(kind).join(',') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    const a = h('a', { href: URL.createObjectURL(blob), download: 'worksafe-' + kind + '.csv' });
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } }, t('import.template'));
  const result = h('div', { class: 'import-result', id: 'import-result', 'aria-live': 'polite' });
  const runBtn = h('button', { type: 'submit', class: 'btn btn-primary hidden', id: 'import-run', dataset: { step: 'run' } }, t('import.run'));
  const dryBtn = h('button', { type: 'submit', class: 'btn', id: 'import-dry', dataset: { step: 'dry' } }, t('import.dry'));
  const kindRadios = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('import.what') },
    ['units', 'people', 'points'].map((k) => h('label', { class: 'seg' },
      h('input', { type: 'radio', name: 'kind', value: k, checked: k === kind, onchange: () => { kind = k; reset(); } }),
      h('span', null, t('import.kind.' + k)))));
  const form = h('form', { class: 'form', id: 'import-form', novalidate: true },
    formError(),
    h('div', { class: 'field', dataset: { field: 'kind' } }, h('span', { class: 'label' }, t('import.what')), kindRadios),
    h('div', { class: 'field', dataset: { field: 'file' } },
      h('label', { for: 'import-file' }, t('import.file')), fileIn,
      h('div', { class: 'field-hint' }, t('import.columns'), ' ', cols, ' · ', tmpl),
      h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'form-actions' }, dryBtn, runBtn));

  function reset() {
    checked = null;
    cols.textContent = columns(kind).join(', ');
    runBtn.classList.add('hidden');
    clear(result);
    clearErrors(form);
  }
  fileIn.addEventListener('change', reset);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const step = (ev.submitter && ev.submitter.dataset.step) || 'dry';
    const file = fileIn.files && fileIn.files[0];
    clearErrors(form);
    clear(result);
    if (!file) { showError(form, { field: 'file', message: t('import.need_file') }); return; }
    if (step === 'run' && checked !== file) { runBtn.classList.add('hidden'); return; }
    const type = /\.xlsx$/i.test(file.name) ? XLSX : 'text/csv';
    busy(form, async () => {
      try {
        const r = await api('POST', '/imports/' + kind + (step === 'dry' ? '?dry_run=1' : ''), file, { contentType: type });
        if (step === 'dry') {
          checked = file;
          runBtn.classList.remove('hidden');
          result.appendChild(h('div', { class: 'notice notice-ok', id: 'import-ok' },
            t('import.dry_ok', { n: count(r) }), summary(r), ' ', t('import.dry_next')));
        } else {
          checked = null;
          runBtn.classList.add('hidden');
          session.invalidateUnits();
          result.appendChild(h('div', { class: 'notice notice-ok', id: 'import-done' }, t('import.done', { n: count(r) }), summary(r)));
          toast(t('import.done', { n: count(r) }), 'ok');
          fileIn.value = '';
        }
      } catch (e) {
        checked = null;
        runBtn.classList.add('hidden');
        const rows = e.rows && e.rows.length ? e.rows : rowFromField(e);
        result.appendChild(h('div', { class: 'notice notice-error', id: 'import-failed' },
          h('strong', null, t('import.failed')), ' ',
          rows.length > 1 ? t('import.failed_rows', { n: rows.length + (e.body && e.body.error && e.body.error.omitted || 0) })
            : errorNode(e, { labels: columnLabels(kind) }),
          h('br'), t('import.nothing_written')));
        if (rows.length) result.appendChild(errorTable(rows, columnLabels(kind)));
        else if (e.field && e.field !== 'file') showError(form, e, { labels: columnLabels(kind) });
      }
    });
  });

  main.appendChild(h('div', { class: 'page narrow-wide' },
    pageHead(t('import.title')),
    h('div', { class: 'card' },
      h('ol', { class: 'steps' }, h('li', null, t('import.step1')), h('li', null, t('import.step2')), h('li', null, t('import.step3'))),
      form, result)));
}

// The number of rows a reply speaks of, whatever it calls it.
function count(r) {
  if (!r || typeof r !== 'object') return 0;
  if (typeof r.created === 'number' || typeof r.updated === 'number') return (r.created || 0) + (r.updated || 0) + (r.unchanged || 0);
  for (const k of ['rows', 'count', 'total', 'imported', 'valid', 'accepted']) {
    if (typeof r[k] === 'number') return r[k];
  }
  if (Array.isArray(r.items)) return r.items.length;
  return 0;
}

function summary(r) {
  if (!r || (typeof r.created !== 'number' && typeof r.updated !== 'number')) return '';
  return ' ' + t('import.summary', { created: r.created || 0, updated: r.updated || 0, unchanged: r.unchanged || 0 });
}

// "row 7: code" -> [{row: 7, field: 'code', message}]
function rowFromField(e) {
  const m = /^row\s+(\d+)(?::\s*(.*))?$/i.exec(e.field || '');
  return m ? [{ row: Number(m[1]), field: m[2] || '', message: e.message }] : [];
}

function errorTable(rows, labels) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table', id: 'import-errors' },
      h('thead', null, h('tr', null, h('th', null, t('import.col.row')), h('th', null, t('import.col.field')), h('th', null, t('import.col.message')))),
      h('tbody', null, rows.map((r) => {
        const o = typeof r === 'object' && r ? r : { message: String(r) };
        return h('tr', null,
          h('td', { class: 'num' }, String(o.row ?? o.line ?? '')),
          h('td', null, fieldLabel(String(o.field ?? o.column ?? ''), { labels }) || String(o.field ?? o.column ?? '')),
          h('td', null, String(o.message ?? o.error ?? '')));
      }))));
}
