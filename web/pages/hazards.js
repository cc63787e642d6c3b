// pages/hazards.js — /hazards: the board of hidden dangers (隐患看板). One
// column per state (stacked sections on a phone) with the counts of GET
// /hazards/stats, cards with code, title, unit, grade (重大 in red),
// deadline, 已超期 (red border and badge) and 督办; or, on a desktop, one
// table (?view=list) with paging. Filters (unit subtree, grade, overdue,
// supervised, text) live in the URL so a link or a reload keeps them. The
// ledger exports (Excel/CSV) are GET /hazards?…&format=xlsx|csv with the same
// filters. Everyone in scope reads; everyone but a regulator may report.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { STATES, stateName, gradeBadge } from './hazard_ui.js';

const { h, clear, input, select, badge, pageHead, emptyState, fmtTime, toastError, stackTable } = ui;
const PER_COLUMN = 20;

function readFilter() {
  const p = new URLSearchParams(location.search);
  return {
    unit_id: p.get('unit_id') || '', grade: p.get('grade') || '', overdue: p.get('overdue') === '1' ? '1' : '',
    supervised: p.get('supervised') === '1' ? '1' : '', q: p.get('q') || '', state: p.get('state') || '',
    view: p.get('view') === 'list' ? 'list' : 'board',
  };
}

export async function render(main, ctx) {
  const f = readFilter();
  const units = await session.units();
  const me = session.me();
  const mayReport = !((me && me.roles) || []).every((r) => r === 'regulator');
  const query = () => ({ unit_id: f.unit_id, grade: f.grade, overdue: f.overdue, supervised: f.supervised, q: f.q });

  const q = input('q', { type: 'search', value: f.q, placeholder: t('hz.board.search'), 'aria-label': t('hz.board.search') });
  const unitSel = select('unit_id', session.unitOptions(units, { empty: t('hz.board.all_units') }), f.unit_id, { 'aria-label': t('hz.f.unit') });
  const gradeSel = select('grade', [{ value: '', label: t('hz.board.all_grades') }, { value: 'major', label: t('hz.grade.major') },
    { value: 'general', label: t('hz.grade.general') }], f.grade, { 'aria-label': t('hz.f.grade') });
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: f.overdue === '1' });
  const supervised = h('input', { type: 'checkbox', name: 'supervised', checked: f.supervised === '1' });
  const filterForm = h('form', { class: 'filters hz-filters', id: 'hz-filter', role: 'search' },
    q, unitSel, gradeSel,
    h('div', { class: 'hz-filter-checks' },
      h('label', { class: 'check' }, overdue, h('span', null, t('hz.board.overdue_only'))),
      h('label', { class: 'check' }, supervised, h('span', null, t('hz.board.supervised_only')))),
    h('button', { type: 'submit', class: 'btn' }, t('common.search')));
  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    f.q = q.value.trim(); f.unit_id = unitSel.value; f.grade = gradeSel.value;
    f.overdue = overdue.checked ? '1' : ''; f.supervised = supervised.checked ? '1' : '';
    ctx.go('/hazards' + qs(Object.assign(query(), { view: f.view === 'list' ? 'list' : '' })), true);
  });
  for (const c of [unitSel, gradeSel, overdue, supervised]) c.addEventListener('change', () => filterForm.requestSubmit());

  const viewToggle = h('div', { class: 'segmented hz-view', role: 'group', 'aria-label': t('hz.board.view') },
    ['board', 'list'].map((v) => h('a', { href: '/hazards' + qs(Object.assign(query(), { view: v === 'list' ? 'list' : '' })),
      'data-link': '', class: 'seg-link' + (f.view === v ? ' active' : ''), 'aria-current': f.view === v ? 'true' : null,
      id: 'hz-view-' + v }, t('hz.board.view.' + v))));

  const stats = await api('GET', '/hazards/stats' + qs({ unit_id: f.unit_id }));
  const by = (stats && stats.by_state) || {};
  const summary = h('div', { class: 'chips hz-summary', id: 'hz-summary' },
    badge(t('hz.stats.overdue', { n: stats.overdue || 0 }), stats.overdue ? 'warn' : 'off'),
    badge(t('hz.stats.major_open', { n: stats.major_open || 0 }), stats.major_open ? 'major' : 'off'),
    badge(t('hz.stats.supervised_open', { n: stats.supervised_open || 0 }), stats.supervised_open ? 'supervised' : 'off'));

  const body = h('div', { id: 'hz-board-body' });
  main.appendChild(h('div', { class: 'page hz-board-page' },
    pageHead(t('hz.board.title'),
      mayReport ? h('a', { href: '/hazards/new', 'data-link': '', class: 'btn btn-primary', id: 'hz-new' }, '＋ ', t('hz.report.title')) : null),
    filterForm,
    h('div', { class: 'toolbar' }, summary, h('div', { class: 'hz-toolbar-right' }, exportButtons(query()), viewToggle)),
    body));

  if (f.view === 'list') await listView(body, query());
  else await boardView(body, query(), by);
}

