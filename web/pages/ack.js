// pages/ack.js — a signed one-time acknowledge link from a DingTalk/WeCom duty
// message (/ack/<token>). Opening the page changes nothing (robots and link
// previews fetch it): it reads what the link is about (GET
// /alarm-links/{token}: the alarm and its point's response card, what to do
// within how many minutes, and while it is open what is around it — the
// special work under way in its area, who is on duty; pages/response.js)
// and shows it; the button POSTs
// the token, the server checks its signature and expiry, uses it up and
// acknowledges the alarm as the person it was made for. No sign-in: the link
// is the credential.
import { api } from '../api.js';
import { t, serverText } from '../i18n.js';
import { h, badge, fmtTime } from '../ui.js';
import { cardNode, contextNode } from './response.js';

const LEVEL_KIND = { 1: 'warn', 2: 'danger', 3: 'danger' };

export async function render(main, ctx) {
  const token = ctx.params[0];
  const msg = h('p', { class: 'muted', id: 'ack-result' }, t('ack.intro'));
  const btn = h('button', { type: 'button', class: 'btn btn-primary btn-block', id: 'ack-submit' }, t('ack.button'));
  const about = h('div', { id: 'ack-alarm' });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = await api('POST', '/alarm-links/' + token + '/ack', {}, { noRedirect: true });
      msg.textContent = t('ack.done') + (r && r.title && !about.children.length ? ' · ' + r.title : '');
      btn.remove();
      if (r && r.response && !about.querySelector('.resp-card')) msg.after(cardNode(r.response, null, false));
    } catch (e) {
      msg.textContent = e.status === 409 ? t('ack.used') : (e.status === 403 ? t('ack.bad') : e.message);
      btn.disabled = false;
    }
  });
  main.replaceChildren(h('section', { class: 'card narrow' }, h('h1', {}, t('ack.title')), about, msg, btn));
  let a = null;
  try { a = await api('GET', '/alarm-links/' + token, undefined, { noRedirect: true }); } catch (e) {
    if (e.status === 403) { msg.textContent = t('ack.bad'); btn.remove(); }
    return;
  }
  about.append(
    h('p', null, badge(t('al.level.' + a.level), LEVEL_KIND[a.level] || 'info'), ' ', h('strong', null, serverText(a.title))),
    h('p', { class: 'muted' }, [a.unit_name, fmtTime(a.raised_at)].filter(Boolean).join(' · ')),
    a.response ? cardNode(a.response, a.raised_at, a.state === 'unack' || a.state === 'rtn_unack') : null,
    a.open && a.context ? contextNode(a.context, { links: false }) : null);
}
