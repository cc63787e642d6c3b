// riskindex.mjs — browser tests of the dynamic risk index pages
// (pages/riskindex.js, the map switch in pages/riskmap.js; issue 7 item 6),
// on the demo plant, which has a week of each area's index and weather.
//
// 1. The admin opens /risk/index: one row per area the API lists, in the
//    API's order (worst first); the worst area's page shows its value and
//    colour, every factor the API names with its detail, a chart over a week
//    of stored values, the explanation of a stored value, the projection's
//    hours and the inputs (the demo's yellow lightning warning); in Chinese
//    and in English no string is missing.
// 2. A forecast warning says what raises the index by then (the demo's
//    thunderstorm forecast), the list says when it comes, the warning's hour is explained factor by
//    factor, and a click on another hour explains that one; its alarm on the
//    console names the cause and opens the page.
// 3. On the four-colour map of a site the switch to the dynamic index
//    colours each area as the API says and labels it with its value; a
//    click on an area opens its index page.
// 4. A worker's home page gives the risk notice (风险告知) of their area: its
//    index, what drives it and the open alarms, on a phone.
// 5. On a phone the index page fits the screen.
import fs from 'node:fs';

export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE } = hz;
  const LEVEL = { blue: 'low', yellow: 'medium', orange: 'high', red: 'major' };

  await test('risk index: the areas worst first; one area explained, with its week and its projection', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/risk/index');
    await page.locator('#ri-table tbody tr').first().waitFor();
    const list = (await apiGet(page, '/risk-index')).body.items;
    assert(list.length >= 3, 'the demo has fewer than three areas with an index');
    const rows = await page.locator('#ri-table tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.unit)));
    assert(rows.length === list.length, `the page lists ${rows.length} areas, the API ${list.length}`);
    for (let i = 1; i < list.length; i++) assert(list[i - 1].index >= list[i].index, 'the API list is not worst first');
    assert(rows[0] === list[0].unit_id, 'the page does not put the worst area first');
    await missingStrings(page);

    const worst = list[0];
    await page.locator(`#ri-table tr[data-unit="${worst.unit_id}"] a`).click();
    await page.waitForURL(new RegExp('/risk/index/' + worst.unit_id + '$'));
    await page.locator('#ri-factors-now li').first().waitFor();
    const one = (await apiGet(page, '/risk-index/' + worst.unit_id)).body;
    const shown = Number(await page.locator('#ri-value').innerText());
    assert(Math.abs(shown - one.index) <= 10, `the page shows ${shown}, the API ${one.index}`);
    const names = await page.locator('#ri-factors-now li').evaluateAll((li) => li.map((x) => x.dataset.factor));
    for (const f of ['static', 'hazards', 'weather'])
      assert(names.includes(f) === one.factors.some((x) => x.factor === f), `the factor ${f} differs between page and API`);
    assert(names.includes('weather'), 'the demo\'s lightning warning is not among the factors');
    const wx = await page.locator('#ri-factors-now li[data-factor=weather] .ri-detail').innerText();
    assert(/雷电黄色预警/.test(wx), 'the weather factor does not say, in Chinese, what drives it: ' + wx);
    // factors adding up past 100 say that the index stops there
    const sum = one.factors.reduce((x, f) => x + f.points, 0);
    assert((await page.locator('#ri-factors-now + .ri-capped').count()) === (sum > 100.05 ? 1 : 0),
      `the factors add up to ${sum.toFixed(1)}: the cap is ${sum > 100.05 ? 'not ' : ''}explained`);
    await page.locator('#ri-chart canvas').first().waitFor();
    await page.locator('#ri-factors-then li').first().waitFor();
    const hist = (await apiGet(page, `/risk-index/${worst.unit_id}/history`)).body.items;
    assert(hist.length >= 7 * 96 - 8, `the demo area has ${hist.length} stored values, not a week's`);
    const hours = await page.locator('#ri-projection .ri-hour').count();
    assert(hours === one.projection.horizon_h, `the projection shows ${hours} hours, the API ${one.projection.horizon_h}`);
    assert((await page.locator('#ri-inputs').innerText()).includes('黄'), 'the inputs do not show the yellow lightning warning');
    await missingStrings(page);
    await page.evaluate(() => localStorage.setItem('ws_lang', 'en'));
    await page.reload();
    await page.locator('#ri-factors-now li').first().waitFor();
    await missingStrings(page);
    await page.evaluate(() => localStorage.removeItem('ws_lang'));
  });

  await test('risk index: a forecast warning says why, and each hour ahead is explained', async (w) => {
    const page = await loginAdmin(w);
    const list = (await apiGet(page, '/risk-index')).body.items;
    let one = null;
    for (const a of list) {
      const x = (await apiGet(page, '/risk-index/' + a.unit_id)).body;
      if (x.projection && x.projection.warning) { one = x; break; }
    }
    assert(one, 'no demo area has a forecast warning (the demo forecasts a thunderstorm)');
    const wn = one.projection.warning;
    // the list shows what is coming where a forecast alarm is active (the
    // timer raises it on its first tick)
    const listed = list.find((a) => a.unit_id === one.unit_id);
    if (wn.colour === 'orange' || wn.colour === 'red') {
      assert(listed.warning && listed.warning.colour === wn.colour, 'the list does not carry the area\'s forecast: ' + JSON.stringify(listed.warning));
      await page.goto(BASE + '/risk/index');
      const coming = await page.locator(`#ri-table tr[data-unit="${one.unit_id}"] .ri-coming`).innerText();
      assert(coming.includes(`${listed.warning.in_h} 小时后`), 'the list does not say when the colour comes: ' + coming);
    }
    assert(wn.why.length >= 1, 'the warning gives no reason: ' + JSON.stringify(wn));
    await page.goto(BASE + '/risk/index/' + one.unit_id);
    await page.locator('#ri-warning-why').waitFor();
    const why = await page.locator('#ri-warning-why').innerText();
    const names = { weather: '天气', permits: '特殊作业', readings: '实时读数', profile: '周画像', night: '夜班', hazards: '未闭环隐患' };
    assert(why.includes(names[wn.why[0].factor] || '?'), `the warning's reason does not name ${wn.why[0].factor}: ${why}`);
    if (wn.why[0].factor === 'weather') assert(/雷电.色预警|风速/.test(why), 'the weather reason does not say what is forecast: ' + why);
    // the warning's hour is the one explained, its rising factor marked
    const pressed = await page.locator('#ri-projection .ri-hour[aria-pressed="true"]').getAttribute('data-h');
    assert(Number(pressed) === wn.in_h, `hour +${pressed} is explained, the warning is at +${wn.in_h}`);
    const up = page.locator(`#ri-factors-hour li[data-factor="${wn.why[0].factor}"] .ri-detail.ri-up`);
    assert(await up.count() === 1, 'the rising factor is not marked in the hour\'s explanation');
    await page.locator('#ri-projection .ri-hour[data-h="1"]').click();
    assert((await page.locator('#ri-hour-explain h3').innerText()).includes('+1'), 'a click on +1h does not explain that hour');
    const h1 = Object.keys(one.projection.hours[0].factors);
    const shown = await page.locator('#ri-factors-hour li').evaluateAll((li) => li.map((x) => x.dataset.factor));
    for (const f of h1) assert(shown.includes(f), `+1h: the factor ${f} of the API is not shown`);
    await missingStrings(page);
    // the forecast's alarm on the console names the cause and opens this page
    await page.goto(BASE + '/alarms');
    const link = page.locator(`a.al-riskindex[href="/risk/index/${one.unit_id}"]`).first();
    await link.waitFor();
    const title = await page.locator('.al-row', { has: link }).locator('.al-title').innerText();
    if (wn.why[0].factor === 'weather' && !wn.climbing && !wn.permits.length)
      assert(/雷电.色预警|预报大风|天气/.test(title), 'the forecast alarm does not name its cause: ' + title);
    await link.click();
    await page.waitForURL(new RegExp('/risk/index/' + one.unit_id + '$'));
    await page.locator('#ri-warning-why').waitFor();
  });

  await test('risk index: the four-colour map switches to the dynamic colours; an area opens its index', async (w) => {
    const page = await loginAdmin(w);
    const units = (await apiGet(page, '/units?limit=200')).body.items;
    const sites = units.filter((u) => u.kind === 'site');
    let site = null, map = null;
    for (const s of sites) {
      const m = (await apiGet(page, '/risk/maps/' + s.id)).body;
      if (m.plan && m.areas.length >= 2) { site = s; map = m; break; }
    }
    assert(site, 'no demo site has a plan with areas');
    await page.goto(BASE + '/risk/map/' + site.id);
    await page.locator('#riskmap-svg polygon').first().waitFor();
    // the index moves with the demo's live readings: the page must show a
    // value the server gave before it asked (the page asks on the click) or
    // after it drew
    const dyn = (await apiGet(page, '/risk-index?unit_id=' + site.id)).body.items;
    await page.locator('#riskmap-mode-dynamic').click();
    await page.waitForFunction(() => location.search.includes('mode=dynamic'));
    const shown = [];
    for (const a of map.areas) {
      const lv = await page.locator(`#riskmap-svg polygon[data-area="${a.area_unit_id}"]`).getAttribute('data-level');
      const label = await page.locator(`#riskmap-svg text[data-count="${a.area_unit_id}"]`).textContent();
      shown.push({ a, lv, label });
    }
    const later = (await apiGet(page, '/risk-index?unit_id=' + site.id)).body.items;
    for (const { a, lv, label } of shown) {
      const ds = [dyn, later].map((l) => l.find((x) => x.unit_id === a.area_unit_id));
      assert(ds[0] && ds[1], `area ${a.area_unit_id} has no index`);
      assert(ds.some((d) => lv === LEVEL[d.colour]), `area ${a.name}: the map shows ${lv}, the index is ${ds[0].colour}`);
      assert(ds.some((d) => label.includes(String(Math.round(d.index)))),
        `area ${a.name}: the label ${label} does not show ${Math.round(ds[0].index)} (or ${Math.round(ds[1].index)})`);
    }
    await page.locator(`#riskmap-svg polygon[data-area="${map.areas[0].area_unit_id}"]`).click({ force: true });
    await page.waitForURL(new RegExp('/risk/index/' + map.areas[0].area_unit_id + '$'));
    await page.locator('#ri-value').waitFor();
    await missingStrings(page);
  });

  await test('risk index: a worker\'s home page gives the risk notice of their area', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    const line = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('worker ')) : null;
    assert(line, 'needs WS_DEMO_ACCOUNTS with the demo worker');
    const page = await w.newPage({ viewport: { width: 375, height: 812 } });
    await login(page, 'worker', line.split(/\s+/)[1]);
    await page.locator('#home-area').waitFor();
    const area = (await apiGet(page, '/risk-index')).body.items[0];
    assert(Number(await page.locator('#home-area').getAttribute('data-unit-id')) === area.unit_id, 'the notice is not of the worker\'s area');
    assert((await page.locator('#home-area h2').innerText()).includes(area.name), 'the notice does not name the area');
    const shown = await page.locator('#home-area li').evaluateAll((li) => li.map((x) => x.dataset.factor));
    assert(JSON.stringify(shown) === JSON.stringify(area.factors.slice(0, 3).map((f) => f.factor)),
      `the notice shows ${shown}, the API's top factors are ${area.factors.map((f) => f.factor)}`);
    const open = (await apiGet(page, '/alarms?state=open&limit=500')).body.items;
    const said = await page.locator('#home-area-alarms').innerText();
    assert(open.length ? said.includes('紧急 ' + open.filter((a) => a.level === 3).length) : said.includes('无'),
      `the notice says "${said}" of ${open.length} open alarms`);
    await noHorizontalScroll(page);
    await missingStrings(page);
  });

  await test('risk index: the index page fits a phone', async (w) => {
    const page = await loginAdmin(w, { viewport: { width: 375, height: 812 } });
    const list = (await apiGet(page, '/risk-index')).body.items;
    await page.goto(BASE + '/risk/index/' + list[0].unit_id);
    await page.locator('#ri-factors-now li').first().waitFor();
    await page.locator('#ri-chart canvas').first().waitFor();
    await noHorizontalScroll(page);
  });
}
