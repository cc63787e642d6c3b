// app.js — the shell: boots the session, draws the top bar and navigation,
// and routes the URL path (history API; the server serves index.html for any
// path without a dot) to a page module in pages/. A page is
// render(main, ctx) -> void|Promise; ctx.go(path) navigates.
//
//   /login            sign in               (anyone)
//   /password         change own password   (signed in)
//   /                 home: who, scope      (signed in)
//   /admin/units      unit tree             (admin, manager)
//   /admin/people     people                (admin, manager, dept_head)
//   /admin/accounts   accounts              (admin, manager: read)
//   /admin/import     CSV/XLSX import       (admin, manager)
//   /admin/departments  departments (部门)   (admin, manager; others read)
//   /admin/posts      posts (岗位)           (admin, manager; others read)
//   /hazards          hidden-danger board   (signed in; in the nav for all)
//   /hazards/new      report a hazard       (all but regulator)
//   /hazards/{id}     one hazard            (signed in; ctx.params = [id])
//   /admin/patrol     patrol points and checklists (admin, manager, safety officer)
//   /admin/workflows  workflow editor       (read: admin, manager, SO, regulator; edit: admin)
//   /risk             risk register         (signed in; forms for admin, manager, SO)
//   /risk/map/{id}    four-colour map of a unit; /risk/objects/{id} a risk point (phone);
//   /risk/objects/{id}/card  the printable risk card with its QR code
//   /inspections      today's inspection checks of the signed-in user (phone)
//   /alarms           live alarm console and closed-alarm history (signed in)
//   /alarms/{id}      the console with one alarm's detail open (signed in)
//   /alarms/kpi       alarm KPIs against ISA-18.2 / EEMUA 191 (signed in)
//   /alarms/rules     the alarm rule library and its backtest (admin, manager, SO;
//                     drafts and activation: admin)
//   /trends           trend charts of points (ECharts; signed in)
//   /permits          special-work permits (作业票; signed in); /permits/new apply
//                     (phone), /permits/approvals the approval queue, /permits/board
//                     the board of active permits, /permits/{id} one permit with its
//                     actions, /permits/{id}/edit fix a draft, /permits/{id}/print
//   /plant            interlock bypasses and maintenance work orders
//   /patrol           today's grid patrols (phone, offline); /patrol/{id} one patrol,
//                     /patrol/scan/{code} what a point's QR code opens; /patrol/overview
//                     every grid's patrol of a day (those who supervise)
import { api, setUnauthorizedHandler } from './api.js';
import { t, lang, setLang, applyStatic } from './i18n.js';
import { h, clear, toast, errorNode } from './ui.js';
import * as session from './session.js';
import * as loginPage from './pages/login.js';
import * as passwordPage from './pages/password.js';
import * as homePage from './pages/home.js';
import * as unitsPage from './pages/units.js';
import * as peoplePage from './pages/people.js';
import * as accountsPage from './pages/accounts.js';
import * as importPage from './pages/import.js';
import * as orgref from './pages/orgref.js';
import * as hazardsPage from './pages/hazards.js';
import * as hazardPage from './pages/hazard.js';
import * as hazardReportPage from './pages/hazard_report.js';
import * as workflowsPage from './pages/workflows.js';
import * as riskPage from './pages/risk.js';
import * as riskMapPage from './pages/riskmap.js';
import * as riskIndexPage from './pages/riskindex.js'; // issue 7: the dynamic risk index
import * as inspectionsPage from './pages/inspections.js';
import * as alarmsPage from './pages/alarms.js';
import * as alarmKpiPage from './pages/alarmkpi.js';
import * as trendsPage from './pages/trends.js';
import * as ackPage from './pages/ack.js';
import * as readingsImportPage from './pages/readings_import.js';
import * as permitsPage from './pages/permits.js';
import * as permitPage from './pages/permit.js';
import * as permitApplyPage from './pages/permit_apply.js';
import * as permitPrintPage from './pages/permit_print.js';
import * as taskForcesPage from './pages/taskforces.js';
import * as dashboardPage from './pages/dashboard.js';
import * as patrolPage from './pages/patrol.js';
import * as drillsPage from './pages/drills.js';
import * as plantPage from './pages/plant.js';
import * as handoverPage from './pages/handover.js';
import * as evidencePage from './pages/evidence.js';
// issue 6: anonymous reports and the points bank
import * as reportPage from './pages/report.js';
import * as voicePage from './pages/voice.js';
import * as pointsPage from './pages/points.js';
import * as patrolAdminPage from './pages/patrol_admin.js';
import * as monitorsPage from './pages/monitors.js'; // issue 7: process monitors
import * as rulesPage from './pages/rules.js'; // issue 4: the alarm rule library

