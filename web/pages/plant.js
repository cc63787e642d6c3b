// pages/plant.js — 设备与联锁: the interlock bypasses (联锁旁路) and the
// maintenance work orders of the reader's scope, the records the
// early-warning issue keeps (docs/internals/plant.md), on one page:
//   bypasses    still in force first (expired and not restored, active with
//               the time left, approved, requested), with the interlock, the
//               reason, the measures taken meanwhile and who asked and
//               approved; 申请旁路 (a form: unit, equipment, interlock, reason,
//               measures, expiry), 批准 (bypass.approve: not by the requester),
//               投用 once approved, 恢复联锁 for one in force, 延期 (a new
//               approval with a new expiry, bypass.approve) for one in force,
//               取消 before
//   work orders open first (in progress, open), with the equipment, kind,
//               where it came from (a sensor fault, the 3-in-30-days rule, by
//               hand) and the due time; 开始, and 完成 / 取消 with a note
//   值班表      the week's duty roster (?week=YYYY-MM-DD, Monday first): per
//               unit with shifts, a row a shift and a column a day (on a
//               phone, the days one under another, the days gone by folded),
//               the shift on duty now marked 当班中, the people
//               on duty with their role — who an unacknowledged alarm is
//               escalated to (grid leader → safety officer → manager); 排班
//               adds one (person, role) to a shift and day, × removes one;
//               延续排班 carries the rota on by its cycle (continueDialog);
//               a shift a crew (班组) was put on shows the crew's name
//   班组        the crews with their 班长 and members; 新建班组 / 编辑 (name,
//               members, 停用), 排班 puts the whole crew on a shift every N
//               days (POST /crews/{id}/actions/schedule)
// Data: GET /bypasses, /work-orders, /equipment, /people (names), /shifts,
// /roster-entries?from=&to=, /crews?active=1; actions through POST .../actions/{action},
// POST /roster-entries, DELETE /roster-entries/{id}. plant.write (admin, manager, safety
// officer, department head) is offered the actions; the server decides.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, pageHead, emptyState, fmtTime, badge, toast, errorNode, confirmDialog, field, input, select, formError,
  showError, clearErrors, busy, openDialog, clear } from '../ui.js';
import * as session from '../session.js';
import { localInputValue, toRfc3339, personField } from './hazard_ui.js';

const DUTY_ROLES = ['grid_leader', 'safety_officer', 'manager', 'operator'];
const DUTY_KIND = { grid_leader: 'info', safety_officer: 'warn', manager: 'danger', operator: 'off' };

// Dates as YYYY-MM-DD, computed in UTC so that no zone shifts a day.
const ymd = (d) => d.toISOString().slice(0, 10);
const addDays = (day, n) => ymd(new Date(Date.parse(day + 'T00:00:00Z') + n * 86400e3));
function weekStart(day) {
  const d = new Date(Date.parse(day + 'T00:00:00Z'));
  return addDays(day, -((d.getUTCDay() + 6) % 7)); // Monday
}
function today() {
  const n = new Date();
  return ymd(new Date(Date.UTC(n.getFullYear(), n.getMonth(), n.getDate())));
}

// 排班: one person in one duty role on a shift and day.
function dutyDialog(shift, day, done) {
  const role = select('role', DUTY_ROLES.map((r) => ({ value: r, label: t('pl.r.role.' + r) })));
  const form = h('form', { class: 'form', id: 'pl-duty', novalidate: true }, formError(),
    h('p', null, t('pl.r.slot', { shift: shift.name, day })),
    personField('person_id', t('pl.r.person'), true), field(t('pl.r.role'), role),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('pl.r.add'))));
  const d = openDialog(t('pl.r.add'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const person = form.querySelector('[name=person_id]').value;
    if (!person) return showError(form, { field: 'person_id', message: t('pl.r.need_person') });
    busy(form, async () => {
      try {
        await api('POST', '/roster-entries', { entries: [{ shift_id: shift.id, day, person_id: Number(person), role: role.value }] });
        d.close();
        toast(t('pl.r.added_ok'), 'ok');
        done();
      } catch (e) { showError(form, e, { labels: { 'entries[0].person_id': t('pl.r.person'), 'entries[0].role': t('pl.r.role') } }); }
    });
  });
}

// 延续排班: the rota carried on by its cycle. Each day from `from` to `to`
// gets the duties of the day `cycle` days before it (四班两倒 白夜休休: 4; a
// weekly roster: 7), so one cycle entered by hand goes on for weeks; duties
// already there are kept, and the rest is added in one request, all or
// nothing (POST /roster-entries, at most 1000 a time).
const MAX_BATCH = 1000;
async function lastRostered() { // the last day with a duty, within two months back and a year on
  const any = async (k) => (((await api('GET', '/roster-entries' + qs({ from: addDays(today(), k), limit: 1 }))) || {}).items || []).length > 0;
  let lo = -62, hi = 366; // any(lo) holds, any(hi) does not
  if (!(await any(lo))) return '';
  while (hi - lo > 1) { const mid = Math.floor((lo + hi) / 2); if (await any(mid)) lo = mid; else hi = mid; }
  return addDays(today(), lo);
}

