// patrol.mjs — browser test of the grid patrol on a phone, offline (issue 6
// items 1, 2 and 9; pages/patrol.js, offline.js, sw.js). Run from run.mjs
// with its harness. Needs WS_DEMO_ACCOUNTS for the demo grid leader 王磊,
// whose grid 反应釜区网格 has today's patrol waiting in the demo plant.
//
// On a phone the leader opens today's patrol and starts it (offline nonces
// fetched), loses the signal (context.setOffline), scans both points by
// their codes, checks every item — one failed, with a note — and submits:
// both are kept on the phone as 待同步 and nothing reaches the server. Back
// online, the first send fails (a weak signal) and the queue syncs by itself
// on the retry; the server has the patrol done, the
// failed item became a hidden danger linked to the patrol, and the record
// says the times came from the phone (client_time, received_at, offline nonce).
import fs from 'node:fs';
import path from 'node:path';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function run(hz) {
  const { test, assert, login, apiGet, missingStrings, noHorizontalScroll, BASE, ART } = hz;

  function password(user) {
    const file = process.env.WS_DEMO_ACCOUNTS;
    if (!file || !fs.existsSync(file)) return null;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(\S+)\s+(\S+)/.exec(line);
      if (m && m[1] === user) return m[2];
    }
    return null;
  }

  // The server's view, as the root admin, over a separate connection (the
  // phone is offline).
  async function adminGet(p) {
    const lr = await fetch(BASE + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: process.env.WS_ADMIN_PASSWORD }) });
    const tok = (await lr.json()).token;
    const r = await fetch(BASE + '/api/v1' + p, { headers: { authorization: 'Bearer ' + tok } });
    return { status: r.status, body: await r.json() };
  }

  await test('patrol: on a phone a patrol done offline syncs later; the failed item becomes a hidden danger, timed by the phone', async (w) => {
    const pw = password('gridleader');
    assert(pw, 'needs the demo account "gridleader" (WS_DEMO_ACCOUNTS)');
    const page = await w.newPage(Object.assign({ serviceWorkers: 'allow' }, PHONE));
    const ctx = page.context();
    await login(page, 'gridleader', pw);
    await page.locator('#home-scope').waitFor();
    // today's patrol is on the home page's to-do list
    await page.locator('#home-patrols a[data-patrol-id]').first().waitFor();
    const onHome = await page.locator('#home-patrols a[data-patrol-id]').evaluateAll((els) => els.map((e) => Number(e.dataset.patrolId)));
    await page.goto(BASE + '/patrol');
    await page.locator('#patrols').waitFor();
    const card = page.locator('.pt-card[data-state="pending"]').first();
    await card.waitFor();
    const id = Number(await card.getAttribute('data-patrol-id'));
    assert(onHome.includes(id), `the pending patrol ${id} is not on the home page (${onHome})`);
    await missingStrings(page);
    await noHorizontalScroll(page);
    await card.click();
    await page.waitForURL(new RegExp('/patrol/' + id + '$'));
    await page.locator('#pt-start').waitFor();
    await missingStrings(page);
    await page.locator('#pt-start').click();
    await page.locator('#pt-ready').waitFor();
    // The service worker keeps the shell from now on.
    assert(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => !!r.active)), 'no service worker');

    // The signal is lost in the tank farm.
    await ctx.setOffline(true);
    await page.locator('#pt-banner[data-online="false"]').waitFor();
    const stops = page.locator('.pt-stop');
    const n = await stops.count();
    assert(n === 2, 'want the two points of the grid, got ' + n);
    const codes = [];
    for (let k = 0; k < n; k++) codes.push(await stops.nth(k).getAttribute('data-code'));
    for (let k = 0; k < n; k++) {
      const stop = page.locator(`.pt-stop[data-code="${codes[k]}"]`);
      await stop.locator('.pt-scan').click();
      // A wrong code is refused in the dialog.
      await page.locator('#pt-code').fill('XX-99');
      await page.locator('#pt-code-ok').click();
      assert((await page.locator('#pt-code-error').innerText()).includes(codes[k]), 'a wrong code was not refused');
      await page.locator('#pt-code').fill(codes[k]);
      await page.locator('#pt-code-ok').click();
      const form = page.locator('.pt-form');
      await form.waitFor();
      const items = await form.locator('.pt-item').count();
      assert(items >= 1, 'no check items at ' + codes[k]);
      for (let i = 0; i < items; i++) await form.locator(`.pt-item[data-item="${i}"] .pt-ok`).click();
      if (k === 1) {
        await form.locator('.pt-item[data-item="0"] .pt-bad').click();
        await form.locator('.pt-item[data-item="0"] textarea').fill('灭火器压力表指针在红区');
      }
      await form.locator('.pt-submit').click();
      await page.locator(`.pt-stop[data-code="${codes[k]}"][data-state="queued"]`).waitFor();
    }
    await page.locator('#pt-banner[data-queued="2"]').waitFor();
    await page.screenshot({ path: path.join(ART, 'patrol-offline-phone.png') });
    // Nothing reached the server while offline.
    let srv = await adminGet('/patrols/' + id);
    assert(srv.status === 200 && srv.body.stops.every((s) => s.state === 'pending'),
      'the server has checks although the phone was offline: ' + JSON.stringify(srv.body.stops.map((s) => s.state)));

    // Back online on a weak signal: the first send fails as if the network
    // were still away; the queue is sent again by itself, and the page shows
    // the server's record.
    let dropped = 0;
    w.expectFailures(/\/api\/v1\/patrols\/\d+\/actions\/check$/);
    await ctx.route('**/api/v1/patrols/*/actions/check', (r) => (dropped++ ? r.continue() : r.abort('internetdisconnected')));
    await ctx.setOffline(false);
    await page.locator('.pt-stop[data-state="done"]').nth(1).waitFor();
    await page.locator('#pt-banner[data-queued="0"]').waitFor({ state: 'attached' });
    assert(dropped >= 2, 'the weak signal was not simulated: ' + dropped + ' sends seen');
    assert(await page.locator('.pt-proof-time[data-source="phone"]').count() === 2, 'the page does not say the phone timed the checks');
    const rec = await apiGet(page, '/patrols/' + id);
    assert(rec.status === 200 && rec.body.state === 'done', 'the patrol is not done on the server: ' + rec.body.state);
    for (const s of rec.body.stops) {
      assert(s.time_source === 'phone', 'time source ' + s.time_source);
      assert(s.proof.nonce === 'offline' && s.proof.offline === true, 'proof ' + JSON.stringify(s.proof));
      assert(s.client_time && s.received_at && Date.parse(s.received_at) >= Date.parse(s.client_time),
        'phone and server times: ' + s.client_time + ' / ' + s.received_at);
    }
    const failed = rec.body.stops.find((s) => s.code === codes[1]);
    const hid = failed.results[0].hazard_id;
    assert(hid && failed.hazard_ids.length === 1, 'the failed item opened no hazard: ' + JSON.stringify(failed.results));
    const hzr = await apiGet(page, '/hazards/' + hid);
    assert(hzr.status === 200 && hzr.body.title.includes(failed.results[0].item), 'the hazard: ' + JSON.stringify(hzr.body).slice(0, 200));
    assert(hzr.body.found_at && Math.abs(Date.parse(hzr.body.found_at) - Date.parse(failed.client_time)) < 1000,
      'the hazard was not found at the phone\'s time');
    const back = await apiGet(page, '/hazards/' + hid + '/patrol');
    assert(back.status === 200 && back.body.id === id, 'the hazard does not point back to the patrol');
    // A spent offline nonce does not work again, even on another patrol's stop.
    srv = await adminGet('/patrols/' + id);
    assert(srv.body.state === 'done', 'admin view: ' + srv.body.state);
    await page.screenshot({ path: path.join(ART, 'patrol-synced-phone.png') });
    await page.locator('.pt-hazard-link').first().click();
    await page.waitForURL(new RegExp('/hazards/' + hid + '$'));
    await page.locator('#hz-timeline').waitFor();
  });

  await test('patrol overview: a department head sees every grid\'s patrol of the day, unfinished first, and reads one without being offered to record it', async (w) => {
    const pw = password('depthead');
    assert(pw, 'needs the demo account "depthead" (WS_DEMO_ACCOUNTS)');
    const page = await w.newPage();
    await login(page, 'depthead', pw);
    await page.locator('#home-scope').waitFor();
    // the home page sums up the day's patrols in scope and leads to the overview
    const sum = page.locator('#home-patrol-summary');
    await sum.waitFor();
    const homeTotal = Number(await sum.getAttribute('data-total'));
    await page.goto(BASE + '/patrol');
    await page.locator('#pt-overview-link').click();
    await page.waitForURL(/\/patrol\/overview/);
    const root = page.locator('#pt-overview');
    await root.waitFor();
    const day = await root.getAttribute('data-day');
    const want = [];
    for (let cur = null; ;) {
      const r = await apiGet(page, '/patrols?day=' + day + '&limit=200' + (cur ? '&cursor=' + cur : ''));
      want.push(...r.body.items);
      if (!r.body.next_cursor) break;
      cur = r.body.next_cursor;
    }
    assert(want.length > 0, 'the demo has no patrols on ' + day);
    const rows = page.locator('#pt-ov-table tbody tr');
    assert(await rows.count() === want.length, `the table has ${await rows.count()} rows, the server ${want.length}`);
    assert(Number(await page.locator('#pt-ov-counts').getAttribute('data-total')) === want.length, 'the count chip');
    assert(homeTotal === want.length, `the home page counts ${homeTotal} patrols, the server ${want.length}`);
    // unfinished first: no missed or pending row after an in-progress or done one
    const rank = { missed: 0, pending: 1, in_progress: 2, done: 3 };
    const states = await rows.evaluateAll((els) => els.map((e) => e.dataset.state));
    assert(states.every((x, i) => i === 0 || rank[states[i - 1]] <= rank[x]), 'not unfinished first: ' + states.join(','));
    // each row's progress and wrong stops are the server's
    for (const p of want) {
      const row = page.locator(`#pt-ov-table tr[data-patrol-id="${p.id}"]`);
      assert((await row.locator('.pt-ov-progress').innerText()).trim() === `${p.stops_done} / ${p.stops_total}`, 'progress of patrol ' + p.id);
      const fl = (await row.locator('.pt-ov-flagged').innerText()).trim();
      assert(p.stops_flagged ? fl.includes(String(p.stops_flagged)) : fl === '0', `wrong stops of patrol ${p.id}: ${fl}`);
    }
    await missingStrings(page);
    await page.screenshot({ path: path.join(ART, 'patrol-overview.png') });
    // An open patrol read from here: its stops, no start or scan for a reader who does not patrol it.
    const open = want.find((p) => p.state === 'pending' || p.state === 'in_progress');
    assert(open, 'no open patrol on ' + day);
    await page.locator(`#pt-ov-table tr[data-patrol-id="${open.id}"] a`).click();
    await page.waitForURL(new RegExp('/patrol/' + open.id + '$'));
    await page.locator('#pt-readonly').waitFor();
    assert(await page.locator('.pt-stop').count() === open.stops_total, 'the stops are not shown');
    assert(await page.locator('#pt-start, .pt-scan').count() === 0, 'a reader is offered to start or scan');
    // another day from the picker: the URL and the table follow. The demo's
    // yesterday is the day before the day it was made, whose own patrol of
    // 乙类储罐网格 the demo did (src/patrol/demo.c); when the patrol day has
    // turned since (the first shift's start in the plant's zone), the
    // server's tick has opened a new day (whose patrols the tests before
    // may have begun), and the demo's days are one further back.
    const dayBefore = (d) => new Date(Date.parse(d + 'T00:00:00Z') - 86400000).toISOString().slice(0, 10);
    const demoMade = want.some((p) => p.kind === 'own' && p.grid_name === '乙类储罐网格' && p.state === 'done');
    const demoDay = demoMade ? day : dayBefore(day);
    await page.goto(BASE + '/patrol/overview');
    await root.waitFor();
    const prev = dayBefore(demoDay);
    await page.locator('#pt-ov-day').fill(prev);
    await page.waitForURL(new RegExp('day=' + prev));
    await page.locator(`#pt-overview[data-day="${prev}"]`).waitFor();
    // the demo's yesterday was walked in full, during that day
    const counts = page.locator('#pt-ov-counts');
    const total = Number(await counts.getAttribute('data-total'));
    assert(total > 0 && Number(await counts.getAttribute('data-done')) === total, `yesterday's patrols: ${await counts.getAttribute('data-done')} of ${total} done`);
    const past = (await apiGet(page, '/patrols?day=' + prev + '&limit=200')).body.items;
    assert(past.every((p) => Date.parse(p.done_at) < Date.parse(p.window_end)), 'a patrol of yesterday was done after its day');
  });
}
