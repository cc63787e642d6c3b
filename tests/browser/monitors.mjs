// monitors.mjs — browser tests of the process monitor pages (pages/monitors.js;
// issue 7 item 3) on the demo plant, whose R-201 monitor was trained on six
// days and judged the last day: its jacket outlet TI-202 is off its relation.
//
// 1. The admin's list shows R-201 in the state the API reports; its page names
//    TI-202 first among the contributors, as the API does, draws the ratio's
//    history, shows the analyser AI-201 (a sample every 15 minutes) as held
//    30 minutes and the run condition (FI-201 ≥ 3), and has every string in
//    Chinese and in English; the alarm
//    console's row of its alarm opens it.
// 2. The safety officer trains a monitor from the form: ticking one point is
//    refused at the points field; with four of R-201's points (the analyser
//    among them) and the last seven days a dry run says what it would have
//    raised and that the analyser is held, and stores nothing; a run
//    condition with its bounds the wrong way round is refused at its field;
//    then it is trained (a day or more of minutes) and opened;
//    retraining it fills the form from it and stops it on request; the new one
//    is stopped through the confirmation dialog.
// 3. A worker has no link to the pages and is refused at the address; on a
//    phone the monitor's page fits the screen.
import fs from 'node:fs';

function account(user) {
  const file = process.env.WS_DEMO_ACCOUNTS;
  if (!file || !fs.existsSync(file)) throw new Error('needs WS_DEMO_ACCOUNTS');
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.split(' ')[0] === user);
  if (!line) throw new Error('no demo account ' + user);
  return line.split(' ')[1];
}