async function continueDialog(done) {
  const last = await lastRostered();
  const first = last ? addDays(last, 1) : today();
  const cycle = input('cycle', { type: 'number', min: 1, max: 28, step: 1, value: 4, required: true });
  const from = input('from', { type: 'date', value: first, required: true });
  const to = input('to', { type: 'date', value: addDays(first, 27), required: true });
  const form = h('form', { class: 'form', id: 'pl-continue', novalidate: true }, formError(),
    h('p', null, last ? t('pl.r.cont.last', { day: last }) : t('pl.r.cont.none')),
    field(t('pl.r.cont.cycle'), cycle, t('pl.r.cont.cycle_hint')), field(t('pl.r.cont.from'), from), field(t('pl.r.cont.to'), to),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('pl.r.cont.go'))));
  const d = openDialog(t('pl.r.continue'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const n = Number(cycle.value), a = from.value, b = to.value;
    if (!Number.isInteger(n) || n < 1 || n > 28) return showError(form, { field: 'cycle', message: t('pl.r.cont.bad_cycle') });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(a)) return showError(form, { field: 'from', message: t('pl.r.cont.bad_day') });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(b) || b < a) return showError(form, { field: 'to', message: t('pl.r.cont.bad_to') });
    busy(form, async () => {
      try {
        const have = await listAll('/roster-entries' + qs({ from: addDays(a, -n), to: b }));
        const key = (e, day) => [e.shift_id, e.person_id, e.role, day].join('/');
        const seen = new Set(have.map((e) => key(e, e.day)));
        const byDay = new Map();
        for (const e of have) byDay.set(e.day, [...(byDay.get(e.day) || []), e]);
        if (![...Array(n).keys()].some((i) => byDay.has(addDays(a, i - n))))
          return showError(form, { field: 'from', message: t('pl.r.cont.no_source', { from: addDays(a, -n), to: addDays(a, -1) }) });
        const entries = [];
        let kept = 0;
        for (let day = a; day <= b; day = addDays(day, 1)) {
          const made = [];
          for (const e of byDay.get(addDays(day, -n)) || []) {
            if (seen.has(key(e, day))) { kept++; continue; }
            seen.add(key(e, day));
            made.push({ shift_id: e.shift_id, person_id: e.person_id, role: e.role, day, crew_id: e.crew_id || null });
          }
          byDay.set(day, [...(byDay.get(day) || []), ...made]); // a later day copies this one
          entries.push(...made);
        }
        if (entries.length > MAX_BATCH) return showError(form, { field: 'to', message: t('pl.r.cont.too_many', { n: entries.length, max: MAX_BATCH }) });
        if (entries.length) await api('POST', '/roster-entries', { entries });
        d.close();
        toast(t('pl.r.cont.done', { n: entries.length, kept }), 'ok');
        done(a);
      } catch (e) { showError(form, e); }
    });
  });
}

// 班组: a crew's name and members, each a person found by name (the people
// of the reader's scope, active) with a crew role, 班长 or 操作工; the server
// names a wrong member as members[i].person_id / .role, shown on its row.
const CREW_ROLES = ['grid_leader', 'operator'];
function memberRow(m) {
  const sel = h('select', { class: 'input pl-member-person', 'aria-label': t('pl.r.person') },
    h('option', { value: '' }, t('hz.person.choose')));
  if (m) sel.appendChild(h('option', { value: String(m.person_id) }, m.person_name));
  sel.value = m ? String(m.person_id) : '';
  const q = h('input', { type: 'search', class: 'input pl-member-q', placeholder: t('hz.person.search'), 'aria-label': t('hz.person.search') });
  let seq = 0, timer = 0;
  const search = async () => {
    const my = ++seq;
    const page = await api('GET', '/people' + qs({ q: q.value.trim(), active: 1, limit: 30 })).catch(() => null);
    if (my !== seq) return;
    const keep = sel.value, keepText = sel.selectedOptions[0] ? sel.selectedOptions[0].textContent : '';
    const items = (page && page.items) || [];
    clear(sel).appendChild(h('option', { value: '' }, items.length ? t('hz.person.choose') : t('hz.person.none')));
    const found = items.some((p) => String(p.id) === keep);
    if (keep && !found) sel.appendChild(h('option', { value: keep }, keepText)); // the member so far stays to go back to
    for (const p of items) sel.appendChild(h('option', { value: String(p.id) }, p.name + (p.employee_no ? ' · ' + p.employee_no : '')));
    sel.value = q.value.trim() && items.length && !found ? String(items[0].id) : keep; // a search picks what it found
  };
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  const role = select('', CREW_ROLES.map((r) => ({ value: r, label: t('pl.cr.role.' + r) })), m ? m.role : 'operator', { class: 'input pl-member-role', 'aria-label': t('pl.r.role') });
  const row = h('div', { class: 'pl-member' },
    h('div', { class: 'field pl-member-who' }, q, sel, h('div', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'field pl-member-as' }, role, h('div', { class: 'field-error', role: 'alert' })),
    h('button', { type: 'button', class: 'btn btn-ghost btn-icon pl-member-del', title: t('pl.cr.del_member'), 'aria-label': t('pl.cr.del_member'),
      onclick: () => row.remove() }, '✕'));
  if (!m) search();
  else q.addEventListener('focus', () => { if (!seq) search(); }, { once: true });
  row.value = () => ({ person_id: Number(sel.value), role: role.value });
  return row;
}