const routes = {
  '/login': { page: loginPage, public: true },
  '/password': { page: passwordPage },
  '/': { page: homePage },
  '/admin/units': { page: unitsPage, allow: session.can.unitsPage, nav: 'nav.units' },
  // Every role reads departments and posts; only those who may change them
  // are offered the links (offer).
  '/admin/departments': { page: orgref.departments, allow: session.can.orgPage, offer: session.can.orgWrite, nav: 'nav.departments' },
  '/admin/posts': { page: orgref.posts, allow: session.can.orgPage, offer: session.can.orgWrite, nav: 'nav.posts' },
  '/admin/people': { page: peoplePage, allow: session.can.peoplePage, nav: 'nav.people' },
  '/admin/accounts': { page: accountsPage, allow: session.can.accountsPage, nav: 'nav.accounts' },
  '/admin/import': { page: importPage, allow: session.can.importPage, nav: 'nav.import' },
  // Hidden dangers: work pages (work: true), in the nav for every role, not admin tiles.
  '/hazards': { page: hazardsPage, nav: 'nav.hazards', work: true },
  '/hazards/new': { page: hazardReportPage, allow: session.can.hazardReport },
  '/admin/workflows': { page: workflowsPage, allow: session.can.workflowRead, offer: session.can.workflowWrite, nav: 'nav.workflows' },
  // The risk register and its four-colour maps (risk.read: every role in scope).
  '/risk': { page: riskPage, nav: 'nav.risk', work: true },
  // The dynamic risk index of the areas (riskidx.read: every role in scope).
  '/risk/index': { page: riskIndexPage, nav: 'nav.riskindex', work: true },
  // Today's inspection checks of the signed-in user (phone; every role reads).
  '/inspections': { page: inspectionsPage, nav: 'nav.inspections', work: true },
  // Early warning: the alarm console, its KPIs and the trend charts (alarm.read, point.read).
  '/alarms': { page: alarmsPage, nav: 'nav.alarms', work: true },
  '/alarms/kpi': { page: alarmKpiPage },
  '/alarms/rules': { page: rulesPage, allow: session.can.alarmRuleRead },
  '/trends': { page: trendsPage, nav: 'nav.trends', work: true },
  '/trends/import': { page: readingsImportPage, allow: session.can.pointWrite },
  // Process monitors: a unit's points judged together (monitor.read; training: monitor.write).
  '/monitors': { page: monitorsPage, nav: 'nav.monitors', work: true, allow: session.can.monitorRead },
  '/monitors/new': { page: { render: monitorsPage.create }, allow: session.can.monitorWrite },
  // Special-work permits (permit.read: every role in scope; the server decides the writes).
  '/permits': { page: permitsPage, nav: 'nav.permits', work: true },
  '/permits/new': { page: permitApplyPage, allow: session.can.write },
  '/permits/approvals': { page: { render: permitsPage.approvals } },
  '/permits/board': { page: { render: permitsPage.board } },
  // Task forces and incidents (taskforce.read: every role in scope).
  '/task-forces': { page: taskForcesPage, nav: 'nav.taskforces', work: true },
  '/me/tasks': { page: { render: taskForcesPage.mine } },
  // The collaboration stress test: drills and their reports (taskforce.read; drill.run starts one).
  '/drills': { page: drillsPage },
  '/incidents/new': { page: { render: taskForcesPage.incident }, allow: session.can.write },
  // The collaboration dashboard (dashboard.read: those who steer, and the regulator).
  '/dashboard': { page: dashboardPage, allow: session.can.dashboard, nav: 'nav.dashboard', work: true },
  // Grid patrols on a phone, also offline (patrol.read: every role in scope).
  '/patrol': { page: patrolPage, nav: 'nav.patrol', work: true },
  // Interlock bypasses and maintenance work orders (plant.read: every role in scope).
  '/plant': { page: plantPage, nav: 'nav.plant', work: true },
  '/plant/handover': { page: handoverPage },
  // Issue 6. The anonymous report and its follow-up (phone, no sign-in: the
  // page reads no session); the staff inbox (voice.read); the points bank
  // (bank.read: everyone but the regulator).
  '/report': { page: reportPage, public: true },
  '/report/follow': { page: { render: reportPage.follow }, public: true },
  '/voice': { page: voicePage, nav: 'nav.voice', work: true, allow: () => hasRole('admin', 'manager', 'safety_officer', 'dept_head') },
  // Patrol points and checklist templates: rename, retire (patrol.admin).
  '/admin/patrol': { page: patrolAdminPage, nav: 'nav.patrol_admin', allow: () => hasRole('admin', 'manager', 'safety_officer') },
  // The evidence log's checkpoint, its checks and a record's seal (audit.read).
  '/audit': { page: evidencePage, nav: 'nav.audit', allow: session.can.audit },
  '/points': { page: pointsPage, nav: 'nav.points', work: true, allow: () => !!session.me() && !(session.me().roles || []).every((r) => r === 'regulator') },
};