export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE, RUN } = hz;

  async function r201(page) {
    const list = (await apiGet(page, '/process-monitors')).body.items;
    const m = list.find((x) => x.name === 'R-201 反应釜');
    assert(m, 'the demo has no R-201 monitor');
    return (await apiGet(page, '/process-monitors/' + m.id)).body;
  }

  await test('process monitors: the demo reactor listed and explained, in both languages', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/monitors');
    const m = await r201(page);
    const row = page.locator(`#mv-list tr[data-monitor-id="${m.id}"]`);
    await row.waitFor();
    assert(await row.getAttribute('data-state') === m.state, `the list shows ${await row.getAttribute('data-state')}, the API ${m.state}`);
    assert(m.state === 'abnormal', 'the demo reactor is not outside its normal region: ' + m.state);
    assert((await row.innerText()).includes('TI-202'), 'the list does not name TI-202 as the top contributor');
    await missingStrings(page);
    await row.locator('a').click();
    await page.waitForURL(new RegExp('/monitors/' + m.id + '$'));
    await page.locator('#mv-contrib li').first().waitFor();
    const first = await page.locator('#mv-contrib li').first().getAttribute('data-point-id');
    const top = [...m.points].sort((a, b) => b.contribution - a.contribution)[0];
    assert(Number(first) === top.id && top.tag === 'TI-202', `the page puts point ${first} first, the API ${top.tag}`);
    assert(await page.locator('#mv-now .mv-state').getAttribute('data-state') === 'abnormal', 'the state badge is not abnormal');
    // the monitor is judged each minute: the page's ratio is the API's before or after it was read
    const ratio = await page.locator('#mv-ratio').innerText();
    const after = await r201(page);
    assert([m, after].some((x) => ratio.includes(x.ratio.toFixed(2))),
      `the ratio shown (${ratio}) differs from the API's (${m.ratio}, then ${after.ratio})`);
    await page.locator('#mv-chart canvas').first().waitFor();
    const drawn = Number(await page.locator('#mv-chart').getAttribute('data-samples'));
    assert([m, after].some((x) => x.history.length === drawn), 'the chart does not draw the history');
    assert((await page.locator('#mv-samples').innerText()).includes(String(m.samples)), 'the training samples are not shown');
    // each latest value with its unit of measure
    const ti = m.points.find((p) => p.tag === 'TI-202');
    assert(ti.uom === '°C' && (await page.locator(`#mv-contrib li[data-point-id="${ti.id}"] .mv-latest`).innerText()).includes('°C'),
      'the latest value of TI-202 is shown without °C');
    // the analyser, sampled every 15 minutes, is held between its samples, and the page says so
    const ai = m.points.find((p) => p.tag === 'AI-201');
    assert(ai && ai.hold_min === 30 && m.points.every((p) => p === ai || p.hold_min === 5), 'the holds are wrong: ' + JSON.stringify(m.points));
    assert((await page.locator(`#mv-contrib li[data-point-id="${ai.id}"]`).innerText()).includes('慢采样，保持 30 分钟'), 'the analyser\'s hold is not shown');
    // judged while FI-201 shows feed: the third day's stop was left out of its training
    assert(m.run && m.run.tag === 'FI-201' && m.run.min === 3 && m.run.max === null, 'the run condition is wrong: ' + JSON.stringify(m.run));
    assert((await page.locator('#mv-run').innerText()).includes('FI-201 ≥ 3'), 'the run condition is not shown');
    await missingStrings(page);
    await page.evaluate(() => localStorage.setItem('ws_lang', 'en'));
    await page.reload();
    await page.locator('#mv-contrib li').first().waitFor();
    assert((await page.locator('#mv-now').innerText()).includes('Outside normal operation'), 'no English state');
    await missingStrings(page);
    await page.evaluate(() => localStorage.removeItem('ws_lang'));
    // the alarm console's row of the monitor's alarm opens the monitor
    await page.goto(BASE + '/alarms');
    await page.locator(`a.al-monitor[href="/monitors/${m.id}"]`).first().click();
    await page.waitForURL(new RegExp('/monitors/' + m.id + '$'));
    await page.locator('#mv-contrib li').first().waitFor();
  });

  await test('process monitors: the safety officer trains one from the form, a refusal at its field, then stops it', async (w) => {
    const page = await w.newPage();
    await login(page, 'safety', account('safety'));
    await page.locator('#mainnav a[href="/monitors"]').waitFor();
    const demo = await r201(page);
    const pts = (await apiGet(page, '/points?unit_id=' + demo.unit_id + '&limit=200')).body.items;
    const pick = ['TI-201', 'PI-201', 'FI-201', 'AI-201'].map((t) => pts.find((p) => p.tag === t));
    assert(pick.every(Boolean), 'R-201\'s points are not under its unit');
    await page.goto(BASE + '/monitors/new');
    await page.locator('#mv-form').waitFor();
    await page.locator('#mv-name').fill('R-201 负荷回路 ' + RUN);
    await page.locator('#mv-unit').selectOption(String(demo.unit_id));
    await page.locator(`#mv-points input[value="${pick[0].id}"]`).check();
    await page.getByRole('button', { name: '最近 7 天' }).click();
    await page.locator('#mv-submit').click();
    await page.locator('[data-field="point_ids"].has-error').waitFor();
    assert(/测点/.test(await page.locator('[data-field="point_ids"] .field-error').innerText()), 'the refusal does not name the points');
    assert(page.url().endsWith('/monitors/new'), 'a refused form left the page');
    for (const p of pick.slice(1)) await page.locator(`#mv-points input[value="${p.id}"]`).check();
    // the run condition: FI-201 with its bounds the wrong way round is refused at run_max, then fixed
    await page.locator('#mv-run-point').selectOption(String(pick[2].id));
    await page.locator('#mv-run-min').fill('3');
    await page.locator('#mv-run-max').fill('1');
    await page.locator('#mv-dryrun').click();
    await page.locator('[data-field="run_max"].has-error').waitFor();
    await page.locator('#mv-run-max').fill('');
    // a dry run trains and backtests, and stores nothing
    const before = (await apiGet(page, '/process-monitors?active=1')).body.items.length;
    await page.locator('#mv-dryrun').click();
    await page.locator('#mv-backtest:not(.hidden)').waitFor();
    assert(/主成分/.test(await page.locator('#mv-backtest').innerText()), 'the dry run does not say what was trained');
    assert((await page.locator('#mv-bt-held').innerText()).includes('AI-201（沿用上一值至多 30 分钟）'), 'the dry run does not name the held analyser');
    assert((await apiGet(page, '/process-monitors?active=1')).body.items.length === before, 'a dry run stored a monitor');
    await page.locator('#mv-submit').click();
    await page.waitForURL(/\/monitors\/\d+$/);
    const id = Number(page.url().split('/').pop());
    const m = (await apiGet(page, '/process-monitors/' + id)).body;
    assert(m.samples >= 1440 && m.points.map((p) => p.tag).join() === 'TI-201,PI-201,FI-201,AI-201', 'trained on the wrong data: ' + JSON.stringify([m.samples, m.points]));
    assert(m.run && m.run.point_id === pick[2].id && m.run.min === 3, 'the run condition was not stored: ' + JSON.stringify(m.run));
    await page.locator('#mv-samples').waitFor();
    assert((await page.locator('#mv-samples').innerText()).includes(String(m.samples)), 'the page does not show the samples');
    await missingStrings(page);
    // retrain: the form comes filled from the monitor; once trained, the old one is stopped on request
    await page.locator('#mv-retrain').click();
    await page.waitForURL(/\/monitors\/new\?from=\d+$/);
    await page.locator('#mv-points input:checked').nth(3).waitFor();
    const ticked = await page.locator('#mv-points input:checked').evaluateAll((xs) => xs.map((x) => Number(x.value)));
    assert(ticked.join() === pick.map((p) => p.id).join(), 'the retrain form does not tick the old points: ' + ticked);
    assert(await page.locator('#mv-unit').inputValue() === String(demo.unit_id), 'the retrain form has another unit');
    assert(await page.locator('#mv-run-point').inputValue() === String(pick[2].id) && await page.locator('#mv-run-min').inputValue() === '3',
      'the retrain form lost the run condition');
    await page.getByRole('button', { name: '最近 3 天' }).click();
    await page.locator('#mv-submit').click();
    await page.locator('dialog .btn-danger').click();
    await page.waitForURL((u) => /\/monitors\/\d+$/.test(u.pathname) && !u.pathname.endsWith('/' + id));
    assert(!(await apiGet(page, '/process-monitors/' + id)).body.active, 'retraining did not stop the old monitor');
    await page.locator('#mv-now').waitFor();
    await page.locator('#mv-deactivate').click();
    await page.locator('dialog .btn-danger').click();
    await page.locator('#mv-now .mv-state[data-state="inactive"]').waitFor();
    const id2 = Number(new URL(page.url()).pathname.split('/').pop());
    assert(!(await apiGet(page, '/process-monitors/' + id2)).body.active, 'the monitor is still active');
    assert(await page.locator('#mv-deactivate').count() === 0, 'a stopped monitor still offers to stop');
  });

  await test('process monitors: a worker is kept out; a phone fits the monitor page', async (w) => {
    const page = await w.newPage();
    await login(page, 'worker', account('worker'));
    await page.locator('#home-scope').waitFor();
    assert(await page.locator('#mainnav a[href="/monitors"]').count() === 0, 'a worker is offered the monitors');
    await page.goto(BASE + '/monitors');
    await page.locator('#no-permission').waitFor();
    const phone = await loginAdmin(w, { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const m = await r201(phone);
    await phone.goto(BASE + '/monitors');
    await phone.locator(`#mv-list tr[data-monitor-id="${m.id}"]`).waitFor();
    await noHorizontalScroll(phone);
    assert(await phone.locator('#mv-list').evaluate((t) => t.scrollWidth <= t.parentElement.clientWidth + 1),
      'the monitor list is wider than a phone');
    await phone.goto(BASE + '/monitors/' + m.id);
    await phone.locator('#mv-contrib li').first().waitFor();
    await noHorizontalScroll(phone);
  });
}
