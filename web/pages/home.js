// pages/home.js — who you are (username, person, roles in words), your scope
// unit (name, kind, its path from the root as breadcrumbs), your shift on the
// roster running now (当班中) and the next, who is on duty now where you work
// (当前值班: 网格长 → 安全员 → 负责人), the shift handovers waiting for you,
// today's duties and task-force tasks (a person's account), the overview of
// the units right under the scope (unit_overview.js: a park's enterprises,
// an enterprise's sites) or, for a grid, its area's risk notice (风险告知),
// and the admin pages your roles allow.
// Data: GET /api/v1/me, /me/shifts, /units/{scope}/on-duty?role=, /me/duties,
// /me/tasks, /patrols?mine=1, /handovers?state=handed.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, badge, clear, errorNode, fmtTime, toast } from '../ui.js';
import * as session from '../session.js';
import { unitOverview, areaNotice } from './unit_overview.js';
import { dayPatrols } from './patrol.js';

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

  const today = person ? h('section', { class: 'card', id: 'home-today' }, h('h2', null, t('home.today'))) : null;
  const park = scope.id ? h('div', { id: 'home-park-slot' }) : null;
  main.appendChild(h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('home.hello', { name: (person && person.name) || m.username }))),
    today, park,
    h('div', { class: 'grid-2' }, who, where),
    admin));
  // the path first (no request), then the cards that ask the server
  for (const c of await breadcrumbs(scope)) {
    crumbs.appendChild(h('li', null, c.kind ? h('span', { class: 'crumb-kind' }, session.kindName(c.kind)) : null, c.name));
  }
  await Promise.all([today ? fillToday(today) : null, park ? unitOverview(scope).then((box) => box || areaNotice()).then((box) => (box ? park.replaceWith(box) : park.remove())) : null]);
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

// A shift's times as a person reads a roster: "今天 08:00 – 20:00",
// "昨天 20:00 – 次日 08:00", "12月5日 周六 08:00 – 20:00" (the device's clock).
function shiftWhen(start, end) {
  const lang = document.documentElement.lang || 'zh-CN';
  const a = new Date(start), b = new Date(end);
  const clock = (d) => d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dayOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((dayOf(a) - dayOf(new Date())) / 86400000);
  const day = days === 0 ? t('home.shift.today') : days === 1 ? t('home.shift.tomorrow')
    : days === -1 ? t('home.shift.yesterday') : a.toLocaleDateString(lang, { month: 'numeric', day: 'numeric', weekday: 'short' });
  const to = dayOf(b) === dayOf(a) ? clock(b) : t('home.shift.next_day', { at: clock(b) });
  return t('home.shift.when', { day, from: clock(a), to });
}

