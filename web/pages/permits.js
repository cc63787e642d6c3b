// pages/permits.js — the special-work permits (特殊作业票) as lists:
//   /permits            every permit in scope, newest first, filtered by
//                       state (open / any state) and type; links to apply,
//                       the approval queue and the board
//   /permits/approvals  the approval queue (审批): permits in state tested
//                       with the posts of their chain still missing; the
//                       posts the signed-in person holds can be approved from
//                       the list (POST /permits/{id}/actions/approve {post})
//   /permits/board      the board of active and suspended permits (作业看板):
//                       a live countdown to planned_end and to the next gas
//                       re-test where the verdicts show one, coloured by
//                       state, read again every few seconds
// The other permit pages: permit_apply.js (apply, fix a draft), permit.js
// (one permit with its actions), permit_print.js (the printable form).
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, select, toast, pageHead, emptyState, errorNode } from '../ui.js';
import * as session from '../session.js';
import {
  TYPES, STATES, typeName, stateName, stateBadge, gradeBadges, permitCard, postName, missingPosts, myPosts,
  duration, retestDue, refusalNode, fmtRange,
} from './permit_ui.js';

const BOARD_REFRESH_MS = 5000;

// permit.write: every role but the regulator (the server decides).
const canApply = session.can.write;

function tabs(here) {
  const link = (path, key) => h('a', { href: path, 'data-link': '', class: 'btn btn-small' + (path === here ? ' btn-primary' : ''),
    id: 'pm-tab-' + key, 'aria-current': path === here ? 'page' : null }, t('pm.tab.' + key));
  return h('div', { class: 'page-actions pm-tabs' }, link('/permits', 'list'), link('/permits/approvals', 'approvals'),
    link('/permits/board', 'board'),
    canApply() ? h('a', { href: '/permits/new', 'data-link': '', class: 'btn btn-small', id: 'pm-new' }, '+ ', t('pm.apply.title')) : null);
}

// ---- the list ------------------------------------------------------------------

export async function render(main, ctx) {
  const params = new URLSearchParams(location.search);
  const state = params.get('state') || 'open';
  const type = params.get('type') || '';
  const stateSel = select('state', [{ value: 'open', label: t('pm.filter.open') }, { value: 'all', label: t('pm.filter.all') },
    ...STATES.map((s) => ({ value: s, label: stateName(s) }))], state);
  const typeSel = select('type', [{ value: '', label: t('pm.filter.any_type') }, ...TYPES.map((x) => ({ value: x, label: typeName(x) }))], type);
  const apply = () => ctx.go('/permits' + qs({ state: stateSel.value === 'open' ? '' : stateSel.value, type: typeSel.value }));
  stateSel.addEventListener('change', apply);
  typeSel.addEventListener('change', apply);
  const list = h('div', { class: 'rows', id: 'pm-list' });
  main.appendChild(h('div', { class: 'page' }, pageHead(t('pm.title'), tabs('/permits')),
    h('div', { class: 'filters', id: 'pm-filters' }, stateSel, typeSel), list));
  const r = await api('GET', '/permits' + qs({ state: state === 'all' ? '' : state, type, limit: 200 }));
  const items = (r && r.items) || [];
  if (!items.length) list.appendChild(emptyState(t('pm.none')));
  for (const p of items) list.appendChild(permitCard(p));
}

// ---- the approval queue ----------------------------------------------------------

