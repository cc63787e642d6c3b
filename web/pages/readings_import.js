// pages/readings_import.js — /trends/import: bring DCS or LIMS history in
// from a CSV export (long: time,tag,value[,quality]; wide: time then one
// column per tag). Local times are read in the chosen zone unless they carry
// an offset. The bar follows the upload (XMLHttpRequest progress); the
// server then checks the whole file — a bad row is named and nothing is
// stored — and stores it as history, which raises no alarm (the rules
// backtest replays it).
import { t } from '../i18n.js';
import * as ui from '../ui.js';

const { h, input, pageHead } = ui;

export function render(main) {
  const file = input('file', { type: 'file', accept: '.csv,text/csv', id: 'ri-file' });
  const tz = input('tz', { type: 'text', value: 'Asia/Shanghai', id: 'ri-tz', maxlength: 64 });
  const bar = h('progress', { id: 'ri-progress', max: 100, value: 0 });
  const msg = h('p', { id: 'ri-result', class: 'muted' }, t('ri.hint'));
  const go = h('button', { type: 'button', class: 'btn btn-primary', id: 'ri-submit' }, t('ri.submit'));
  go.addEventListener('click', () => {
    const f = file.files && file.files[0];
    if (!f) { msg.textContent = t('ri.need_file'); return; }
    go.disabled = true;
    bar.value = 0;
    msg.textContent = t('ri.uploading');
    const x = new XMLHttpRequest();
    x.open('POST', '/api/v1/imports/readings?tz=' + encodeURIComponent(tz.value.trim()));
    x.setRequestHeader('Content-Type', 'text/csv');
    x.setRequestHeader('Accept', 'application/json');
    x.upload.onprogress = (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      if (e.loaded === e.total) msg.textContent = t('ri.checking');
    };
    x.onload = () => {
      go.disabled = false;
      let b = null;
      try { b = JSON.parse(x.responseText); } catch (_) { /* not JSON */ }
      if (x.status === 200 && b) {
        bar.value = 100;
        msg.textContent = t('ri.done', { rows: b.rows, accepted: b.accepted, unknown: b.unknown_tag });
      } else {
        const e = b && b.error;
        msg.textContent = e ? (e.field ? e.field + ': ' : '') + e.message : t('ri.failed', { status: x.status });
      }
    };
    x.onerror = () => { go.disabled = false; msg.textContent = t('ri.failed', { status: 0 }); };
    x.send(f);
  });
  main.replaceChildren(h('section', { class: 'page' },
    pageHead(t('ri.title'), h('a', { href: '/trends', 'data-link': '', class: 'btn' }, t('nav.trends'))),
    h('div', { class: 'form card' },
      ui.field(t('ri.file'), file), ui.field(t('ri.tz'), tz), go, bar, msg)));
}