function crewDialog(crew, units, unitIds, done) {
  const name = input('name', { maxlength: 60, value: crew ? crew.name : '', placeholder: t('pl.cr.name_hint'), required: true });
  const unit = crew ? null : select('unit_id', unitIds.map((u) => ({ value: u, label: session.unitName(units, u) })));
  const rows = h('div', { class: 'pl-members', dataset: { field: 'members' } });
  for (const m of crew ? crew.members : [null]) rows.appendChild(memberRow(m));
  const form = h('form', { class: 'form', id: 'pl-crew', novalidate: true }, formError(),
    field(t('pl.cr.name'), name), unit && unitIds.length > 1 ? field(t('pl.f.unit'), unit) : null,
    h('h3', null, t('pl.cr.members')), h('p', { class: 'hint' }, t('pl.cr.members_hint')), rows,
    h('button', { type: 'button', class: 'btn btn-small', id: 'pl-member-add', onclick: () => rows.appendChild(memberRow(null)) }, '+ ', t('pl.cr.add_member')),
    h('div', { class: 'form-actions' },
      crew ? h('button', { type: 'button', class: 'btn', id: 'pl-crew-retire', onclick: async () => {
        if (!(await confirmDialog(t('pl.cr.retire'), t('pl.cr.retire_q', { name: crew.name }), t('pl.cr.retire'), true))) return;
        try { await api('PATCH', '/crews/' + crew.id, { active: false }); d.close(); toast(t('pl.cr.retired_ok'), 'ok'); done(); } catch (e) { showError(form, e); }
      } }, t('pl.cr.retire')) : null,
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'))));
  const d = openDialog(crew ? t('pl.cr.edit', { name: crew.name }) : t('pl.cr.new'), form, { wide: true });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const list = [...rows.querySelectorAll('.pl-member')];
    list.forEach((r, i) => { // the server's field names, in today's order
      r.querySelector('.pl-member-who').dataset.field = `members[${i}].person_id`;
      r.querySelector('.pl-member-as').dataset.field = `members[${i}].role`;
    });
    if (!name.value.trim()) return showError(form, { field: 'name', message: t('pl.cr.need_name') });
    if (!list.length) return showError(form, { field: 'members', message: t('pl.cr.need_member') });
    const members = list.map((r) => r.value());
    const empty = members.findIndex((m) => !m.person_id);
    if (empty >= 0) return showError(form, { field: `members[${empty}].person_id`, message: t('pl.r.need_person') });
    busy(form, async () => {
      try {
        if (crew) await api('PATCH', '/crews/' + crew.id, { name: name.value.trim(), members });
        else await api('POST', '/crews', { unit_id: Number(unit.value), name: name.value.trim(), members });
        d.close();
        toast(t('pl.cr.saved_ok'), 'ok');
        done();
      } catch (e) {
        const labels = {};
        list.forEach((r, i) => { labels[`members[${i}].person_id`] = labels[`members[${i}].role`] = t('pl.cr.member_n', { n: i + 1 }); });
        showError(form, e, { labels });
      }
    });
  });
}

