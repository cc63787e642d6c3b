// pages/ack.js — a signed one-time acknowledge link from a DingTalk/WeCom duty
// message (/ack/<token>). Opening the page changes nothing (robots and link
// previews fetch it); the button POSTs the token, the server checks its
// signature and expiry, uses it up and acknowledges the alarm as the person
// it was made for. No sign-in: the link is the credential. Once acknowledged
// the page shows the alarm and, when its point has one, the response card:
// what to do, within how many minutes (pages/response.js).
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';
import { cardNode } from './response.js';

export function render(main, ctx) {
  const token = ctx.params[0];
  const msg = h('p', { class: 'muted', id: 'ack-result' }, t('ack.intro'));
  const btn = h('button', { type: 'button', class: 'btn btn-primary btn-block', id: 'ack-submit' }, t('ack.button'));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = await api('POST', '/alarm-links/' + token + '/ack', {}, { noRedirect: true });
      msg.textContent = t('ack.done') + (r && r.title ? ' · ' + r.title : '');
      btn.remove();
      if (r && r.response) msg.after(cardNode(r.response, null, false));
    } catch (e) {
      msg.textContent = e.status === 409 ? t('ack.used') : (e.status === 403 ? t('ack.bad') : e.message);
      btn.disabled = false;
    }
  });
  main.replaceChildren(h('section', { class: 'card narrow' }, h('h1', {}, t('ack.title')), msg, btn));
}
