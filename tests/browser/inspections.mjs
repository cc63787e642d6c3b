// inspections.mjs — browser test of the phone page of inspection checks
// (/inspections, pages/inspections.js; issue 3 item 6). Run from run.mjs with
// its harness, like hazards.mjs. Needs WS_DEMO_ACCOUNTS for the worker, whose
// grid has a 2-hourly check in the demo plant (made by the server's timer at
// start).
//
// On a phone the worker sees today's check of the grid, marks its item not
// OK with a note and a photo from the camera, submits; the card shows the
// record done and links the hidden danger it opened, whose page shows the
// risk event's accident type and the source "inspection".
import fs from 'node:fs';
import path from 'node:path';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function run(hz) {
  const { test, assert, login, apiGet, missingStrings, noHorizontalScroll, BASE, ROOT, ART } = hz;
  const PHOTO = path.join(ROOT, 'tests/data/photo-gps.jpg');

  function password(user) {
    const file = process.env.WS_DEMO_ACCOUNTS;
    if (!file || !fs.existsSync(file)) return null;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(\S+)\s+(\S+)/.exec(line);
      if (m && m[1] === user) return m[2];
    }
    return null;
  }

  await test('inspections: on a phone the grid worker records today\'s check, a failed item opens a hazard', async (w) => {
    const pw = password('worker');
    assert(pw, 'needs the demo account "worker" (WS_DEMO_ACCOUNTS)');
    const page = await w.newPage(PHONE);
    await login(page, 'worker', pw);
    await page.locator('#home-scope').waitFor();
    // A 2-hourly check that ends within the next minute would end while the
    // form is filled in (the server then calls it missed, rightly): wait for
    // the next period's check instead.
    const nowIso = () => new Date().toISOString();
    const cur = await apiGet(page, '/inspections?mine=1&state=pending&from=' + nowIso() + '&to=' + nowIso());
    const ends = ((cur.body && cur.body.items) || []).map((it) => Date.parse(it.window_end)).filter((t) => t > Date.now());
    const left = ends.length ? Math.min(...ends) - Date.now() : Infinity;
    if (left < 60000) await page.waitForTimeout(left + 2000);
    await page.goto(BASE + '/inspections');
    await page.locator('#inspections').waitFor();
    const card = page.locator('.insp-card[data-state="pending"]').first();
    await card.waitFor();
    const id = await card.getAttribute('data-inspection-id');
    await missingStrings(page);
    await noHorizontalScroll(page);
    // Submitting without a choice names the item.
    await card.locator('.insp-submit').click();
    await card.locator('[data-field="items[0].ok"].has-error').waitFor();
    const items = await card.locator('.insp-item').count();
    assert(items >= 1, 'the check has no items');
    for (let i = 0; i < items; i++) await card.locator(`.insp-item[data-item="${i}"] .insp-ok`).click();
    const first = card.locator('.insp-item[data-item="0"]');
    await first.locator('.insp-bad').click();
    await first.locator('textarea').fill('联锁旁路未恢复');
    await first.locator('input[type=file]').setInputFiles(PHOTO);
    await first.locator('.hz-thumb').waitFor();
    await page.screenshot({ path: path.join(ART, 'inspections-phone.png') });
    await card.locator('.insp-submit').click();
    const done = page.locator(`.insp-card[data-inspection-id="${id}"][data-state="done"]`);
    await done.waitFor();
    const link = done.locator('.insp-hazard-link').first();
    await link.waitFor();
    // The server agrees: done, one hazard per failed item, from the risk event.
    const rec = await apiGet(page, '/inspections/' + id);
    assert(rec.status === 200 && rec.body.state === 'done', 'the server does not have the record done');
    assert(rec.body.hazard_ids.length === 1, 'want one hazard, got ' + JSON.stringify(rec.body.hazard_ids));
    const hzid = rec.body.hazard_ids[0];
    const hzr = await apiGet(page, '/hazards/' + hzid);
    assert(hzr.status === 200, 'the worker cannot read the hazard: ' + hzr.status);
    assert(hzr.body.source === 'inspection', 'source ' + hzr.body.source);
    assert(hzr.body.risk_event_id === rec.body.risk_event_id, 'the hazard is not on the risk event');
    const ev = rec.body.risk_event || {};
    assert(hzr.body.accident_type === (ev.accident_type || '20'), 'accident type ' + hzr.body.accident_type);
    assert(hzr.body.photo_ids.length === 1, 'the photo did not reach the hazard');
    await link.click();
    await page.waitForURL(new RegExp('/hazards/' + hzid + '$'));
    await page.locator('#hz-timeline').waitFor();
    // A done record does not change.
    const again = await page.evaluate(async (u) => (await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ ok: true }] }) })).status, '/api/v1/inspections/' + id + '/actions/complete');
    assert(again === 409, 'completing again gave ' + again);
  });
}
