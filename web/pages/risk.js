// pages/risk.js — the risk register (风险分级管控) and a risk point's pages:
//
//   /risk                     the register: risk objects with their level in the four
//                             colours; opening one shows its units → events → measures →
//                             tasks. Users with risk.write (admin, manager, safety officer)
//                             get forms to add objects, units, events (LEC/LS from the
//                             active rule set) and measures. Links to the map of each site.
//   /risk/objects/{id}        a risk point on a phone: level band, what can happen, the
//                             measures, emergency measures and who is responsible
//   /risk/objects/{id}/card   the printable risk card (风险告知卡) with the QR code of the
//                             phone page (GET /risk/objects/{id}/qr.svg, parsed with
//                             DOMParser and imported, so the <svg> is in the page)
// All from the JSON API: GET /risk/objects…, GET /risk/objects/{id}/card.
import { api, listAll, qs } from '../api.js';
import { t } from '../i18n.js';
import * as ui from '../ui.js';
import * as session from '../session.js';
import { levelBadge } from './riskmap.js';

const { h, clear, field, input, select, pageHead, emptyState, toastError, showError, busy } = ui;

function mayWrite() {
  const m = session.me();
  return ((m && m.roles) || []).some((r) => ['admin', 'manager', 'safety_officer'].includes(r));
}

function catName(c) { return t('risk.cat.' + c, null, c); }

// A small form in a <details>: fields, submit -> fn(values), then done().
function addForm(id, title, fields, fn, done) {
  const form = h('form', { class: 'risk-add', id, novalidate: true }, ...fields,
    h('div', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('risk.add')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const v = Object.fromEntries(new FormData(form).entries());
      try { await fn(v); done(); } catch (e) { showError(form, e); }
    });
  });
  return h('details', { class: 'risk-add-box no-print' }, h('summary', null, title), form);
}

function num(v) { return v === '' || v === undefined ? undefined : Number(v); }

async function peopleOptions() {
  const people = await listAll('/people?active=1', 1000).catch(() => []);
  return [{ value: '', label: '—' }, ...people.map((p) => ({ value: String(p.id), label: p.name }))];
}