// 按班组排班: the crew on one shift from a day to a day, every `every` days
// (四班两倒: the day shift every 4 days from its first day, the night shift
// every 4 days from the day after); members already there are kept.
function scheduleDialog(crew, shifts, done) {
  const mine = shifts.filter((s) => s.active && s.unit_id === crew.unit_id);
  const shift = select('shift_id', mine.map((s) => ({ value: s.id, label: s.name + ' ' + s.start })));
  const every = input('every', { type: 'number', min: 1, max: 28, step: 1, value: 4, required: true });
  const from = input('from', { type: 'date', value: today(), required: true });
  const to = input('to', { type: 'date', value: addDays(today(), 27), required: true });
  const form = h('form', { class: 'form', id: 'pl-schedule', novalidate: true }, formError(),
    h('p', null, t('pl.cr.schedule_what', { name: crew.name, n: crew.members.length })),
    field(t('pl.r.shift'), shift), field(t('pl.cr.from'), from), field(t('pl.r.cont.to'), to),
    field(t('pl.cr.every'), every, t('pl.cr.every_hint')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('pl.cr.schedule'))));
  const d = openDialog(t('pl.cr.schedule_title', { name: crew.name }), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const n = Number(every.value), a = from.value, b = to.value;
    if (!shift.value) return showError(form, { field: 'shift_id', message: t('pl.cr.no_shift') });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(a)) return showError(form, { field: 'from', message: t('pl.r.cont.bad_day') });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(b) || b < a) return showError(form, { field: 'to', message: t('pl.r.cont.bad_to') });
    if (!Number.isInteger(n) || n < 1 || n > 28) return showError(form, { field: 'every', message: t('pl.r.cont.bad_cycle') });
    const days = [];
    for (let day = a; day <= b && days.length <= 400; day = addDays(day, n)) days.push(day);
    if (days.length > 400 || days.length * crew.members.length > MAX_BATCH)
      return showError(form, { field: 'to', message: t('pl.r.cont.too_many', { n: days.length * crew.members.length, max: MAX_BATCH }) });
    busy(form, async () => {
      try {
        const r = await api('POST', `/crews/${crew.id}/actions/schedule`, { shift_id: Number(shift.value), days });
        d.close();
        toast(t('pl.r.cont.done', { n: r.added, kept: r.kept }), 'ok');
        done(a);
      } catch (e) { // a member who has left since is named by the server as members[i]
        const labels = {};
        crew.members.forEach((m, i) => { labels[`members[${i}].person_id`] = m.person_name; });
        showError(form, e, { labels });
      }
    });
  });
}

// A person's name, marked （已离职） once they have left (no longer paged).
const personName = (id, name, active) => (active ? name
  : h('span', { class: 'pl-person-left', dataset: { person: String(id) } }, name, t('pl.cr.left')));

// The crews of the reader's scope, each with its 班长 first; 编辑 and 排班 to a writer.
function crewsBlock(crews, shifts, units, write, reload, go) {
  const unitIds = [...new Set(shifts.filter((s) => s.active).map((s) => s.unit_id))];
  const who = (m) => personName(m.person_id, m.person_name, m.active);
  const card = (c) => {
    const lead = c.members.filter((m) => m.role === 'grid_leader'), ops = c.members.filter((m) => m.role !== 'grid_leader');
    return h('div', { class: 'pl-crew', dataset: { id: String(c.id), name: c.name } },
      h('strong', null, c.name), ' ',
      lead.map((m) => h('span', { class: 'pl-crew-lead' }, badge(t('pl.cr.role.grid_leader'), 'info'), ' ', who(m), ' ')),
      h('span', { class: 'muted pl-crew-ops' }, ops.map((m, i) => [i ? '、' : '', who(m)])),
      write ? h('span', { class: 'pl-crew-actions' },
        h('button', { type: 'button', class: 'btn btn-small pl-crew-edit', onclick: () => crewDialog(c, units, unitIds, reload) }, t('pl.cr.edit_btn')),
        h('button', { type: 'button', class: 'btn btn-small btn-primary pl-crew-schedule',
          onclick: () => scheduleDialog(c, shifts, (day) => go(location.pathname + qs({ week: weekStart(day) }) + '#pl-roster')) }, t('pl.cr.schedule'))) : null);
  };
  if (!crews.length && !write) return [];
  return [h('div', { class: 'pl-crews', id: 'pl-crews' },
    h('h3', null, t('pl.cr.title')),
    crews.length ? crews.map(card) : h('p', { class: 'muted' }, t('pl.cr.none')),
    write && unitIds.length ? h('button', { type: 'button', class: 'btn btn-small', id: 'pl-crew-new',
      onclick: () => crewDialog(null, units, unitIds, reload) }, '+ ', t('pl.cr.new')) : null)];
}

