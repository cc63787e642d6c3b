// pages/login.js — sign in. POST /api/v1/auth/login sets the HttpOnly
// session cookie; the reply's user tells whether the password must be changed
// first (then the change form opens, with the old password carried over in
// memory only). 401 shows the server's message; 423 (locked) shows it as a
// lock notice with the retry time the server gives.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, formError, clearErrors, showError, busy } from '../ui.js';
import * as session from '../session.js';
import { rememberOldPassword } from './password.js';

export function render(main, ctx) {
  const next = new URLSearchParams(location.search).get('next');
  const user = input('username', { type: 'text', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false', maxlength: 64 });
  const pass = input('password', { type: 'password', autocomplete: 'current-password', required: true, maxlength: 128 });
  const form = h('form', { class: 'form', id: 'login-form', novalidate: true },
    formError(),
    field(t('login.username'), user),
    field(t('login.password'), pass),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'login-submit' }, t('login.submit')));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!user.value.trim()) { showError(form, { field: 'username', message: t('login.need_username') }); return; }
    if (!pass.value) { showError(form, { field: 'password', message: t('login.need_password') }); return; }
    busy(form, async () => {
      try {
        const r = await api('POST', '/auth/login', { username: user.value.trim(), password: pass.value },
          { noRedirect: true });
        session.forget();
        if (r && r.user && r.user.must_change_password) {
          rememberOldPassword(pass.value);
          pass.value = '';
          await ctx.go('/password', true);
          return;
        }
        pass.value = '';
        const dest = next && next.startsWith('/') && !next.startsWith('//') && next !== '/login' ? next : '/';
        await ctx.go(dest, true);
      } catch (e) {
        pass.value = '';
        if (e.status === 423) {
          const fe = form.querySelector('.form-error');
          fe.textContent = '';
          fe.append(h('strong', null, t('login.locked')), e.message ? h('span', { class: 'err-detail' }, e.message) : '');
          fe.classList.remove('hidden');
          fe.classList.add('locked');
          return;
        }
        if (e.status === 401) {
          // One message for wrong user and wrong password, in the page's
          // language, with the server's own words beneath when they differ.
          const fe = form.querySelector('.form-error');
          fe.textContent = t('login.bad');
          if (e.message && e.message.toLowerCase() !== t('login.bad').toLowerCase()) {
            fe.append(h('span', { class: 'err-detail' }, e.message));
          }
          fe.classList.remove('hidden', 'locked');
        } else {
          showError(form, e);
        }
        pass.focus();
      }
    });
  });

  main.appendChild(h('div', { class: 'login-wrap' },
    h('div', { class: 'card login-card' },
      h('div', { class: 'login-head' },
        h('img', { src: '/favicon.svg', alt: '', width: 44, height: 44 }),
        h('div', null, h('h1', null, t('login.title')), h('p', { class: 'muted' }, t('login.subtitle')))),
      form),
    h('p', { class: 'login-foot muted' }, t('login.foot'))));
  user.focus();
}