export async function render(main, ctx) {
  const write = mayWrite();
  const [objects, units, rules] = await Promise.all([listAll('/risk/objects?active=1'), session.units(),
    api('GET', '/risk/rules')]);
  const people = write ? await peopleOptions() : [];
  const sites = units.filter((u) => u.kind === 'site' && u.active !== false);
  main.appendChild(pageHead(t('risk.title')));
  if (sites.length) {
    main.appendChild(h('div', { class: 'risk-maps', id: 'risk-maps' }, h('span', null, t('risk.maps') + '：'),
      ...sites.map((s) => h('a', { href: '/risk/map/' + s.id, 'data-link': '', class: 'btn btn-small' }, s.name))));
  }
  const list = h('div', { class: 'risk-list', id: 'risk-list' });
  main.appendChild(list);
  const reload = () => ctx.rerender();
  const factor = (m, k, prefix) => {
    const tab = rules[m.toLowerCase()];
    const vals = (tab && tab.factors && tab.factors[k]) || [];
    return field(prefix + ' ' + k.toUpperCase(), select(`${prefix}_${k}`, [{ value: '', label: '—' },
      ...vals.map((f) => ({ value: String(f.value), label: `${f.value} ${f.label || ''}` }))]));
  };

  if (write) {
    main.insertBefore(addForm('risk-add-object', t('risk.add.object'), [
      field(t('risk.f.unit'), select('unit_id', session.unitOptions(units, { empty: '—' }))),
      field(t('risk.f.kind'), select('kind', ['installation', 'unit', 'process', 'activity'].map((k) => ({ value: k, label: t('risk.kind.' + k) })))),
      field(t('risk.f.name'), input('name', { required: true })),
      field(t('risk.f.responsible'), select('responsible_person_id', people)),
    ], async (v) => api('POST', '/risk/objects', { unit_id: num(v.unit_id), kind: v.kind, name: v.name,
      responsible_person_id: num(v.responsible_person_id) }), reload), list);
  }
  if (!objects.length) { list.appendChild(emptyState(t('risk.empty'))); return; }

  for (const o of objects) {
    const body = h('div', { class: 'risk-children' });
    const head = h('summary', { class: 'risk-row' }, levelBadge(o.level), h('strong', null, o.name),
      h('span', { class: 'muted' }, ' ' + t('risk.kind.' + o.kind) + (o.major_hazard ? ' · ' + t('risk.mh') : '')),
      h('a', { href: `/risk/objects/${o.id}/card`, 'data-link': '', class: 'risk-link' }, t('risk.card')));
    const det = h('details', { class: 'risk-object lvl-edge-' + (o.level || 'none'), 'data-object': o.id }, head, body);
    let loaded = false;
    det.addEventListener('toggle', async () => {
      if (!det.open || loaded) return;
      loaded = true;
      try { await drawObject(o, body); } catch (e) { body.appendChild(ui.errorNode(e)); }
    });
    list.appendChild(det);
  }

  async function drawObject(o, body) {
    clear(body);
    const rus = await listAll('/risk/units' + qs({ object_id: o.id, active: 1 }));
    for (const u of rus) {
      const ub = h('div', { class: 'risk-unit' }, h('div', { class: 'risk-row' }, levelBadge(u.level), h('strong', null, u.name)));
      const evs = await listAll('/risk/events' + qs({ risk_unit_id: u.id, active: 1 }));
      for (const e of evs) {
        const eb = h('div', { class: 'risk-event' }, h('div', { class: 'risk-row' }, levelBadge(e.level),
          h('span', null, e.description), h('span', { class: 'muted' },
            ` ${e.method} ${t('risk.score')} ${e.residual.score}${e.accident_type_name ? ' · ' + e.accident_type_name : ''}`)));
        const ms = await listAll('/risk/measures' + qs({ event_id: e.id, active: 1 }));
        const ul = h('ul', { class: 'risk-measures' });
        for (const m of ms) {
          const tasks = await listAll('/risk/tasks' + qs({ measure_id: m.id, active: 1 }));
          ul.appendChild(h('li', null, h('span', { class: 'tag' }, catName(m.category)), ' ', m.text,
            tasks.length ? h('ul', { class: 'risk-tasks' }, tasks.map((tk) =>
              h('li', null, `${t('risk.task')}：${tk.what}（${t('risk.freq.' + tk.frequency, { n: tk.every_hours })}）`))) : null));
        }
        eb.appendChild(ul);
        if (mayWrite()) {
          eb.appendChild(addForm('risk-add-measure-' + e.id, t('risk.add.measure'), [
            field(t('risk.f.category'), select('category', ['engineering', 'management', 'training', 'ppe', 'emergency'].map((c) => ({ value: c, label: catName(c) })))),
            field(t('risk.f.text'), input('text')),
          ], (v) => api('POST', '/risk/measures', { event_id: e.id, category: v.category, text: v.text }), () => drawObject(o, body)));
        }
        ub.appendChild(eb);
      }
      if (mayWrite()) {
        ub.appendChild(addForm('risk-add-event-' + u.id, t('risk.add.event'), [
          field(t('risk.f.description'), input('description')),
          factor('LEC', 'l', 'inherent'), factor('LEC', 'e', 'inherent'), factor('LEC', 'c', 'inherent'),
          h('p', { class: 'field-hint' }, t('risk.lec.hint')),
        ], (v) => api('POST', '/risk/events', { risk_unit_id: u.id, description: v.description, method: 'LEC',
          inherent_l: num(v.inherent_l), inherent_e: num(v.inherent_e), inherent_c: num(v.inherent_c) }), () => drawObject(o, body)));
      }
      body.appendChild(ub);
    }
    if (!rus.length) body.appendChild(emptyState(t('risk.nounits')));
    if (mayWrite()) {
      body.appendChild(addForm('risk-add-unit-' + o.id, t('risk.add.unit'), [
        field(t('risk.f.name'), input('name')),
        field(t('risk.f.responsible'), select('responsible_person_id', await peopleOptions())),
      ], (v) => api('POST', '/risk/units', { object_id: o.id, name: v.name, responsible_person_id: num(v.responsible_person_id) }),
      () => drawObject(o, body)));
    }
  }
}