// The week's roster, per unit with shifts: a table (a row a shift, a column a
// day) on a wider screen; on a phone (PHONE) the days one under another, each
// with its shifts, so nothing scrolls sideways. The shift on duty now is
// marked (当班中) in both.
const PHONE = '(max-width: 640px)';
function rosterSection(shifts, entries, units, week, write, reload, go) {
  const days = [...Array(7).keys()].map((i) => addDays(week, i));
  const now = today();
  const nav = (d, label, id) => h('a', { href: location.pathname + qs({ week: d }) + '#pl-roster', class: 'btn btn-small', id, dataset: { link: '' } }, label);
  const head = h('div', { class: 'toolbar', id: 'pl-week', dataset: { week } },
    nav(addDays(week, -7), t('pl.r.prev'), 'pl-week-prev'),
    h('strong', null, ' ', t('pl.r.week', { from: days[0], to: days[6] }), ' '),
    nav(addDays(week, 7), t('pl.r.next'), 'pl-week-next'),
    week !== weekStart(now) ? nav(weekStart(now), t('pl.r.this'), 'pl-week-this') : null,
    write ? h('button', { type: 'button', class: 'btn btn-small', id: 'pl-continue-btn',
      onclick: () => continueDialog((day) => go(location.pathname + qs({ week: weekStart(day) }) + '#pl-roster')) },
    t('pl.r.continue')) : null);
  const active = shifts.filter((s) => s.active).sort((a, b) => a.unit_id - b.unit_id || a.start.localeCompare(b.start));
  if (!active.length) return [head, emptyState(t(write ? 'pl.r.no_shifts' : 'pl.r.no_shifts_read'))];
  const unitIds = [...new Set(active.map((s) => s.unit_id))];
  const startMin = (s) => Number(s.start.slice(0, 2)) * 60 + Number(s.start.slice(3));
  const end = (s) => { const m = (startMin(s) + s.length_min) % 1440;
    return String(Math.floor(m / 60)).padStart(2, '0') + ':' + String(m % 60).padStart(2, '0'); };
  // on duty now: the shift of that day has begun and not ended (a night shift
  // of yesterday runs into today), in this device's clock as the rest of the page
  const clock = new Date();
  const nowMin = clock.getHours() * 60 + clock.getMinutes(); // minutes since today's midnight
  const onNow = (s, day) => {
    const from = (Date.parse(day + 'T00:00:00Z') - Date.parse(now + 'T00:00:00Z')) / 60e3 + startMin(s);
    return nowMin >= from && nowMin < from + s.length_min;
  };
  const nowBadge = () => h('span', { class: 'pl-now-badge' }, badge(t('pl.r.now'), 'ok'));
  const duties = (s, day) => {
    const here = entries.filter((e) => e.shift_id === s.id && e.day === day)
      .sort((a, b) => DUTY_ROLES.indexOf(a.role) - DUTY_ROLES.indexOf(b.role));
    const crewNames = [...new Set(here.map((e) => e.crew_name).filter(Boolean))];
    return [crewNames.map((n) => h('div', { class: 'pl-cell-crew', dataset: { crew: n } }, badge(n, 'info'))),
      here.map((e) => h('div', { class: 'pl-duty' + (e.person_active ? '' : ' pl-duty-left'), dataset: { id: String(e.id), role: e.role } },
        badge(t('pl.r.role.' + e.role), DUTY_KIND[e.role]), ' ', personName(e.person_id, e.person_name, e.person_active),
        write ? h('button', { type: 'button', class: 'pl-duty-del', title: t('pl.r.remove'), 'aria-label': t('pl.r.remove'),
          onclick: async () => {
            if (!(await confirmDialog(t('pl.r.remove'), t('pl.r.remove_q', { name: e.person_name, shift: s.name, day }), t('pl.r.remove'), true))) return;
            try { await api('DELETE', '/roster-entries/' + e.id); toast(t('pl.r.removed_ok'), 'ok'); reload(); } catch (err) { toast(errorNode(err), 'error'); }
          } }, '×') : null)),
      here.length ? null : h('span', { class: 'muted' }, t('pl.r.nobody')),
      write ? h('button', { type: 'button', class: 'btn btn-small pl-duty-add', onclick: () => dutyDialog(s, day, reload) }, '+ ', t('pl.r.add')) : null];
  };
  const slotClass = (s, day) => [day === now ? 'pl-today' : '', onNow(s, day) ? 'pl-now' : ''].join(' ').trim() || null;
  const table = (u) => h('div', { class: 'table-wrap bleed' },
    h('h3', null, session.unitName(units, u)),
    h('table', { class: 'table pl-roster', dataset: { unit: String(u) } },
      h('thead', null, h('tr', null, h('th', null, t('pl.r.shift')),
        days.map((d, i) => h('th', { class: d === now ? 'pl-today' : null }, t('pl.r.dow.' + i), h('br'), d.slice(5))))),
      h('tbody', null, active.filter((s) => s.unit_id === u).map((s) => h('tr', null,
        h('th', null, s.name, h('div', { class: 'muted' }, s.start + '–' + end(s))),
        days.map((d) => h('td', { class: slotClass(s, d), dataset: { shift: String(s.id), day: d } },
          onNow(s, d) ? nowBadge() : null, duties(s, d))))))));
  // this week's days gone by fold away on a phone, so today comes first
  const past = days.filter((d) => d < now);
  const folded = past.length > 0 && past.length < 7;
  const dayCard = (u, d) => h('section', { class: 'pl-day' + (d === now ? ' pl-today' : ''), dataset: { day: d } },
    h('h4', null, t('pl.r.dow.' + days.indexOf(d)), ' ', d.slice(5)),
    active.filter((s) => s.unit_id === u).map((s) => h('div', { class: ['pl-slot', slotClass(s, d)].join(' ').trim(), dataset: { shift: String(s.id), day: d } },
      h('div', { class: 'pl-slot-head' }, h('strong', null, s.name), ' ', h('span', { class: 'muted' }, s.start + '–' + end(s)),
        onNow(s, d) ? nowBadge() : null),
      duties(s, d))));
  const list = (u) => h('div', { class: 'pl-days', dataset: { unit: String(u) } },
    h('h3', null, session.unitName(units, u)),
    folded ? h('details', { class: 'pl-past' }, h('summary', null, t('pl.r.past', { n: past.length })), past.map((d) => dayCard(u, d))) : null,
    (folded ? days.filter((d) => d >= now) : days).map((d) => dayCard(u, d)));
  // people who have left since are no longer paged: their duties from today on need someone else
  const gone = new Map(); // person id -> { name, n: their duties }
  for (const e of entries.filter((x) => !x.person_active && x.day >= now)) {
    const g = gone.get(e.person_id) || { name: e.person_name, n: 0 };
    g.n++;
    gone.set(e.person_id, g);
  }
  const goneNote = gone.size ? h('p', { class: 'notice notice-warn', id: 'pl-roster-left' }, t('pl.r.left', {
    who: [...gone.values()].map((g) => t('pl.r.left_one', { name: g.name, n: g.n })).join('、') })) : null;
  const phone = window.matchMedia(PHONE).matches;
  return [head, goneNote, ...unitIds.map((u) => (phone ? list(u) : table(u)))].filter(Boolean);
}