// issue 6: a role check for the routes above.
function hasRole(...roles) {
  const m = session.me();
  return !!m && (m.roles || []).some((r) => roles.includes(r));
}

// Routes with ids in the path: [pattern, route]; the groups go to ctx.params.
const paramRoutes = [
  [/^\/hazards\/(\d+)$/, { page: hazardPage }],
  [/^\/alarms\/(\d+)$/, { page: alarmsPage, nav: 'nav.alarms' }], // the console, that alarm's detail open
  // A signed one-time acknowledge link from a duty notification (no sign-in).
  [/^\/ack\/([A-Za-z0-9_-]{96})$/, { page: ackPage, public: true }],
  [/^\/risk\/map\/(\d+)$/, { page: riskMapPage }],
  [/^\/risk\/index\/(\d+)$/, { page: { render: riskIndexPage.one } }],
  [/^\/risk\/objects\/(\d+)$/, { page: { render: riskPage.point } }],
  [/^\/risk\/objects\/(\d+)\/card$/, { page: { render: riskPage.card } }],
  [/^\/permits\/(\d+)$/, { page: permitPage }],
  [/^\/permits\/(\d+)\/edit$/, { page: permitApplyPage, allow: session.can.write }],
  [/^\/permits\/(\d+)\/print$/, { page: permitPrintPage }],
  [/^\/task-forces\/(\d+)$/, { page: { render: taskForcesPage.detail } }],
  [/^\/drills\/(\d+)$/, { page: { render: drillsPage.one } }],
  [/^\/patrol\/(\d+)$/, { page: { render: patrolPage.detail } }],
  [/^\/patrol\/overview$/, { page: { render: patrolPage.overview } }],
  [/^\/patrol\/scan\/([A-Za-z0-9_-]{1,32})$/, { page: { render: patrolPage.scan } }],
  [/^\/voice\/(\d+)$/, { page: { render: voicePage.one } }], // issue 6
  [/^\/monitors\/(\d+)$/, { page: { render: monitorsPage.one }, allow: session.can.monitorRead }],
];

function matchRoute(path) {
  if (routes[path]) { ctx.params = []; return routes[path]; }
  for (const [re, r] of paramRoutes) {
    const m = re.exec(path);
    if (m) { ctx.params = m.slice(1); return r; }
  }
  return null;
}

// The admin pages the signed-in account may use, for the nav and home page.
export function adminLinks() {
  return Object.entries(routes).filter(([, r]) => r.nav && !r.work && r.allow() && (!r.offer || r.offer())).map(([path, r]) => ({ path, label: t(r.nav) }));
}

let renderSeq = 0;

function go(path, replace) {
  if (path !== location.pathname + location.search) {
    if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  }
  return render();
}

const ctx = { go, adminLinks, rerender: () => render() };