// The ledger exports: the shared helper of ui.js (导出 Excel / 导出 CSV),
// GET /hazards?<the same filters>&format=xlsx|csv.
function exportButtons(params) {
  return ui.exportButtons('/hazards' + qs(params), 'hz');
}

async function boardView(body, params, by) {
  const board = h('div', { class: 'hz-board', id: 'hz-board' });
  body.appendChild(board);
  const pages = await Promise.all(STATES.map((s) =>
    api('GET', '/hazards' + qs(Object.assign({}, params, { state: s, limit: PER_COLUMN }))).catch((e) => { toastError(e); return { items: [] }; })));
  STATES.forEach((s, i) => {
    const items = (pages[i] && pages[i].items) || [];
    const n = by[s] !== undefined ? by[s] : items.length;
    const col = h('section', { class: 'hz-col hz-col-' + s, dataset: { state: s } },
      h('h2', { class: 'hz-col-head' }, h('span', null, stateName(s)), h('span', { class: 'hz-count' }, String(n))),
      items.length ? h('div', { class: 'hz-cards' }, items.map(card)) : emptyState(t('hz.board.empty_col')),
      n > items.length ? h('a', { class: 'btn btn-small btn-block', 'data-link': '',
        href: '/hazards' + qs(Object.assign({}, params, { view: 'list', state: s })) }, t('hz.board.all', { n })) : null);
    board.appendChild(col);
  });
}

function card(hz) {
  return h('a', { href: '/hazards/' + hz.id, 'data-link': '', class: 'hz-card' + (hz.overdue ? ' hz-card-overdue' : '') + (hz.grade === 'major' ? ' hz-card-major' : ''),
    dataset: { hazardId: hz.id, state: hz.state } },
    h('div', { class: 'hz-card-top' }, h('span', { class: 'hz-code mono' }, hz.code || '#' + hz.id), gradeBadge(hz.grade),
      hz.overdue ? badge(t('hz.overdue'), 'warn hz-overdue-badge') : null,
      hz.supervision || hz.supervised ? badge(t('hz.supervised'), 'supervised') : null),
    h('div', { class: 'hz-card-title' }, hz.title),
    h('div', { class: 'row-meta' }, h('span', null, hz.unit_name || ''),
      hz.deadline ? h('span', { class: hz.overdue ? 'hz-late' : '' }, t('hz.deadline_at', { at: fmtTime(hz.deadline) })) : null));
}

async function listView(body, params) {
  const f = readFilter();
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn btn-block hidden', id: 'hz-more' }, t('common.more'));
  let cursor = null;
  const stateSel = select('state', [{ value: '', label: t('hz.board.all_states') }, ...STATES.map((s) => ({ value: s, label: stateName(s) }))], f.state,
    { 'aria-label': t('hz.f.state'), id: 'hz-state-filter' });
  stateSel.addEventListener('change', () => { f.state = stateSel.value; load(false).catch(toastError); });
  body.appendChild(h('div', null, h('div', { class: 'hz-list-state' }, stateSel),
    h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table hz-table', id: 'hz-table' },
      h('thead', null, h('tr', null, ['code', 'title', 'unit', 'grade', 'state', 'deadline', 'found_at'].map((c) => h('th', null, t('hz.col.' + c))))),
      tbody))), more));
  async function load(append) {
    const page = await api('GET', '/hazards' + qs(Object.assign({}, params, { state: f.state, limit: 50, cursor: append ? cursor : null })));
    if (!append) clear(tbody);
    for (const hz of (page && page.items) || []) {
      tbody.appendChild(h('tr', { class: hz.overdue ? 'hz-row-overdue' : '', dataset: { hazardId: hz.id } },
        h('td', { class: 'num' }, h('a', { href: '/hazards/' + hz.id, 'data-link': '' }, hz.code || '#' + hz.id)),
        h('td', null, hz.title),
        h('td', null, hz.unit_name || ''),
        h('td', null, gradeBadge(hz.grade)),
        h('td', null, stateName(hz.state, hz.state_label)),
        h('td', { class: 'num' }, hz.deadline ? fmtTime(hz.deadline) : '', hz.overdue ? [' ', badge(t('hz.overdue'), 'warn')] : null),
        h('td', { class: 'num' }, fmtTime(hz.found_at || hz.created_at))));
    }
    if (!append && !tbody.children.length) tbody.appendChild(h('tr', null, h('td', { colspan: 7 }, emptyState(t('hz.board.empty')))));
    cursor = page ? page.next_cursor : null;
    more.classList.toggle('hidden', cursor === null || cursor === undefined);
  }
  more.addEventListener('click', () => load(true).catch(toastError));
  await load(false);
}