const BYPASS_ORDER = { expired: 0, active: 1, approved: 2, requested: 3, restored: 4, cancelled: 5 };
const BYPASS_KIND = { expired: 'danger', active: 'warn', approved: 'info', requested: 'info', restored: 'ok', cancelled: 'off' };
const WO_ORDER = { in_progress: 0, open: 1, done: 2, cancelled: 3 };
const WO_KIND = { in_progress: 'info', open: 'warn', done: 'ok', cancelled: 'off' };

// 申请旁路: the request; the server names a wrong field, shown beside it.
// A bypass is of a piece of equipment or of a point (位号): one select offers both.
function requestDialog(units, equipment, points, done) {
  const unit = select('unit_id', [{ value: '', label: t('pl.f.pick_unit') }].concat(session.unitOptions(units, { kinds: ['site', 'area', 'workshop', 'grid'] })));
  const eq = h('select', { name: 'target', class: 'input' }, h('option', { value: '' }, t('pl.f.pick_target')),
    h('optgroup', { label: t('pl.f.equipment') }, equipment.map((e) => h('option', { value: 'e:' + e.id }, e.code + ' ' + e.name))),
    h('optgroup', { label: t('pl.f.points') }, points.map((p) => h('option', { value: 'p:' + p.id }, p.tag + ' ' + p.name))));
  const il = input('interlock', { maxlength: 200, placeholder: t('pl.f.interlock_hint') });
  const reason = h('textarea', { name: 'reason', class: 'input', rows: 2, maxlength: 2000 });
  const measures = h('textarea', { name: 'measures', class: 'input', rows: 2, maxlength: 2000, placeholder: t('pl.f.measures_hint') });
  const until = input('expires_at', { type: 'datetime-local', value: localInputValue(new Date(Date.now() + 8 * 3600e3)) });
  const form = h('form', { class: 'form', id: 'pl-request', novalidate: true }, formError(),
    field(t('pl.f.unit'), unit), field(t('pl.f.target'), eq), field(t('pl.f.interlock'), il),
    field(t('pl.b.reason'), reason), field(t('pl.b.measures'), measures), field(t('pl.f.until'), until),
    h('p', { class: 'hint' }, t('pl.f.note')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('pl.f.submit'))));
  const d = openDialog(t('pl.b.request'), form, { wide: true });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!eq.value) return showError(form, { field: 'target', message: t('pl.f.need_target') });
    const body = { unit_id: unit.value ? Number(unit.value) : undefined, interlock: il.value.trim(), reason: reason.value.trim(),
      measures: measures.value.trim(), expires_at: toRfc3339(until.value) || undefined };
    body[eq.value[0] === 'e' ? 'equipment_id' : 'point_id'] = Number(eq.value.slice(2));
    busy(form, async () => {
      try {
        await api('POST', '/bypasses', body);
        d.close();
        toast(t('pl.b.requested_ok'), 'ok');
        done();
      } catch (e) { showError(form, e, { labels: { point_id: t('pl.f.target'), equipment_id: t('pl.f.target') } }); }
    });
  });
}

// 延期: a new approval of a bypass in force, with its new expiry (at most 72
// hours on, the server's limit; it names the field when refused).
function extendDialog(b, done) {
  const until = input('expires_at', { type: 'datetime-local', value: localInputValue(new Date(Math.max(Date.now(), Date.parse(b.expires_at)) + 8 * 3600e3)) });
  const form = h('form', { class: 'form', id: 'pl-extend', novalidate: true }, formError(),
    h('p', null, t('pl.b.extend_what', { name: b.interlock, at: fmtTime(b.expires_at) })),
    field(t('pl.f.until'), until), h('p', { class: 'hint' }, t('pl.b.extend_note')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('pl.b.extend'))));
  const d = openDialog(t('pl.b.extend'), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        await api('POST', `/bypasses/${b.id}/actions/extend`, { expires_at: toRfc3339(until.value) || undefined });
        d.close();
        toast(t('pl.b.extended_ok'), 'ok');
        done();
      } catch (e) { showError(form, e); }
    });
  });
}