async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const route = matchRoute(path) || { page: null };
  if (!route.public && !session.me()) {
    try {
      await session.loadMe();
    } catch (e) {
      if (seq !== renderSeq) return;
      if (e.status === 401 || e.status === 403) {
        const next = path === '/' ? '' : '?next=' + encodeURIComponent(path);
        history.replaceState(null, '', '/login' + next);
        return render();
      }
      drawShell();
      clear(main).appendChild(h('div', { class: 'card notice notice-error' }, t('err.load'), ' ', errorNode(e)));
      return;
    }
  }
  if (seq !== renderSeq) return;
  const m = session.me();
  if (m && m.must_change_password && path !== '/password' && !route.public) {
    history.replaceState(null, '', '/password');
    return render();
  }
  drawShell();
  clear(main);
  document.title = t('app.title');
  if (!route.page) {
    main.appendChild(h('div', { class: 'card notice' }, h('h1', null, t('err.notfound.title')),
      h('p', null, t('err.notfound.text')), h('a', { href: '/', 'data-link': '', class: 'btn' }, t('nav.home'))));
    return;
  }
  if (route.allow && !route.allow()) {
    main.appendChild(noPermission());
    return;
  }
  try {
    await route.page.render(main, ctx);
  } catch (e) {
    if (seq !== renderSeq || e.status === 401) return;
    if (e.status === 403) { clear(main).appendChild(noPermission()); return; }
    main.appendChild(h('div', { class: 'card notice notice-error' }, t('err.load'), ' ', errorNode(e)));
  }
  // Focus moves to the new page for keyboard and screen-reader users, but not
  // away from a field the user went to while the page was still loading, and
  // not for a render that a later one has overtaken.
  if (seq === renderSeq && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function noPermission() {
  return h('div', { class: 'card notice notice-denied', id: 'no-permission' },
    h('h1', null, t('err.forbidden.title')),
    h('p', null, t('err.forbidden.text')),
    h('a', { href: '/', 'data-link': '', class: 'btn btn-primary' }, t('nav.home')));
}

function drawShell() {
  const m = session.me();
  const signedIn = !!m && !m.must_change_password;
  document.getElementById('logout-btn').classList.toggle('hidden', !m);
  const nav = document.getElementById('mainnav');
  clear(nav);
  nav.classList.toggle('hidden', !signedIn);
  if (!signedIn) return;
  const here = location.pathname.replace(/\/+$/, '') || '/';
  const work = Object.entries(routes).filter(([, r]) => r.work && (!r.allow || r.allow())).map(([p, r]) => ({ path: p, label: t(r.nav) }));
  const links = [{ path: '/', label: t('nav.home') }, ...work, ...adminLinks()];
  // the one link whose path is the longest prefix of here (/risk/index is 动态风险, not 风险)
  const best = links.filter((l) => l.path === here || (l.path !== '/' && here.startsWith(l.path + '/')))
    .reduce((a, l) => (!a || l.path.length > a.path.length ? l : a), null);
  const firstAdmin = links[1 + work.length]; // the administration links follow the work ones
  for (const l of links) {
    const on = l === best;
    nav.appendChild(h('a', { href: l.path, 'data-link': '', class: 'navlink' + (on ? ' active' : '') + (l === firstAdmin ? ' nav-admin-first' : ''),
      'aria-current': l.path === here ? 'page' : null }, l.label));
  }
  // On a phone the bar scrolls sideways: the current place is brought to its
  // middle, not left past the edge (报警 was off screen on the alarm console).
  const on = nav.querySelector('.navlink.active');
  if (on && nav.scrollWidth > nav.clientWidth) {
    const r = on.getBoundingClientRect(), b = nav.getBoundingClientRect();
    nav.scrollLeft += r.left - b.left - (b.width - r.width) / 2;
  }
}

async function logout() {
  try { await api('POST', '/auth/logout', {}, { noRedirect: true }); } catch (e) { /* ended anyway */ }
  session.forget();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: 'clear' });
  go('/login', true);
}

function boot() {
  applyStatic();
  document.getElementById('lang-toggle').addEventListener('click', () => {
    setLang(lang() === 'zh' ? 'en' : 'zh');
    applyStatic();
    render();
  });
  document.getElementById('logout-btn').addEventListener('click', logout);
  // Same-origin links marked data-link navigate without a page load.
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[data-link]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => render());
  setUnauthorizedHandler(() => {
    session.forget();
    toast(t('err.session'), 'error');
    go('/login?next=' + encodeURIComponent(location.pathname), true);
  });
  render();
  registerWorker();
}

// The service worker keeps the app shell for the offline pages (web/sw.js);
// once it runs, it is told every asset this page loaded so that all modules
// are kept. Secure contexts only (HTTPS, or loopback).
function registerWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then((reg) => {
    const urls = performance.getEntriesByType('resource').map((e) => e.name).concat([location.origin + '/index.html']);
    if (reg.active) reg.active.postMessage({ type: 'cache', urls });
  }).catch(() => { /* no offline shell: the pages still work online */ });
}

boot();
