// pages/points.js — the points bank (积分银行, /points): my balance and
// statement, the catalogue with redeem, the leaderboards by grid (the
// person's unit), department and person, and "this anonymous report was
// mine" (reveal: the receipt code's points move to me, and the report
// records who sent it — the reporter's own choice).
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, clearErrors, showError, busy, fmtTime, toast, pageHead, emptyState } from '../ui.js';

export async function render(main, ctx) {
  const by = new URLSearchParams(location.search).get('by') || 'unit';
  const [mine, items, board] = await Promise.all([
    api('GET', '/bank/me'), api('GET', '/bank/items'), api('GET', '/bank/leaderboard?by=' + encodeURIComponent(by)),
  ]);
  const bal = h('div', { class: 'pts-balance', id: 'points-balance', dataset: { balance: String(mine.balance) } },
    h('span', { class: 'pts-big' }, String(mine.balance)), ' ', t('pb.unit'),
    h('div', { class: 'muted' }, t('pb.earned', { n: mine.earned })));
  const cat = h('div', { id: 'points-items' }, items.items.length ? items.items.map((it) => {
    const b = h('button', { type: 'button', class: 'btn btn-primary', disabled: !mine.person || it.cost > mine.balance, dataset: { item: String(it.id) } }, t('pb.redeem'));
    b.addEventListener('click', async () => {
      try {
        const r = await api('POST', '/bank/redeem', { item_id: it.id });
        toast(t('pb.redeemed', { no: r.pickup_no }));
        ctx.rerender();
      } catch (e) { toast(e.message, 'error'); }
    });
    return h('div', { class: 'row-card' }, h('div', null, h('strong', null, it.name), ' · ', t('pb.cost', { n: it.cost }),
      h('div', { class: 'muted' }, it.needs_name ? t('pb.needs_name') : t('pb.no_name'),
        it.stock !== null ? ' · ' + t('pb.stock', { n: it.stock }) : '')), b);
  }) : emptyState(t('pb.no_items')));
  const stmt = h('ol', { class: 'pts-stmt', id: 'points-statement' }, (mine.entries || []).map((e) =>
    h('li', null, h('span', { class: e.amount >= 0 ? 'pts-plus' : 'pts-minus' }, (e.amount >= 0 ? '+' : '') + e.amount), ' ',
      e.rule_key ? t('pb.rule.' + e.rule_key, null, e.rule_key) : e.item ? e.item : t('pb.kind.' + e.kind),
      h('span', { class: 'muted' }, ' · ', fmtTime(e.at)))));
  const tabs = h('div', { class: 'vr-tabs' }, ['unit', 'department', 'person'].map((b) =>
    h('a', { href: '/points?by=' + b, 'data-link': '', class: 'btn' + (b === by ? ' btn-primary' : '') }, t('pb.by.' + b))));
  const lb = h('ol', { class: 'pts-board', id: 'points-board' }, board.items.map((x) =>
    h('li', null, h('strong', null, x.name), x.unit ? h('span', { class: 'muted' }, ' · ' + x.unit) : null, ' — ', String(x.points), ' ', t('pb.unit'))));
  const code = h('input', { name: 'code', class: 'input', id: 'points-reveal-code', autocomplete: 'off' });
  const rf = h('form', { id: 'points-reveal', novalidate: true }, field(t('pb.reveal'), code, t('pb.reveal_hint')),
    h('button', { type: 'submit', class: 'btn' }, t('pb.reveal_btn')));
  rf.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(rf);
    busy(rf, async () => {
      try {
        const r = await api('POST', '/voice/reveal', { code: code.value.trim() });
        toast(t('pb.revealed', { n: r.moved }));
        ctx.rerender();
      } catch (e) { showError(rf, e, { labels: { code: t('vr.code'), person: t('pb.reveal') } }); }
    });
  });
  main.replaceChildren(pageHead(t('pb.title')),
    h('section', { class: 'card' }, bal, mine.person ? null : h('p', { class: 'muted' }, t('pb.no_person'))),
    h('section', { class: 'card' }, h('h2', null, t('pb.catalogue')), cat),
    h('section', { class: 'card' }, h('h2', null, t('pb.board')), tabs, board.items.length ? lb : emptyState(t('pb.board_empty'))),
    h('section', { class: 'card' }, h('h2', null, t('pb.statement')), stmt.children.length ? stmt : emptyState(t('pb.no_entries'))),
    mine.person ? h('section', { class: 'card' }, rf) : null);
}
