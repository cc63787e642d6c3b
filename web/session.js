// session.js — who is signed in (GET /api/v1/me), what the pages may offer
// them, and the unit list the admin pages share. The server decides every
// request; the role checks here only choose which links and buttons to show
// (they mirror the policy table of the API contract). A page a role may not
// use shows "no permission" without calling the API.
import { api, listAll } from './api.js';
import { t } from './i18n.js';

export const ROLES = ['admin', 'manager', 'safety_officer', 'dept_head', 'grid_leader', 'worker', 'regulator'];
export const KINDS = ['park', 'enterprise', 'site', 'area', 'workshop', 'grid'];

const state = { me: null, units: null, enterprises: null };

export function me() { return state.me; }

export async function loadMe() {
  state.me = await api('GET', '/me', undefined, { noRedirect: true });
  return state.me;
}

export function forget() { state.me = null; state.units = null; state.enterprises = null; }

function has(...roles) {
  const mine = (state.me && state.me.roles) || [];
  return roles.some((r) => mine.includes(r));
}

// Role-level capabilities (API contract, "Permission actions").
export const can = {
  unitsPage: () => has('admin', 'manager'),
  unitWrite: () => has('admin', 'manager'),
  peoplePage: () => has('admin', 'manager', 'dept_head'),
  personWrite: () => has('admin', 'manager', 'dept_head'),
  personErase: () => has('admin'),
  accountsPage: () => has('admin', 'manager'),
  accountWrite: () => has('admin'),
  importPage: () => has('admin', 'manager'),
  // Departments and posts: every role reads them (unit.read); admins and
  // managers change them (org.write), and only they get the links.
  orgPage: () => !!state.me,
  orgWrite: () => has('admin', 'manager'),
  // Hidden dangers (hazard-contract.md): every role reads in scope; all but
  // the regulator report. Workflow definitions: workflow.read / .write.
  hazardReport: () => !!state.me && !(state.me.roles || []).every((r) => r === 'regulator'),
  // Anything that writes: every role but a regulator alone, who reads (permits, incidents).
  write: () => !!state.me && !(state.me.roles || []).every((r) => r === 'regulator'),
  workflowRead: () => has('admin', 'manager', 'safety_officer', 'regulator'),
  // The evidence log and a record's seal (audit.read).
  audit: () => has('admin', 'manager', 'safety_officer', 'regulator'),
  workflowWrite: () => has('admin'),
  // Readings in (reading.write: CSV history import) and the point register.
  pointWrite: () => has('admin', 'manager', 'safety_officer'),
  // The collaboration dashboard (dashboard.read).
  dashboard: () => has('admin', 'manager', 'safety_officer', 'dept_head', 'regulator'),
  // Grid patrols beyond one's own grid: the overview is offered to those who supervise.
  patrolOverview: () => has('admin', 'manager', 'safety_officer', 'dept_head', 'regulator'),
  // Drills (drill.run) and the plant registers (plant.write, bypass.approve).
  drillRun: () => has('admin', 'manager', 'safety_officer'),
  plantWrite: () => has('admin', 'manager', 'safety_officer', 'dept_head'),
  bypassApprove: () => has('admin', 'manager', 'safety_officer'),
  // Shift handovers (handover.write): everyone but the regulator hands over and takes.
  handover: () => has('admin', 'manager', 'safety_officer', 'dept_head', 'grid_leader', 'worker'),
  // The alarm rule library (alarmrule.read; drafts and activation alarmrule.write).
  alarmRuleRead: () => has('admin', 'manager', 'safety_officer'),
  alarmRuleWrite: () => has('admin'),
  // Process monitors (monitor.read / monitor.write).
  monitorRead: () => has('admin', 'manager', 'safety_officer', 'dept_head'),
  monitorWrite: () => has('admin', 'manager', 'safety_officer'),
};

export function roleName(r) { return t('role.' + r, null, r); }
export function kindName(k) { return t('kind.' + k, null, k); }

// All units in the caller's scope (cached until invalidated by a write).
export async function units(reload) {
  if (!state.units || reload) state.units = await listAll('/units');
  return state.units;
}
export function invalidateUnits() { state.units = null; }

// The enterprises whose departments and posts the caller may read: those in
// the scope (tree order) and the one that contains the scope, whose name
// comes from /me's scope.ancestors (it lies above the scope, so
// /api/v1/units does not list it). [{id, name, active}]
export async function enterprises() {
  const list = await units();
  const out = new Map();
  for (const { unit } of flatTree(list, false)) {
    if (unit.kind === 'enterprise') out.set(unit.id, { id: unit.id, name: unit.name, active: unit.active });
  }
  const sc = (state.me && state.me.scope) || {};
  const self = list.find((u) => u.id === sc.id);
  let above = (sc.ancestors || []).filter((a) => a.kind === 'enterprise').pop();
  if (self && self.enterprise_id && !out.has(self.enterprise_id)) {
    const a = (sc.ancestors || []).find((x) => x.id === self.enterprise_id);
    above = { id: self.enterprise_id, name: a ? a.name : '#' + self.enterprise_id };
  }
  if (above && !out.has(above.id)) out.set(above.id, { id: above.id, name: above.name, active: true });
  const all = [...out.values()];
  const active = all.filter((e) => e.active !== false);
  state.enterprises = active.length ? active : all;
  return state.enterprises;
}

// The enterprise id of a unit in the cached list (null when unknown).
export function enterpriseOf(unitId) {
  const u = (state.units || []).find((x) => x.id === unitId);
  return u ? u.enterprise_id : null;
}

export function enterpriseName(id) {
  const e = (state.enterprises || []).find((x) => x.id === id);
  return e ? e.name : '';
}

// Units as a forest: [{unit, children:[...]}], children sorted by code.
export function buildTree(list) {
  const byId = new Map(list.map((u) => [u.id, { unit: u, children: [] }]));
  const roots = [];
  for (const n of byId.values()) {
    const p = n.unit.parent_id != null ? byId.get(n.unit.parent_id) : null;
    (p ? p.children : roots).push(n);
  }
  const sort = (arr) => {
    arr.sort((a, b) => String(a.unit.code).localeCompare(String(b.unit.code)) || a.unit.id - b.unit.id);
    arr.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

// Depth-first [{unit, depth}] for select boxes.
export function flatTree(list, activeOnly) {
  const out = [];
  const walk = (nodes, d) => nodes.forEach((n) => {
    if (activeOnly && !n.unit.active) return;
    out.push({ unit: n.unit, depth: d });
    walk(n.children, d + 1);
  });
  walk(buildTree(list), 0);
  return out;
}

// Options for a unit <select>, indented by depth.
export function unitOptions(list, opts) {
  const o = opts || {};
  const out = o.empty ? [{ value: '', label: o.empty }] : [];
  for (const { unit, depth } of flatTree(list, o.activeOnly !== false)) {
    if (o.kinds && !o.kinds.includes(unit.kind)) continue;
    out.push({ value: unit.id, label: '\u3000'.repeat(depth) + unit.name + ' · ' + kindName(unit.kind) });
  }
  return out;
}

export function unitName(list, id) {
  const u = list.find((x) => x.id === id);
  return u ? u.name : (id == null ? '' : '#' + id);
}