// One's shifts and who is on duty now (the roster's escalation chain),
// today's duties (岗位履职, done from here with a note), the grid patrols
// still to walk (own grid and cross-supervision, until their window ends)
// and open task-force tasks of the signed-in person; first, when there are
// any in the scope, the shift handovers waiting to be taken (not one's own).
async function fillToday(box) {
  const me = session.me();
  // my shifts on the roster: the one running now (当班中) and the next one
  const rostered = (((await api('GET', '/me/shifts').catch(() => null)) || {}).items || []);
  const next = rostered.find((x) => !x.now);
  const mine = rostered.filter((x) => x.now || (next && x.start === next.start));
  if (mine.length) {
    box.append(h('h3', null, t('home.shifts')), h('ul', { class: 'tf-tasks', id: 'home-shifts' }, mine.map((x) =>
      h('li', { class: 'tf-task', dataset: { id: String(x.id), now: String(x.now) } },
        h('a', { href: '/plant#pl-roster', 'data-link': '' }, x.shift_name), ' ',
        x.crew_name ? h('span', { class: 'home-crew', dataset: { crew: x.crew_name } }, x.crew_name, ' ') : null,
        badge(t('pl.r.role.' + x.role)), ' ', x.now ? badge(t('pl.r.now'), 'ok') : null,
        h('div', { class: 'row-meta' }, shiftWhen(x.start, x.end))))));
  }
  // who is on duty now where one works, along the escalation chain, from the
  // roster (the unit's or its nearest ancestor's): whom to call
  const chain = ['grid_leader', 'safety_officer', 'manager'];
  const duty = me.scope && me.scope.id ? await Promise.all(chain.map((r) =>
    api('GET', `/units/${me.scope.id}/on-duty?role=${r}`).catch(() => null))) : [];
  if (duty.some((d) => d && d.people && d.people.length)) {
    box.append(h('h3', null, t('home.onduty')), h('p', { id: 'home-onduty' }, chain.map((r, i) => {
      const people = (duty[i] && duty[i].people) || [];
      return h('span', { class: 'home-duty-role', dataset: { role: r } }, badge(t('pl.r.role.' + r)), ' ',
        people.length ? people.map((p) => p.name).join('、') : t('pl.r.nobody'), ' ');
    })));
  }
  const waiting = session.can.handover()
    ? (((await api('GET', '/handovers?state=handed&limit=20').catch(() => null)) || {}).items || [])
      .filter((x) => x.handed_by.id !== me.person.id) : [];
  if (waiting.length) {
    box.append(h('h3', null, t('home.handovers')), h('ul', { class: 'tf-tasks', id: 'home-handovers' }, waiting.map((x) =>
      h('li', { class: 'tf-task' }, h('a', { href: '/plant/handover?id=' + x.id, 'data-link': '', dataset: { handoverId: String(x.id) } }, x.unit_name),
        h('div', { class: 'row-meta' }, t('home.handover.by', { who: x.handed_by.name, at: fmtTime(x.handed_at) }))))));
  }
  const list = h('ul', { class: 'tf-tasks', id: 'home-duties' });
  const walks = h('ul', { class: 'tf-tasks', id: 'home-patrols' });
  const tasks = h('ul', { class: 'tf-tasks', id: 'home-tasks' });
  box.append(h('h3', null, t('home.duties')), list, h('h3', null, t('home.patrols')), walks, h('h3', null, t('home.tasks')), tasks);
  const [d, f, p, all] = await Promise.all([api('GET', '/me/duties').catch(() => null), api('GET', '/me/tasks?state=open').catch(() => null),
    api('GET', '/patrols?mine=1&limit=50').catch(() => null), session.can.patrolOverview() ? dayPatrols().catch(() => null) : null]);
  const due = ((p && p.items) || []).filter((x) => (x.state === 'pending' || x.state === 'in_progress') && Date.parse(x.window_end) > Date.now());
  if (!due.length) walks.appendChild(h('li', { class: 'muted' }, t(all ? 'pt.empty' : 'home.patrols.none')));
  for (const x of due) {
    walks.appendChild(h('li', { class: 'tf-task' },
      h('a', { href: '/patrol/' + x.id, 'data-link': '', dataset: { patrolId: String(x.id) } }, x.grid_name), ' ',
      x.kind === 'cross' ? badge(t('pt.cross'), 'info') : null, ' ', badge(t('pt.state.' + x.state)),
      h('div', { class: 'row-meta' }, t('home.duty.due', { at: fmtTime(x.window_end) }))));
  }
  // those who supervise: the day's patrols in their scope, and the overview
  if (all && all.items.length) {
    const n = (st) => all.items.filter((x) => x.state === st).length;
    walks.appendChild(h('li', { class: 'tf-task', id: 'home-patrol-summary', dataset: { total: all.items.length, done: n('done'), missed: n('missed') } },
      t('home.patrols.summary', { day: all.day, done: n('done'), total: all.items.length }), ' ',
      n('missed') ? badge(t('home.patrols.missed', { n: n('missed') }), 'danger') : null, ' ',
      h('a', { href: '/patrol/overview', 'data-link': '' }, t('pt.ov.title'))));
  }
  const duties = (d && d.items) || [];
  if (!duties.length) list.appendChild(h('li', { class: 'muted' }, t('home.duties.none')));
  for (const x of duties) {
    const li = h('li', { class: 'tf-task tf-task-' + x.state, dataset: { id: String(x.id) } },
      h('strong', null, x.title), ' ', badge(t('home.freq.' + x.frequency)), ' ', badge(t('home.duty.' + (x.state === 'done' ? 'done_state' : x.state))),
      h('div', { class: 'row-meta' }, x.installation ? x.installation + ' · ' : '', t('home.duty.due', { at: fmtTime(x.due_at) })));
    if (x.state === 'open') {
      const note = h('input', { name: 'note', class: 'tf-note', placeholder: t('home.duty.note') });
      const err = h('div', { class: 'tf-err' });
      li.append(h('div', { class: 'tf-task-actions' }, note,
        h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { act: 'done' }, onclick: async () => {
          clear(err);
          try {
            await api('POST', `/duty-tasks/${x.id}/actions/done`, { note: note.value || undefined });
            toast(t('home.duty.done_ok'));
            li.className = 'tf-task tf-task-done';
            li.querySelector('.tf-task-actions').remove();
          } catch (e) { err.appendChild(errorNode(e)); }
        } }, t('home.duty.done')), err));
    }
    list.appendChild(li);
  }
  const open = (f && f.items) || [];
  if (!open.length) tasks.appendChild(h('li', { class: 'muted' }, t('home.tasks.none')));
  for (const x of open) {
    tasks.appendChild(h('li', { class: 'tf-task' }, h('a', { href: '/task-forces/' + x.force_id, 'data-link': '' }, x.title),
      x.due_at ? h('div', { class: 'row-meta' }, t('home.duty.due', { at: fmtTime(x.due_at) })) : null));
  }
}
