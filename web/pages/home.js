// pages/home.js — who you are (username, person, roles in words), your scope
// unit (name, kind, its path from the root as breadcrumbs) and the admin pages
// your roles allow. Data: GET /api/v1/me.
import { t } from '../i18n.js';
import { h, badge } from '../ui.js';
import * as session from '../session.js';

export async function render(main, ctx) {
  const m = session.me();
  const scope = m.scope || {};
  const person = m.person || null;

  const crumbs = h('ol', { class: 'crumbs', id: 'scope-path', 'aria-label': t('home.path') });
  const who = h('section', { class: 'card', id: 'home-who' },
    h('h2', null, t('home.who')),
    h('dl', { class: 'facts' },
      h('dt', null, t('home.username')), h('dd', { id: 'home-username' }, m.username),
      h('dt', null, t('home.person')), h('dd', { id: 'home-person' }, person && person.name ? person.name : t('home.no_person')),
      h('dt', null, t('home.roles')),
      h('dd', { id: 'home-roles' }, h('div', { class: 'chips' }, (m.roles || []).map((r) => badge(session.roleName(r), 'role'))))),
    h('div', { class: 'card-actions' },
      h('a', { href: '/password', 'data-link': '', class: 'btn' }, t('home.change_pw'))));

  const where = h('section', { class: 'card', id: 'home-scope' },
    h('h2', null, t('home.scope')),
    h('div', { class: 'scope-title' },
      h('span', { class: 'scope-name', id: 'scope-name' }, scope.name || ''),
      scope.kind ? badge(session.kindName(scope.kind), 'kind') : null),
    crumbs,
    h('p', { class: 'muted small' }, t('home.scope_note')));

  const links = ctx.adminLinks();
  const admin = h('section', { class: 'card', id: 'home-admin' },
    h('h2', null, t('home.admin')),
    links.length
      ? h('div', { class: 'tiles' }, links.map((l) => h('a', { href: l.path, 'data-link': '', class: 'tile' },
          h('span', { class: 'tile-label' }, l.label),
          h('span', { class: 'tile-desc' }, t('home.desc.' + l.path.split('/').pop())))))
      : h('p', { class: 'muted', id: 'home-no-admin' }, t('home.no_admin')));

  main.appendChild(h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('home.hello', { name: (person && person.name) || m.username }))),
    h('div', { class: 'grid-2' }, who, where),
    admin));

  for (const c of await breadcrumbs(scope)) {
    crumbs.appendChild(h('li', null, c.kind ? h('span', { class: 'crumb-kind' }, session.kindName(c.kind)) : null, c.name));
  }
}

// [{name, kind}] from the root to the scope unit. /me gives the scope's
// materialised id path ("/1/4/9/"); the units above the scope are outside it
// and cannot be read through /api/v1/units (404 by design), so their names
// come only from scope.ancestors ([{id, name, kind}], root first) when the
// server sends it; otherwise they show as one "…".
async function breadcrumbs(scope) {
  const self = { name: scope.name, kind: scope.kind };
  if (Array.isArray(scope.ancestors)) {
    return [...scope.ancestors.map((a) => ({ name: a.name, kind: a.kind })), self];
  }
  const depth = typeof scope.path === 'string' ? scope.path.split('/').filter(Boolean).length : 1;
  return depth > 1 ? [{ name: '…' }, self] : [self];
}