export async function approvals(main, ctx) {
  const me = session.me();
  const box = h('div', { class: 'rows', id: 'pm-queue' });
  main.appendChild(h('div', { class: 'page' }, pageHead(t('pm.queue.title'), tabs('/permits/approvals')),
    h('p', { class: 'muted' }, t('pm.queue.hint')), box));
  const posts = await myPosts(me);
  async function load() {
    const r = await api('GET', '/permits' + qs({ state: 'tested', limit: 200 }));
    const items = (r && r.items) || [];
    const full = await Promise.all(items.map((p) => api('GET', '/permits/' + p.id).catch(() => null)));
    clear(box);
    const rows = full.filter(Boolean).map((p) => ({ p, open: missingPosts(p.verdicts, (p.record || {}).approvals) })).filter((x) => x.open.length);
    if (!rows.length) { box.appendChild(emptyState(t('pm.queue.none'))); return; }
    for (const { p, open } of rows) {
      const err = h('div', { class: 'form-error hidden', role: 'alert' });
      const buttons = [];
      for (const entry of open) {
        const mine = String(entry).split('|').find((c) => posts.includes(c));
        buttons.push(h('span', { class: 'pm-queue-post', dataset: { post: entry } }, badge2(postName(entry)),
          mine && p.applicant_person_id !== (me.person && me.person.id)
            ? h('button', { type: 'button', class: 'btn btn-small btn-primary pm-queue-approve', dataset: { post: mine },
              onclick: async (ev) => {
                ev.target.disabled = true;
                try {
                  await api('POST', '/permits/' + p.id + '/actions/approve', { post: mine });
                  toast(t('pm.done.approve', { code: p.code }), 'ok');
                  await load();
                } catch (e) {
                  ev.target.disabled = false;
                  clear(err).appendChild(refusalNode(e));
                  err.classList.remove('hidden');
                }
              } }, t('pm.queue.approve_as', { post: postName(mine) })) : null));
      }
      box.appendChild(permitCard(p, h('div', { class: 'row-actions pm-queue-actions' },
        h('span', { class: 'muted small' }, t('pm.queue.missing')), buttons, err)));
    }
  }
  await load();
}

function badge2(text) { return h('span', { class: 'badge badge-info' }, text); }

// ---- the board of active permits ------------------------------------------------

export async function board(main) {
  const grid = h('div', { class: 'pm-board', id: 'pm-board' });
  const stamp = h('span', { class: 'muted small', id: 'pm-board-stamp' });
  const root = h('div', { class: 'page' }, pageHead(t('pm.board.title'), tabs('/permits/board')),
    h('p', { class: 'muted' }, t('pm.board.hint'), ' ', stamp), grid);
  main.appendChild(root);
  let permits = [];
  let err = null;
  async function load() {
    try {
      const [a, s] = await Promise.all(['active', 'suspended'].map((st) => api('GET', '/permits' + qs({ state: st, limit: 200 }))));
      const items = [...((a && a.items) || []), ...((s && s.items) || [])];
      permits = (await Promise.all(items.map((p) => api('GET', '/permits/' + p.id).catch(() => p))))
        .sort((x, y) => new Date(x.planned_end) - new Date(y.planned_end));
      err = null;
    } catch (e) { err = e; }
    draw();
  }
  function draw() {
    clear(grid);
    if (err) grid.appendChild(h('div', { class: 'notice notice-error' }, errorNode(err)));
    if (!permits.length) grid.appendChild(emptyState(t('pm.board.none')));
    for (const p of permits) {
      const due = retestDue(p);
      grid.appendChild(h('a', { href: '/permits/' + p.id, 'data-link': '', class: 'pm-tile pm-tile-' + p.state,
        dataset: { permitId: p.id, state: p.state, code: p.code } },
        h('div', { class: 'pm-tile-head' }, h('strong', null, p.code), stateBadge(p.state)),
        h('div', { class: 'pm-tile-type' }, typeName(p.type), ' ', gradeBadges(p, p.verdicts)),
        h('div', { class: 'pm-tile-title' }, p.title),
        h('div', { class: 'muted small' }, p.location, ' · ', fmtRange(p.planned_start, p.planned_end)),
        h('div', { class: 'pm-countdown', dataset: { until: new Date(p.planned_end).getTime(), kind: 'end' } }),
        due ? h('div', { class: 'pm-countdown pm-retest', dataset: { until: due, kind: 'retest' } }) : null,
        p.state === 'suspended' && p.reason ? h('div', { class: 'pm-tile-reason' }, p.reason) : null));
    }
    tick();
    stamp.textContent = t('pm.board.updated', { time: new Date().toLocaleTimeString(document.documentElement.lang || 'zh-CN', { hour12: false }) });
  }
  function tick() {
    const now = Date.now();
    grid.querySelectorAll('.pm-countdown').forEach((el) => {
      const left = Number(el.dataset.until) - now;
      el.textContent = t(el.dataset.kind === 'end' ? 'pm.board.ends_in' : 'pm.board.retest_in', { left: duration(left) });
      el.classList.toggle('pm-soon', left < 30 * 60000);
      el.classList.toggle('pm-over', left < 0);
    });
  }
  await load();
  const clock = setInterval(() => { if (!root.isConnected) { clearInterval(clock); return; } tick(); }, 1000);
  const refresh = setInterval(() => { if (!root.isConnected) { clearInterval(refresh); return; } load(); }, BOARD_REFRESH_MS);
}
