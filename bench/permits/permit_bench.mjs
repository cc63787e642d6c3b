// permit_bench.mjs — `make bench-permits`: the pre-check of a special-work
// permit with 500 active permits in the site (issue 5: p99 at most 200 ms).
//
// Against a running demo plant (bench/permits/run.sh starts one): the demo's
// applicant, workshop head and guardian take N permits (work at height and
// excavation, in three grids of 二厂区) through the real lifecycle to
// active over HTTP — submit, measures, approval, guardian check-in, every rule
// and the conflict check run each time. Then a hot-work draft in the tank
// farm's grid is pre-checked R times, one request after another: every rule,
// the certificate register, and the overlap with all active permits of the
// grid (hot work beside work at height needs a joint assessment, so the
// pre-check lists those conflicts). The ceiling measured in the same run is
// GET /api/v1/me, the cheapest signed-in request of the same server.
// Prints: permits active=N precheck_p99_ms=N (and the details above it).
const BASE = process.env.WS_BASE_URL;
const N = Number(process.env.WS_BENCH_PERMITS || 500);
const R = Number(process.env.WS_BENCH_ROUNDS || 300);
const accounts = Object.fromEntries(
  (await import('node:fs')).readFileSync(process.env.WS_DEMO_ACCOUNTS, 'utf8').split('\n')
    .filter((l) => l && l[0] !== '#').map((l) => l.split(' ').slice(0, 2)));

const persons = {};
async function login(user) {
  const r = await fetch(BASE + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: accounts[user] }) });
  if (r.status !== 200) throw new Error('login ' + user + ' -> ' + r.status);
  const j = await r.json();
  persons[user] = j.user.person_id;
  return j.token;
}
async function call(tok, method, path, body) {
  const r = await fetch(BASE + '/api/v1' + path, { method, headers: { Authorization: 'Bearer ' + tok,
    'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json().catch(() => null);
  return { status: r.status, body: j };
}
async function must(tok, method, path, body, want) {
  const r = await call(tok, method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body?.error)}`);
  return r.body;
}

const tApp = await login('applicant'), tHead = await login('workshop'), tGuard = await login('guardian');
const applicant = persons.applicant, guardian = persons.guardian;
const units = (await must(tApp, 'GET', '/units?limit=200', undefined, 200)).items;
const grid = (code) => units.find((u) => u.code === code).id;
// 二厂区's grids other than the one where the demo's hot work is active (work at
// height beside it would need a joint assessment: the conflict check refuses it)
const grids = ['HDJX-S2-GQ-G2', 'HDJX-S2-ZX-G1', 'HDJX-S2-WS-G1'].map(grid);
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();

async function onePermit(i) {
  const height = i % 2 === 0;
  const body = { type: height ? 'work_at_height' : 'excavation', unit_id: grids[i % grids.length],
    title: (height ? '管廊保温修补 ' : '排水沟开挖 ') + i, location: '二厂区 ' + i,
    planned_start: iso(now - 10 * 60000), planned_end: iso(now + 6 * 3600000), guardian_person_id: guardian,
    workers: [height ? { person_id: applicant, cert_type: 'work_at_height', cert_no: 'T320102199511020052' }
      : { person_id: applicant }] };
  if (height) body.height_m = 3;
  const p = await must(tApp, 'POST', '/permits', body, 201);
  await must(tApp, 'POST', `/permits/${p.id}/actions/submit`, {}, 200);
  await must(tApp, 'POST', `/permits/${p.id}/actions/confirm_measures`, {}, 200);
  await must(tHead, 'POST', `/permits/${p.id}/actions/approve`, { post: 'workshop_head' }, 200);
  const done = await must(tGuard, 'POST', `/permits/${p.id}/actions/check_in`, {}, 200);
  if (done.state !== 'active') throw new Error('permit ' + p.id + ' is ' + done.state);
}

const t0 = Date.now();
let next = 0;
await Promise.all(Array.from({ length: 4 }, async () => {
  while (next < N) await onePermit(next++);
}));
const setupS = (Date.now() - t0) / 1000;
const active = (await must(tApp, 'GET', '/permits?state=active&limit=200', undefined, 200));
let count = active.items.length, cursor = active.next_cursor;
while (cursor) {
  const pg = await must(tApp, 'GET', '/permits?state=active&limit=200&cursor=' + cursor, undefined, 200);
  count += pg.items.length;
  cursor = pg.next_cursor;
}

// the draft that is pre-checked: hot work in the pump house's grid
const draft = await must(tApp, 'POST', '/permits', { type: 'hot_work', grade: '1', unit_id: grids[0],
  title: 'P-202 出口管线补焊', location: '泵房 P-202', planned_start: iso(now + 30 * 60000),
  planned_end: iso(now + 4 * 3600000), guardian_person_id: guardian,
  workers: [{ person_id: applicant, cert_type: 'welding_cutting', cert_no: 'T320102198503150017' }] }, 201);

async function timed(path) {
  const ms = [];
  for (let i = 0; i < R; i++) {
    const t = performance.now();
    const r = await call(tApp, 'GET', path);
    ms.push(performance.now() - t);
    if (r.status !== 200) throw new Error(path + ' -> ' + r.status);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(R * 0.5)], p99: ms[Math.min(R - 1, Math.floor(R * 0.99))] };
}
const pre = await call(tApp, 'GET', `/permits/${draft.id}/precheck`);
const pc = await timed(`/permits/${draft.id}/precheck`);
const ceil = await timed('/me');
console.log(`setup: ${N} permits to active in ${setupS.toFixed(1)} s (5 requests each, 4 at a time)`);
console.log(`precheck: ${pre.body.verdicts.length} rules, ${pre.body.conflicts.length} conflicts listed; ` +
  `p50 ${pc.p50.toFixed(1)} ms, p99 ${pc.p99.toFixed(1)} ms over ${R}`);
console.log(`ceiling GET /api/v1/me: p50 ${ceil.p50.toFixed(1)} ms, p99 ${ceil.p99.toFixed(1)} ms`);
console.log(`permits active=${count} precheck_p99_ms=${pc.p99.toFixed(1)}`);
