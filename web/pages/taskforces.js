// pages/taskforces.js — task forces (专项工作组) and incidents (事故/事件):
//   /task-forces        the forces in scope, open first, with their progress
//   /task-forces/{id}   one force: where it came from, members, tasks (done /
//                       cancel for the assignee or a manager; a budget task is
//                       done with its amount), links (documents, similar past
//                       cases), the timeline
//   /me/tasks           the signed-in person's tasks, open first (the phone)
//   /incidents/new      report an incident (what, where, when, severity,
//                       people affected); serious ones form a force at once
// The server decides every write (taskforce.write, the task's assignee,
// incident.write); a refusal is shown next to the form that caused it.
import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, select, toast, pageHead, emptyState, errorNode, fmtTime, field, input, actorName } from '../ui.js';
import * as session from '../session.js';

const KINDS = ['hazard', 'alarm', 'incident', 'drill', 'manual'];

function sourceLink(f) {
  const label = t('tf.source.' + (KINDS.includes(f.source_kind) ? f.source_kind : 'manual'));
  if (f.source_kind === 'hazard') return h('a', { href: '/hazards/' + f.source_id, 'data-link': '' }, label);
  if (f.source_kind === 'alarm') return h('a', { href: f.source_id ? '/alarms/' + f.source_id : '/alarms', 'data-link': '' }, label);
  return h('span', null, label);
}

function progress(f) {
  const p = f.progress || { tasks: 0, open: 0 };
  const done = p.tasks - p.open;
  return h('span', { class: 'tf-progress', dataset: { open: String(p.open) } },
    t('tf.progress', { done, total: p.tasks }),
    h('progress', { max: String(p.tasks || 1), value: String(done) }));
}

function stateBadge(state) {
  return h('span', { class: 'badge tf-state tf-' + state }, t('tf.state.' + state));
}

// ---- the list ------------------------------------------------------------------

export async function render(main, ctx) {
  const params = new URLSearchParams(location.search);
  const state = params.get('state') || '';
  const sel = select('state', [{ value: '', label: t('tf.filter.all') }, { value: 'open', label: t('tf.state.open') },
    { value: 'closed', label: t('tf.state.closed') }], state);
  sel.addEventListener('change', () => ctx.go('/task-forces' + qs({ state: sel.value })));
  const list = h('div', { class: 'rows', id: 'tf-list' });
  main.appendChild(h('div', { class: 'page' },
    pageHead(t('tf.title'), h('a', { href: '/me/tasks', 'data-link': '', class: 'btn btn-small', id: 'tf-mine' }, t('tf.mine')),
      h('a', { href: '/drills', 'data-link': '', class: 'btn btn-small', id: 'tf-drills' }, t('dr.title')),
      session.can.write() ? h('a', { href: '/incidents/new', 'data-link': '', class: 'btn btn-small', id: 'tf-incident' }, '+ ', t('tf.incident.new')) : null),
    h('p', { class: 'hint' }, t('tf.hint')),
    h('div', { class: 'filters' }, sel), list));
  const r = await api('GET', '/task-forces' + qs({ state, limit: 200 }));
  const items = (r && r.items) || [];
  if (!items.length) list.appendChild(emptyState(t('tf.none')));
  items.sort((a, b) => (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1));
  for (const f of items) {
    // a card with its title as the link (the source is a link of its own: no link inside a link)
    list.appendChild(h('div', { class: 'row-card tf-card', dataset: { id: String(f.id) } },
      h('div', { class: 'row-title' }, h('a', { href: '/task-forces/' + f.id, 'data-link': '', class: 'tf-card-title' }, f.title),
        stateBadge(f.state), f.drill ? h('span', { class: 'badge' }, t('tf.drill')) : null),
      h('div', { class: 'row-meta' }, sourceLink(f), h('span', null, fmtTime(f.opened_at)), progress(f))));
  }
}

