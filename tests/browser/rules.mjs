// rules.mjs — browser test of the alarm rule library page (pages/rules.js;
// issue 4 item 4) on the demo plant, whose rule set version 2 is the default
// rules plus an anomaly rule on the process tags that applies while R-201
// has feed (FI-201 ≥ 3).
//
// 1. The safety officer opens it from the alarm console: the active version
//    is shown as the API has it, every rule a row; the anomaly rule names its
//    operating state and a stale rule its gap in words; version 1 is one
//    click away and lacks the anomaly rule; every string in Chinese and in
//    English.
// 2. A worker has no link to it and is refused at the address; on a phone
//    the page does not scroll sideways (the table scrolls in its frame).
import fs from 'node:fs';

function account(user) {
  const line = fs.readFileSync(process.env.WS_DEMO_ACCOUNTS, 'utf8').split('\n').find((l) => l.split(' ')[0] === user);
  if (!line) throw new Error('no demo account ' + user);
  return line.split(' ')[1];
}

export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE } = hz;

  await test('rule library: the active version in words, its operating states, version 1, both languages', async (w) => {
    const page = await w.newPage();
    await login(page, 'safety', account('safety'));
    await page.goto(BASE + '/alarms');
    await page.locator('#al-rules').click();
    await page.waitForURL(/\/alarms\/rules$/);
    const list = (await apiGet(page, '/alarm-rules')).body.items;
    const active = list.find((v) => v.active);
    const set = (await apiGet(page, '/alarm-rules/' + active.version)).body;
    await page.locator('#rl-rules').waitFor();
    assert(Number(await page.locator('#rl-set').getAttribute('data-version')) === active.version, 'not the active version');
    assert(await page.locator('#rl-rules tbody tr').count() === set.rules.length, 'a rule is missing from the table');
    const anomaly = page.locator('#rl-rules tr[data-rule-id="2101"]');
    assert((await anomaly.locator('.rl-while').innerText()).includes('仅当 FI-201 ≥ 3'), 'the operating state is not shown');
    assert((await page.locator('#rl-rules tr[data-rule-id="1001"]').innerText()).includes('5 分钟无数据'), 'the stale rule is not in words');
    await missingStrings(page);
    await page.locator('#rl-versions li[data-version="1"] a').click();
    await page.waitForURL(/version=1$/);
    await page.locator('#rl-set[data-version="1"]').waitFor();
    assert(await page.locator('#rl-rules tr[data-rule-id="2101"]').count() === 0, 'version 1 shows the anomaly rule');
    await page.evaluate(() => localStorage.setItem('ws_lang', 'en'));
    await page.reload();
    await page.locator('#rl-set[data-version="1"]').waitFor();
    assert((await page.locator('#rl-rules tr[data-rule-id="1001"]').innerText()).includes('no data for 5 min'), 'no English');
    await missingStrings(page);
    await page.evaluate(() => localStorage.removeItem('ws_lang'));
  });

  await test('rule library: a worker is kept out; a phone reads it', async (w) => {
    const page = await w.newPage();
    await login(page, 'worker', account('worker'));
    await page.locator('#home-scope').waitFor();
    await page.goto(BASE + '/alarms');
    await page.locator('#al-kpi').waitFor();
    assert(await page.locator('#al-rules').count() === 0, 'a worker is offered the rule library');
    await page.goto(BASE + '/alarms/rules');
    await page.locator('#no-permission').waitFor();
    const phone = await loginAdmin(w, { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.goto(BASE + '/alarms/rules');
    await phone.locator('#rl-rules').waitFor();
    await noHorizontalScroll(phone);
  });
}
