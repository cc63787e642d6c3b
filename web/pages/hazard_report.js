// pages/hazard_report.js — /hazards/new: report a hidden danger (隐患上报)
// from a phone. One column: unit (only the units of the caller's scope),
// title, description, accident type (GB 6441) and hazard factor (GB/T 13861)
// from GET /hazards/reference, an optional risk event, the place in words and
// optionally by GPS (navigator.geolocation, on a button press only), photos
// taken with the camera (uploaded one by one to /attachments before the
// report is sent, thumbnails shown), and an optional grade. POST /hazards;
// on success the hazard's page opens. Errors show next to their field.
// Without a signal (and without photos, which need the network) the report
// is queued in IndexedDB (offline.js) with the phone's time as found_at and
// sent when the network is back.
import { api, listAll } from '../api.js';
import { t } from '../i18n.js';
import { h, field, input, select, formError, clearErrors, showError, busy, toast, pageHead } from '../ui.js';
import * as session from '../session.js';
import { photoField } from './hazard_ui.js';
import * as offline from '../offline.js';

export async function render(main, ctx) {
  const me = session.me();
  const [units, ref, events] = await Promise.all([
    session.units(),
    api('GET', '/hazards/reference'),
    listAll('/risk/events', 500).catch(() => []),
  ]);
  const active = units.filter((u) => u.active !== false);
  // Default unit: the reporter's own unit when it is in scope, else the scope.
  const own = me.person && active.find((u) => u.id === me.person.unit_id);
  const defUnit = own ? own.id : (me.scope && active.some((u) => u.id === me.scope.id) ? me.scope.id : (active[0] && active[0].id));

  const unitSel = select('unit_id', session.unitOptions(units, { empty: active.length > 1 ? t('hz.choose') : null }), defUnit);
  const title = input('title', { type: 'text', maxlength: 200, required: true, autocomplete: 'off' });
  const desc = h('textarea', { name: 'description', class: 'input', rows: 4, maxlength: 4000 });
  const accTypes = (ref && ref.accident_types) || [];
  const accSel = select('accident_type', [{ value: '', label: t('hz.choose') },
    ...accTypes.map((a) => ({ value: a.code, label: a.code + ' ' + a.name }))], '');
  const factors = (ref && ref.hazard_factors) || [];
  const factorSel = select('hazard_factor', [{ value: '', label: t('hz.none') }, ...factorOptions(factors)], '');
  const eventSel = events.length ? select('risk_event_id', [{ value: '', label: t('hz.none') },
    ...events.map((e) => ({ value: e.id, label: (e.description || '#' + e.id).slice(0, 60) }))], '') : null;
  const loc = input('location', { type: 'text', maxlength: 200 });
  const gradeSel = select('grade', [{ value: '', label: t('hz.grade.unknown') },
    { value: 'general', label: t('hz.grade.general') }, { value: 'major', label: t('hz.grade.major') }], '');

  // GPS: only when asked, never in the background.
  let pos = null;
  const gpsOut = h('span', { class: 'muted hz-gps-out', 'aria-live': 'polite' });
  const gpsBtn = h('button', { type: 'button', class: 'btn', id: 'hz-gps' }, '📍 ', t('hz.gps.button'));
  gpsBtn.addEventListener('click', () => {
    if (!navigator.geolocation) { gpsOut.textContent = t('hz.gps.unsupported'); return; }
    gpsOut.textContent = t('hz.gps.wait');
    navigator.geolocation.getCurrentPosition((p) => {
      pos = { lat: Math.round(p.coords.latitude * 1e6) / 1e6, lon: Math.round(p.coords.longitude * 1e6) / 1e6 };
      gpsOut.textContent = t('hz.gps.got', { lat: pos.lat, lon: pos.lon, acc: Math.round(p.coords.accuracy || 0) });
    }, () => { pos = null; gpsOut.textContent = t('hz.gps.failed'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  const gpsField = h('div', { class: 'field', dataset: { field: 'lat' } },
    h('span', { class: 'label' }, t('hz.gps')), h('div', { class: 'hz-gps' }, gpsBtn, gpsOut),
    h('div', { class: 'field-error', role: 'alert' }));

  const photos = photoField('photo_ids', t('hz.photos'), () => Number(unitSel.value) || null, { max: 20 });

  if (eventSel) {
    // A chosen risk event brings its accident type along.
    eventSel.addEventListener('change', () => {
      const e = events.find((x) => String(x.id) === eventSel.value);
      if (e && e.accident_type && !accSel.value) accSel.value = e.accident_type;
    });
  }

  const form = h('form', { class: 'form card', id: 'hazard-form', novalidate: true },
    formError(),
    field(t('hz.f.unit'), unitSel),
    field(t('hz.f.title'), title, t('hz.f.title_hint')),
    field(t('hz.f.description'), desc),
    photos.node,
    field(t('hz.f.accident_type'), accSel),
    field(t('hz.f.hazard_factor'), factorSel),
    eventSel ? field(t('hz.f.risk_event'), eventSel) : null,
    field(t('hz.f.location'), loc),
    gpsField,
    field(t('hz.f.grade'), gradeSel, t('hz.f.grade_hint')),
    h('div', { class: 'form-actions' },
      h('a', { href: '/hazards', 'data-link': '', class: 'btn' }, t('common.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'hazard-submit' }, t('hz.report.submit'))));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = {
      unit_id: Number(unitSel.value) || 0,
      title: title.value.trim(),
      description: desc.value.trim(),
      accident_type: accSel.value,
    };
    // The page's own checks, in the page language, next to the field.
    if (!body.unit_id) return showError(form, { field: 'unit_id', message: t('hz.need.unit') });
    if (!body.title) return showError(form, { field: 'title', message: t('hz.need.title') });
    if (!body.accident_type) return showError(form, { field: 'accident_type', message: t('hz.need.accident_type') });
    if (photos.pending()) return showError(form, { field: 'photo_ids', message: t('hz.photo.wait') });
    if (factorSel.value) body.hazard_factor = factorSel.value;
    if (eventSel && eventSel.value) body.risk_event_id = Number(eventSel.value);
    if (loc.value.trim()) body.location = loc.value.trim();
    if (pos) { body.lat = pos.lat; body.lon = pos.lon; }
    const ids = photos.ids();
    if (ids.length) body.photo_ids = ids;
    if (gradeSel.value) body.grade = gradeSel.value;
    busy(form, async () => {
      // Offline (issue 6 item 2): queue it with the phone's time as found_at;
      // offline.js sends it when the signal is back.
      const queue = async () => {
        body.found_at = new Date().toISOString();
        body.description = (body.description ? body.description + '\n' : '') + '（离线记录，发现时间来自手机）';
        await offline.enqueue({ kind: 'hazard', path: '/hazards', body, label: body.title });
        toast(t(ids.length ? 'hz.offline.photos' : 'hz.offline.queued'), 'ok');
        ctx.go('/hazards');
      };
      if (!offline.isOnline() && !ids.length) return queue();
      try {
        const hz = await api('POST', '/hazards', body);
        toast(t('hz.report.done', { code: hz.code || '#' + hz.id }), 'ok');
        ctx.go('/hazards/' + hz.id);
      } catch (e) {
        if (e.status === 0 && !ids.length) return queue();
        showError(form, e, { labels: { lon: t('hz.gps'), photo_ids: t('hz.photos') } });
      }
    });
  });

  main.appendChild(h('div', { class: 'page narrow' }, pageHead(t('hz.report.title')), form));
}

// Hazard factors as a tree: the top classes, then their finer codes indented.
function factorOptions(list) {
  const out = [];
  const kids = (p) => list.filter((f) => (f.parent || null) === p).sort((a, b) => String(a.code).localeCompare(String(b.code)));
  const walk = (p, d) => kids(p).forEach((f) => {
    out.push({ value: f.code, label: '\u3000'.repeat(d) + f.code + ' ' + f.name });
    if (d < 6) walk(f.code, d + 1);
  });
  walk(null, 0);
  // Codes whose parent is unknown still appear.
  for (const f of list) if (!out.some((o) => o.value === f.code)) out.push({ value: f.code, label: f.code + ' ' + f.name });
  return out;
}