// ---- one force -----------------------------------------------------------------

function taskRow(task, force, reload) {
  const me = session.me() || {};
  const mine = me.person_id && me.person_id === task.assignee_person_id;
  const canAct = force.state === 'open' && task.state === 'open';
  const box = h('div', { class: 'tf-task-actions' });
  if (canAct) {
    const note = input('note', { placeholder: t('tf.task.note'), class: 'tf-note' });
    const amount = task.kind === 'budget' ? input('amount', { type: 'number', min: '0', step: '0.01', placeholder: t('tf.task.amount'), class: 'tf-amount' }) : null;
    const err = h('div', { class: 'tf-err' });
    const fire = async (action) => {
      clear(err);
      const body = { note: note.value || undefined };
      if (action === 'done' && amount) body.amount = amount.value === '' ? undefined : Number(amount.value);
      try {
        await api('POST', `/task-force-tasks/${task.id}/actions/${action}`, body);
        toast(t('tf.task.' + action + '.ok'));
        reload();
      } catch (e) {
        err.appendChild(errorNode(e));
      }
    };
    box.append(note, amount || '',
      h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { act: 'done' }, onclick: () => fire('done') }, t('tf.task.done')),
      h('button', { type: 'button', class: 'btn btn-small', dataset: { act: 'cancel' }, onclick: () => fire('cancel') }, t('tf.task.cancel')),
      err);
  }
  return h('li', { class: 'tf-task tf-task-' + task.state + (mine ? ' tf-task-mine' : ''), dataset: { id: String(task.id), kind: task.kind } },
    h('div', null, h('strong', null, task.title), ' ', h('span', { class: 'badge' }, t('tf.task.state.' + task.state)),
      task.kind === 'budget' && task.amount !== null ? h('span', { class: 'tf-amount-done' }, ' ¥', String(task.amount)) : null),
    h('div', { class: 'row-meta' }, task.department || '', task.assignee ? ' · ' + task.assignee : ' · ' + t('tf.task.unassigned'),
      task.due_at ? ' · ' + t('tf.task.due', { at: fmtTime(task.due_at) }) : '', task.note ? ' · ' + task.note : ''),
    box);
}

export async function detail(main, ctx) {
  const id = ctx.params[0];
  const wrap = h('div', { class: 'page', id: 'tf-page' });
  main.appendChild(wrap);
  const reload = async () => {
    const f = await api('GET', '/task-forces/' + id);
    clear(wrap);
    const links = f.links || {};
    wrap.append(pageHead(f.title, h('a', { href: '/task-forces', 'data-link': '', class: 'btn btn-small' }, t('tf.back'))),
      h('section', { class: 'card' }, h('p', null, stateBadge(f.state), ' ', sourceLink(f), ' · ', t('tf.opened', { at: fmtTime(f.opened_at) }),
        f.closed_at ? ' · ' + t('tf.closed', { at: fmtTime(f.closed_at) }) : '', ' · ', progress(f))),
      h('section', { class: 'card' }, h('h2', null, t('tf.tasks')),
        h('ul', { class: 'tf-tasks', id: 'tf-tasks' }, (f.tasks || []).map((x) => taskRow(x, f, reload)))),
      h('section', { class: 'card' }, h('h2', null, t('tf.members')),
        h('ul', { id: 'tf-members' }, (f.members || []).map((m) => h('li', null, m.name, ' · ', m.department || '', m.role === 'lead' ? ' · ' + t('tf.lead') : '')))),
      h('section', { class: 'card' }, h('h2', null, t('tf.links')),
        h('ul', { id: 'tf-links' },
          (links.similar_cases || []).map((c) => h('li', null, h('a', { href: '/hazards/' + c.id, 'data-link': '' }, t('tf.case'), ' ', c.title), ' · ', fmtTime(c.found_at))),
          (links.documents || []).map((d) => h('li', null, d.kind === 'photo'
            ? h('a', { href: '/api/v1/attachments/' + d.attachment_id, target: '_blank' }, t('tf.photo'))
            : h('a', { href: d.href || '#', 'data-link': '' }, t('tf.doc.' + d.kind))))),
        !(links.similar_cases || []).length && !(links.documents || []).length ? emptyState(t('tf.links.none')) : null),
      h('section', { class: 'card' }, h('h2', null, t('tf.timeline')),
        h('ol', { class: 'timeline' }, (f.timeline || []).map((e) => h('li', null, fmtTime(e.at), ' ', t('tf.ev.' + e.kind), ' · ', actorName(e.actor))))));
  };
  await reload();
}

