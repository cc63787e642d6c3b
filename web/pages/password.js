// pages/password.js — change one's own password (POST /api/v1/auth/password).
// Reached from the login page when the server says the password must be
// changed (a new or reset account), and from the home page. The old password
// typed at login is held in this module's memory only, never stored.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, formError, clearErrors, showError, busy, toast } from '../ui.js';
import * as session from '../session.js';

let oldFromLogin = null;
export function rememberOldPassword(pw) { oldFromLogin = pw; }

export function render(main, ctx) {
  const m = session.me();
  const forced = !!(m && m.must_change_password);
  const known = oldFromLogin;
  const oldIn = input('old_password', { type: 'password', autocomplete: 'current-password', maxlength: 128 });
  const newIn = input('new_password', { type: 'password', autocomplete: 'new-password', maxlength: 128, minlength: 10 });
  const againIn = input('new_password_again', { type: 'password', autocomplete: 'new-password', maxlength: 128 });
  const form = h('form', { class: 'form', id: 'password-form', novalidate: true },
    formError(),
    known ? null : field(t('pw.old'), oldIn),
    field(t('pw.new'), newIn, t('pw.rule')),
    field(t('pw.again'), againIn),
    h('div', { class: 'form-actions' },
      forced ? null : h('a', { href: '/', 'data-link': '', class: 'btn' }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('pw.submit'))));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (newIn.value !== againIn.value) {
      showError(form, { field: 'new_password_again', message: t('pw.mismatch') });
      return;
    }
    busy(form, async () => {
      try {
        await api('POST', '/auth/password', { old_password: known || oldIn.value, new_password: newIn.value });
        oldFromLogin = null;
        session.forget();
        toast(t('pw.done'), 'ok');
        await ctx.go('/', true);
      } catch (e) {
        showError(form, e);
      }
    });
  });

  main.appendChild(h('div', { class: 'narrow' },
    h('div', { class: 'card' },
      h('h1', null, t('pw.title')),
      forced ? h('p', { class: 'notice notice-warn' }, t('pw.forced')) : null,
      form)));
  (known ? newIn : oldIn).focus();
}