// The card's content, shared by the phone page and the printable card.
function cardBody(c) {
  const o = c.object;
  const band = h('div', { class: 'risk-band lvl-' + (o.level || 'none'), id: 'risk-band', 'data-level': o.level || 'none' },
    h('span', { class: 'risk-band-level' }, t('risk.level.' + (o.level || 'none'))),
    h('span', { class: 'risk-band-name' }, o.name));
  const people = h('dl', { class: 'risk-people' }, ...c.responsible.filter(Boolean).flatMap((p) =>
    [h('dt', null, p.title), h('dd', null, p.name || '—')]));
  const events = h('div', { class: 'risk-card-events' }, ...c.units.flatMap((u) => u.events.map((e) =>
    h('div', { class: 'risk-card-event' },
      h('div', { class: 'risk-row' }, levelBadge(e.level), h('strong', null, e.description),
        e.accident_type_name ? h('span', { class: 'muted' }, ' ' + e.accident_type_name) : null),
      h('ul', { class: 'risk-measures' }, e.measures.filter((m) => m.category !== 'emergency').map((m) =>
        h('li', null, h('span', { class: 'tag' }, catName(m.category)), ' ', m.text)))))));
  const emergency = h('ul', { class: 'risk-emergency' }, c.emergency_measures.map((m) => h('li', null, m.text)));
  return [band,
    h('p', { class: 'muted' }, `${t('risk.f.unit')}：${c.unit.name}` + (o.major_hazard ? ' · ' + t('risk.mh') : '')),
    h('h2', null, t('risk.card.events')), events,
    h('h2', null, t('risk.card.emergency')), c.emergency_measures.length ? emergency : emptyState('—'),
    h('h2', null, t('risk.card.people')), people];
}

export async function point(main, ctx) {
  const c = await api('GET', `/risk/objects/${ctx.params[0]}/card`);
  main.appendChild(h('div', { class: 'risk-point', id: 'risk-point' }, ...cardBody(c),
    h('a', { href: `/risk/objects/${c.object.id}/card`, 'data-link': '', class: 'btn no-print' }, t('risk.card'))));
}

export async function card(main, ctx) {
  const id = ctx.params[0];
  const c = await api('GET', `/risk/objects/${id}/card`);
  const qr = h('div', { class: 'risk-qr', id: 'risk-card-qr' });
  main.appendChild(h('div', { class: 'no-print page-actions' },
    h('button', { type: 'button', class: 'btn', id: 'risk-card-print', onclick: () => window.print() }, t('risk.map.print'))));
  main.appendChild(h('article', { class: 'risk-card', id: 'risk-card' },
    h('h1', null, t('risk.card.title')),
    h('div', { class: 'risk-card-grid' }, h('div', null, ...cardBody(c)),
      h('div', { class: 'risk-card-side' }, qr, h('p', { class: 'muted risk-url' }, t('risk.card.scan'))))));
  try {
    const r = await fetch(c.qr_url, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(String(r.status));
    const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
    const el = doc.documentElement;
    if (el && el.nodeName === 'svg') {
      el.setAttribute('class', 'risk-qr-svg');
      el.removeAttribute('width');
      el.removeAttribute('height');
      qr.appendChild(document.importNode(el, true));
    }
  } catch (e) { toastError(e); }
}