// ---- my tasks ------------------------------------------------------------------

export async function mine(main) {
  const list = h('ul', { class: 'tf-tasks', id: 'tf-my-tasks' });
  main.appendChild(h('div', { class: 'page' }, pageHead(t('tf.mine')), list));
  const r = await api('GET', '/me/tasks');
  const items = (r && r.items) || [];
  if (!items.length) list.appendChild(emptyState(t('tf.mine.none')));
  for (const x of items) {
    list.appendChild(h('li', { class: 'tf-task tf-task-' + x.state, dataset: { id: String(x.id) } },
      h('a', { href: '/task-forces/' + x.force_id, 'data-link': '' }, h('strong', null, x.title)), ' ',
      h('span', { class: 'badge' }, t('tf.task.state.' + x.state)),
      h('div', { class: 'row-meta' }, x.department || '', x.due_at ? ' · ' + t('tf.task.due', { at: fmtTime(x.due_at) }) : '')));
  }
}

// ---- report an incident --------------------------------------------------------

export async function incident(main, ctx) {
  const units = ((await api('GET', '/units' + qs({ limit: 200 }))) || {}).items || [];
  const unit = select('unit_id', units.filter((u) => u.kind !== 'park' && u.kind !== 'enterprise')
    .map((u) => ({ value: String(u.id), label: u.name })), '');
  const sev = select('severity', ['minor', 'serious', 'major', 'critical'].map((s) => ({ value: s, label: t('tf.sev.' + s) })), 'minor');
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const when = input('occurred_at', { type: 'datetime-local', value: now });
  const title = input('title', { maxlength: '200' });
  const desc = h('textarea', { name: 'description', rows: '3', maxlength: '2000' });
  const counts = ['people_affected', 'injuries', 'fatalities'].map((n) => input(n, { type: 'number', min: '0', value: '0' }));
  const err = h('div', { class: 'tf-err' });
  const form = h('form', { class: 'card form', id: 'tf-incident-form' },
    field(t('tf.f.unit'), unit), field(t('tf.f.title'), title), field(t('tf.f.description'), desc),
    field(t('tf.f.occurred_at'), when), field(t('tf.f.severity'), sev),
    field(t('tf.f.people_affected'), counts[0]), field(t('tf.f.injuries'), counts[1]), field(t('tf.f.fatalities'), counts[2]),
    err, h('button', { type: 'submit', class: 'btn btn-primary' }, t('tf.incident.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(err);
    const at = when.value ? new Date(when.value).toISOString() : '';
    try {
      const r = await api('POST', '/incidents', { unit_id: Number(unit.value), title: title.value, description: desc.value || undefined,
        occurred_at: at, severity: sev.value, people_affected: Number(counts[0].value || 0), injuries: Number(counts[1].value || 0),
        fatalities: Number(counts[2].value || 0) });
      toast(t('tf.incident.ok'));
      ctx.go(r.task_force_id ? '/task-forces/' + r.task_force_id : '/task-forces');
    } catch (e) {
      err.appendChild(errorNode(e));
    }
  });
  main.appendChild(h('div', { class: 'page' }, pageHead(t('tf.incident.new')), h('p', { class: 'hint' }, t('tf.incident.hint')), form));
}