// "还剩 3 小时 20 分" or "已超期 2 小时"
function left(iso) {
  const ms = Date.parse(iso) - Date.now();
  const m = Math.max(1, Math.round(Math.abs(ms) / 60000));
  const text = m >= 60 ? t('pl.hm', { h: Math.floor(m / 60), m: m % 60 }) : t('pl.m', { m });
  return ms < 0 ? t('pl.late', { v: text }) : t('pl.left', { v: text });
}

export async function render(main, ctx) {
  const asked = new URLSearchParams(location.search).get('week');
  const week = weekStart(asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked)) ? asked : today());
  const [bypasses, orders, equipment, points, units, shifts, duty, crews] = await Promise.all([listAll('/bypasses'), listAll('/work-orders'),
    listAll('/equipment'), listAll('/points'), session.units(), listAll('/shifts'),
    listAll('/roster-entries' + qs({ from: week, to: addDays(week, 6) })), listAll('/crews' + qs({ active: 1 }))]);
  const eqName = (id) => { const e = equipment.find((x) => x.id === id); return e ? e.code + ' ' + e.name : ''; };
  const people = new Map();
  const ptName = (id) => { const p = points.find((x) => x.id === id); return p ? p.tag + ' ' + p.name : ''; };
  const ids = [...new Set(bypasses.flatMap((b) => [b.requested_by_person_id, b.approver_person_id]).filter(Boolean))];
  await Promise.all(ids.map((id) => api('GET', '/people/' + id).then((p) => people.set(id, p.name)).catch(() => null)));
  const who = (id) => (id ? people.get(id) || '#' + id : '—');
  const write = session.can.plantWrite();
  const reload = () => ctx.go(location.pathname + location.search, true);
  const act = async (path, body, done) => {
    try {
      await api('POST', path, body);
      toast(done, 'ok');
      reload();
    } catch (e) { toast(errorNode(e), 'error'); }
  };

  const bRows = bypasses.slice().sort((a, b) => BYPASS_ORDER[a.state] - BYPASS_ORDER[b.state] || String(a.expires_at).localeCompare(String(b.expires_at)));
  const inForce = (b) => b.state === 'active' || b.state === 'expired';
  const bypassCard = (b) => h('div', { class: 'row-card pl-bypass', dataset: { id: String(b.id), state: b.state } },
    h('div', null,
      h('strong', null, b.interlock), ' ', badge(t('pl.b.' + b.state), BYPASS_KIND[b.state]),
      inForce(b) ? h('span', { class: b.state === 'expired' ? 'vr-warn pl-left' : 'muted pl-left' }, ' ', left(b.expires_at)) : null,
      h('div', { class: 'muted' }, session.unitName(units, b.unit_id), b.equipment_id ? ' · ' + eqName(b.equipment_id) : '',
        b.point_id ? ' · ' + ptName(b.point_id) : '', ' · ', t('pl.b.until', { at: fmtTime(b.expires_at) })),
      h('div', null, t('pl.b.reason'), '：', b.reason),
      h('div', null, t('pl.b.measures'), '：', b.measures),
      h('div', { class: 'muted' }, t('pl.b.people', { req: who(b.requested_by_person_id), appr: who(b.approver_person_id) }),
        b.extensions ? ' · ' + t('pl.b.extended', { n: b.extensions }) : '')),
    h('div', { class: 'row-actions' },
    write && inForce(b) ? h('button', { type: 'button', class: 'btn btn-small btn-primary pl-restore', onclick: async () => {
      if (await confirmDialog(t('pl.b.restore'), t('pl.b.restore_q', { name: b.interlock }), t('pl.b.restore')))
        act(`/bypasses/${b.id}/actions/restore`, {}, t('pl.b.restored_ok'));
    } }, t('pl.b.restore')) : null,
    session.can.bypassApprove() && inForce(b) ? h('button', { type: 'button', class: 'btn btn-small pl-extend',
      onclick: () => extendDialog(b, reload) }, t('pl.b.extend')) : null,
    session.can.bypassApprove() && b.state === 'requested' ? h('button', { type: 'button', class: 'btn btn-small btn-primary pl-approve', onclick: async () => {
      if (await confirmDialog(t('pl.b.approve'), t('pl.b.approve_q', { name: b.interlock, at: fmtTime(b.expires_at) }), t('pl.b.approve')))
        act(`/bypasses/${b.id}/actions/approve`, {}, t('pl.b.approved_ok'));
    } }, t('pl.b.approve')) : null,
    write && b.state === 'approved' ? h('button', { type: 'button', class: 'btn btn-small btn-primary pl-activate', onclick: async () => {
      if (await confirmDialog(t('pl.b.activate'), t('pl.b.activate_q', { name: b.interlock }), t('pl.b.activate'), true))
        act(`/bypasses/${b.id}/actions/activate`, {}, t('pl.b.activated_ok'));
    } }, t('pl.b.activate')) : null,
    write && (b.state === 'requested' || b.state === 'approved') ? h('button', { type: 'button', class: 'btn btn-small pl-cancel', onclick: async () => {
      if (await confirmDialog(t('pl.b.cancel'), t('pl.b.cancel_q', { name: b.interlock }), t('pl.b.cancel'), true))
        act(`/bypasses/${b.id}/actions/cancel`, {}, t('pl.b.cancelled_ok'));
    } }, t('pl.b.cancel')) : null));

  const wRows = orders.slice().sort((a, b) => WO_ORDER[a.state] - WO_ORDER[b.state] || String(a.due_at || '~').localeCompare(String(b.due_at || '~')));
  const late = (w) => (w.state === 'open' || w.state === 'in_progress') && w.due_at && Date.parse(w.due_at) < Date.now();
  const closeWith = (w, action) => {
    const note = h('input', { class: 'input tf-note', name: 'note', placeholder: t('pl.w.note') });
    const box = h('div', { class: 'tf-task-actions' }, note, h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => {
      if (!note.value.trim()) { note.focus(); toast(t('pl.w.need_note'), 'error'); return; }
      act(`/work-orders/${w.id}/actions/${action}`, { note: note.value.trim() }, t('pl.w.' + action + '_ok'));
    } }, t('pl.w.act.' + action)));
    return box;
  };
  const orderCard = (w) => {
    const card = h('div', { class: 'row-card pl-order', dataset: { id: String(w.id), state: w.state } },
      h('div', null,
        h('strong', null, w.title), ' ', badge(t('pl.w.' + w.state), WO_KIND[w.state]), ' ', badge(t('pl.w.kind.' + w.kind, null, w.kind)),
        late(w) ? h('span', { class: 'vr-warn' }, ' ', t('pl.w.late')) : null,
        h('div', { class: 'muted' }, session.unitName(units, w.unit_id), w.equipment_id ? ' · ' + eqName(w.equipment_id) : '',
          ' · ', t('pl.w.source.' + ((w.source && w.source.kind) || 'manual'), null, (w.source && w.source.kind) || ''),
          w.due_at ? ' · ' + t('pl.w.due', { at: fmtTime(w.due_at) }) : ''),
        w.description ? h('div', null, w.description) : null,
        w.close_note ? h('div', { class: 'muted' }, t('pl.w.closed', { by: w.closed_by || '', at: fmtTime(w.closed_at), note: w.close_note })) : null));
    if (write && w.state === 'open')
      card.append(h('button', { type: 'button', class: 'btn btn-small btn-primary pl-start', onclick: () => act(`/work-orders/${w.id}/actions/start`, {}, t('pl.w.start_ok')) }, t('pl.w.start')));
    if (write && w.state === 'in_progress') card.append(closeWith(w, 'done'));
    return card;
  };

  const nInForce = bypasses.filter(inForce).length, nExpired = bypasses.filter((b) => b.state === 'expired').length;
  const nOpen = orders.filter((w) => w.state === 'open' || w.state === 'in_progress').length;
  const req = write ? h('button', { type: 'button', class: 'btn btn-primary', id: 'pl-request-open' }, t('pl.b.request')) : null;
  if (req) req.addEventListener('click', () => requestDialog(units, equipment, points, reload));
  main.appendChild(h('div', { class: 'page', id: 'plant' },
    pageHead(t('pl.title'), h('a', { href: '/plant/handover', 'data-link': '', class: 'btn', id: 'pl-handover' }, t('ho.title')), req),
    h('p', { class: 'hint' }, t('pl.intro')),
    h('div', { class: 'chips', id: 'pl-counts', dataset: { inforce: nInForce, expired: nExpired, open: nOpen } },
      badge(t('pl.c.inforce', { n: nInForce }), nInForce ? 'warn' : 'off'),
      badge(t('pl.c.expired', { n: nExpired }), nExpired ? 'danger' : 'off'),
      badge(t('pl.c.orders', { n: nOpen }), nOpen ? 'info' : 'off')),
    h('h2', null, t('pl.bypasses')),
    bRows.length ? h('div', { class: 'rows', id: 'pl-bypasses' }, bRows.map(bypassCard)) : emptyState(t('pl.b.none')),
    h('h2', null, t('pl.orders')),
    wRows.length ? h('div', { class: 'rows', id: 'pl-orders' }, wRows.map(orderCard)) : emptyState(t('pl.w.none')),
    h('h2', { id: 'pl-roster' }, t('pl.roster')),
    h('p', { class: 'hint' }, t('pl.r.intro')),
    ...rosterSection(shifts, duty, units, week, write, reload, (path) => ctx.go(path)),
    ...crewsBlock(crews, shifts, units, write, reload, (path) => ctx.go(path))));
  if (location.hash === '#pl-roster') document.getElementById('pl-roster').scrollIntoView();
}
