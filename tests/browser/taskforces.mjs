// taskforces.mjs — browser tests of the task force pages (pages/taskforces.js,
// issue 6 item 4), on the demo plant, whose 重大 hazard, 紧急 alarm and
// serious incident formed their forces by themselves.
//
// 1. The admin opens /task-forces: the demo's forces are listed with their
//    progress; the hazard force shows its members and tasks; an open task is
//    done from the page (with an amount when it is the budget task) and the
//    server agrees. (The refusal of a budget task without its amount is in
//    tests/integration/test_taskforce.c.)
// 2. An incident reported from /incidents/new as serious lands on its new
//    force, which has tasks; /me/tasks loads; no string is missing, in
//    Chinese or English.
// 3. The demo's operator (account worker, 冯超) sees today's duty of his post
//    on the home page on a phone, marks it done with a note, and the server
//    has it done.
// 4. Drills (协同压力测试, pages/drills.js): the demo's two H₂S drills, the
//    newer one's report with its steps and the older one beside it; a drill
//    started from the page in 合成车间 lands on its report, running, with its
//    【演练】 alarm raised; the alarm is then acknowledged and closed.
export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, BASE } = hz;

  await test('task forces: the demo forces are listed; a task is done from the page and the server agrees', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/task-forces');
    await page.locator('#tf-list .tf-card').first().waitFor();
    // a card: its title the link (none inside another), its state a badge, not a bar across it
    assert(await page.locator('#tf-list a a').count() === 0, 'a link inside a link in the list');
    const [badgeW, cardW] = await page.locator('#tf-list .tf-card').first().evaluate((c) =>
      [c.querySelector('.tf-state').getBoundingClientRect().width, c.getBoundingClientRect().width]);
    assert(badgeW < cardW / 4, `the state badge spans ${badgeW} of the card's ${cardW} px`);
    const forces = (await apiGet(page, '/task-forces?state=open')).body.items;
    const hf = forces.find((f) => f.source_kind === 'hazard');
    assert(hf, 'the demo has no task force of a major hazard');
    await missingStrings(page);
    await page.goto(BASE + '/task-forces/' + hf.id);
    await page.locator('#tf-tasks .tf-task').first().waitFor();
    assert(await page.locator('#tf-members li').count() >= 3, 'the force has fewer than three members');
    const before = (await apiGet(page, '/task-forces/' + hf.id)).body;
    const open = before.tasks.filter((x) => x.state === 'open');
    assert(open.length >= 1, 'the demo force has no open task');
    const task = open.find((x) => x.kind !== 'budget') || open[0];
    const row = page.locator(`#tf-tasks .tf-task[data-id="${task.id}"]`);
    await row.locator('.tf-note').fill('浏览器测试完成');
    if (task.kind === 'budget') await row.locator('.tf-amount').fill('1000');
    await row.locator('button[data-act=done]').click();
    await page.locator(`#tf-tasks .tf-task-done[data-id="${task.id}"]`).waitFor();
    const after = (await apiGet(page, '/task-forces/' + hf.id)).body;
    assert(after.tasks.find((x) => x.id === task.id).state === 'done', 'the server does not have the task done');
    await missingStrings(page);
  });

  await test('task forces: a serious incident reported from the page forms its force; my tasks; both languages', async (w) => {
    const page = await loginAdmin(w, { viewport: { width: 390, height: 844 } });
    await page.goto(BASE + '/incidents/new');
    const form = page.locator('#tf-incident-form');
    await form.waitFor();
    const areas = (await apiGet(page, '/units?limit=200')).body.items.filter((u) => u.code === 'HDJX-S1-HC');
    assert(areas.length === 1, 'the demo has no 合成车间');
    await form.locator('select[name=unit_id]').selectOption(String(areas[0].id));
    await form.locator('input[name=title]').fill('反应釜投料口物料喷溅，两人烫伤');
    await form.locator('select[name=severity]').selectOption('serious');
    await form.locator('input[name=injuries]').fill('2');
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/task-forces\/\d+$/);
    await page.locator('#tf-tasks .tf-task').first().waitFor();
    const id = Number(page.url().split('/').pop());
    const f = (await apiGet(page, '/task-forces/' + id)).body;
    assert(f.source_kind === 'incident' && f.tasks.length >= 3, 'the incident force has no tasks');
    await page.goto(BASE + '/me/tasks');
    await page.locator('#tf-my-tasks').waitFor();
    await missingStrings(page);
    await page.evaluate(() => localStorage.setItem('ws_lang', 'en'));
    await page.goto(BASE + '/task-forces/' + id);
    await page.locator('#tf-tasks .tf-task').first().waitFor();
    await missingStrings(page);
    await page.evaluate(() => localStorage.removeItem('ws_lang'));
  });

  await test('overview: the regulator\'s home lists the park\'s enterprises, the manager\'s the enterprise\'s sites, with the server\'s counts', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    assert(file, 'WS_DEMO_ACCOUNTS is not set');
    const fs = await import('node:fs');
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('regulator '));
    assert(line, 'the demo has no regulator account');
    const page = await w.newPage();
    await login(page, 'regulator', line.split(' ')[1]);
    const table = page.locator('#home-park .park-table');
    await table.waitFor();
    await missingStrings(page);
    const units = (await apiGet(page, '/units?limit=200')).body.items;
    const ents = units.filter((u) => u.kind === 'enterprise' && u.active);
    assert(ents.length >= 2, 'the demo park has fewer than two enterprises');
    assert(await table.locator('tbody tr').count() === ents.length, 'not a row per enterprise');
    const alarms = (await apiGet(page, '/alarms?state=open&limit=500')).body.items;
    const entOf = new Map(units.map((u) => [u.id, u.enterprise_id]));
    for (const e of ents) {
      const tr = table.locator(`tbody tr[data-unit-id="${e.id}"]`);
      const st = (await apiGet(page, '/hazards/stats?unit_id=' + e.id)).body;
      assert((await tr.locator('[data-col=major]').innerText()).trim() === String(st.major_open), `${e.name}: major hazards differ from the server's ${st.major_open}`);
      assert((await tr.locator('[data-col=overdue]').innerText()).trim() === String(st.overdue), `${e.name}: overdue differs from the server's ${st.overdue}`);
      const mine = alarms.filter((a) => entOf.get(a.unit_id) === e.id);
      const want = `${mine.filter((a) => a.level === 3).length} / ${mine.filter((a) => a.level === 2).length}`;
      assert((await tr.locator('[data-col=alarms]').innerText()).trim() === want, `${e.name}: alarms ${await tr.locator('[data-col=alarms]').innerText()} instead of ${want}`);
    }
    // the riskiest enterprise first, and its major hazards one click away
    const first = table.locator('tbody tr').first();
    const id = Number(await first.getAttribute('data-unit-id'));
    const major = Number((await first.locator('[data-col=major]').innerText()).trim());
    assert(major >= 1, 'the demo enterprise has no open major hidden danger');
    await first.locator('[data-col=major] a').click();
    await page.waitForURL(new RegExp('/hazards\\?unit_id=' + id + '&grade=major'));
    // the manager of one enterprise sees its sites the same way
    const m = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('manager '));
    const p2 = await w.newPage();
    await login(p2, 'manager', m.split(' ')[1]);
    const t2 = p2.locator('#home-park[data-scope-kind="enterprise"] .park-table');
    await t2.waitFor();
    await missingStrings(p2);
    const me = (await apiGet(p2, '/me')).body;
    const sites = (await apiGet(p2, '/units?limit=200')).body.items.filter((u) => u.parent_id === me.scope.id && u.active);
    assert(sites.length >= 1 && await t2.locator('tbody tr').count() === sites.length, 'not a row per site of the enterprise');
    for (const u of sites) {
      const st = (await apiGet(p2, '/hazards/stats?unit_id=' + u.id)).body;
      const got = (await t2.locator(`tbody tr[data-unit-id="${u.id}"] [data-col=major]`).innerText()).trim();
      assert(got === String(st.major_open), `${u.name}: major hazards ${got}, the server ${st.major_open}`);
    }
  });

  await test('duties: the operator marks the duty of the day done from the home page on a phone, under the shifts he is on', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    assert(file, 'WS_DEMO_ACCOUNTS is not set');
    const fs = await import('node:fs');
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('worker '));
    assert(line, 'the demo has no worker account');
    const page = await w.newPage({ viewport: { width: 390, height: 844 } });
    await login(page, 'worker', line.split(' ')[1]);
    const duty = page.locator('#home-duties .tf-task-open').first();
    await duty.waitFor();
    const id = await duty.getAttribute('data-id');
    await duty.locator('.tf-note').fill('检测器显示正常');
    await duty.locator('button[data-act=done]').click();
    await page.locator(`#home-duties .tf-task-done[data-id="${id}"]`).waitFor();
    const mine = (await apiGet(page, '/me/duties')).body.items;
    const d = mine.find((x) => String(x.id) === id);
    assert(d && d.state === 'done' && d.note === '检测器显示正常', 'the server does not have the duty done with its note');
    // 我的值班: the worker's shift running now, marked 当班中, and the next one, as the server has them
    // the demo's rota has the worker's crew on the shift running when it was made
    const all = (await apiGet(page, '/me/shifts')).body.items;
    const onDuty = all.some((x) => x.now);
    if (!onDuty) console.log('# the worker\'s shift has ended: a shift change since the demo was made');
    const next = all.find((x) => !x.now); // the running shift and the next one are shown
    const shifts = all.filter((x) => x.now || (next && x.start === next.start));
    const shown = await page.locator('#home-shifts li').evaluateAll((els) => els.map((e) => [e.dataset.id, e.dataset.now]));
    assert(JSON.stringify(shown) === JSON.stringify(shifts.map((x) => [String(x.id), String(x.now)])),
      `the home page shows ${JSON.stringify(shown)}, the server ${JSON.stringify(shifts.map((x) => [x.id, x.now]))}`);
    // each with the worker's crew (the demo's 甲班) when it was rostered as a crew
    const crews = await page.locator('#home-shifts li').evaluateAll((els) => els.map((e) => {
      const c = e.querySelector('.home-crew');
      return c ? c.dataset.crew : null;
    }));
    assert(JSON.stringify(crews) === JSON.stringify(shifts.map((x) => x.crew_name || null)) && crews.every((c) => c === '甲班'),
      `the crews shown ${JSON.stringify(crews)}, the server's ${JSON.stringify(shifts.map((x) => x.crew_name))}`);
    // each with its day and clock times, as a roster reads (the demo's shifts: 08:00 and 20:00)
    for (const when of await page.locator('#home-shifts li .row-meta').allInnerTexts())
      assert(/^(今天|明天|昨天|\d+月\d+日 ?周.) (08|20):00 – (次日 )?(08|20):00$/.test(when.trim()), 'a shift reads ' + when);
    // 当前值班: who is on duty now where he works, along the escalation chain, as the server has it
    const grid = (await apiGet(page, '/me')).body.scope.id;
    for (const role of ['grid_leader', 'safety_officer', 'manager']) {
      const names = (await apiGet(page, `/units/${grid}/on-duty?role=${role}`)).body.people.map((p) => p.name);
      const said = await page.locator(`#home-onduty [data-role="${role}"]`).innerText();
      assert(names.length && names.every((n) => said.includes(n)), `on duty as ${role}: the page says ${said}, the server ${names}`);
    }
    const running = page.locator('#home-shifts li[data-now="true"]');
    if (onDuty) assert((await running.innerText()).includes('当班中'), 'the running shift is not marked 当班中');
    else assert(!(await page.locator('#home-shifts', { hasText: '当班中' }).count()), 'a shift is marked 当班中 while none runs');
    await missingStrings(page);
  });

  await test('dashboard: the collaboration figures and the committee list show what the API says', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/dashboard');
    await page.locator('#dash-committee').waitFor();
    const api = (await apiGet(page, '/dashboard/committee-list')).body.items;
    assert(api.length > 0, 'the demo has nothing on the committee list');
    const rows = await page.locator('#dash-committee tbody tr').count();
    assert(rows === api.length, `the page lists ${rows} items, the API ${api.length}`);
    assert(await page.locator('#dash-committee tr[data-kind=task_force]').count() >= 1, 'no task force on the list');
    // a hazard's state is shown in words, never as its id (rectifying)
    const cells = await page.locator('#dash-committee tbody td').allTextContents();
    const raw = cells.filter((c) => /^[a-z_]+$/.test(c.trim()));
    assert(!raw.length, `the committee list shows raw ids: ${raw.join(', ')}`);
    // a response time under a minute reads in seconds, never "0 分钟"
    const col = (await apiGet(page, '/dashboard/collaboration')).body;
    const first = (await page.locator('#dash-first .dash-value').textContent()).trim();
    const med = col.report_to_first_action && col.report_to_first_action.median_s;
    if (med !== null && med !== undefined && med < 59.5) assert(first === Math.round(med) + ' 秒', `first action: ${first} for ${med} s`);
    for (const v of await page.locator('.dash-value').allTextContents())
      assert(!/^0 分钟$/.test(v.trim()), `a card reads "${v.trim()}"`);
    // satisfaction reads out of 5, with how many rated it
    const sat = col.satisfaction;
    assert(sat && sat.rated > 0, 'the demo has no rated report: ' + JSON.stringify(sat));
    assert((await page.locator('#dash-satisfaction .dash-value').textContent()).trim() === sat.average.toFixed(1) + ' / 5', 'the satisfaction card');
    assert((await page.locator('#dash-satisfaction .row-meta').textContent()).includes(sat.rated + ' 人评价'), 'the satisfaction card does not say how many rated');
    await missingStrings(page);
  });

  await test('drills: the demo\'s drills and a report beside the earlier one; a drill started from the page runs with its alarm', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/task-forces');
    await page.locator('#tf-drills').click();
    await page.waitForURL(/\/drills$/);
    const list = (await apiGet(page, '/drills')).body.items;
    assert(list.length >= 2, 'the demo has fewer than two drills');
    await page.locator('#dr-list .dr-row').first().waitFor();
    assert(await page.locator('#dr-list .dr-row').count() === list.length, 'the page does not list every drill');
    await missingStrings(page);
    // the newest demo drill: its steps, and the earlier one beside it
    await page.locator(`#dr-list .dr-row[data-id="${list[0].id}"]`).click();
    await page.waitForURL(new RegExp('/drills/' + list[0].id + '$'));
    await page.locator('#dr-steps tbody tr').first().waitFor();
    const rep = (await apiGet(page, '/drills/' + list[0].id)).body;
    assert(await page.locator('#dr-steps tbody tr').count() === rep.steps.length, 'the steps differ from the API');
    assert(rep.earlier.length >= 1 && await page.locator('#dr-earlier tbody tr').count() === rep.earlier.length, 'the earlier drills differ');
    if (rep.total_seconds !== null && rep.earlier[0].total_seconds !== null && rep.total_seconds < rep.earlier[0].total_seconds)
      assert((await page.locator('#dr-total').innerText()).includes('比上次快'), 'the report does not say it was faster than the drill before');
    const depts = await page.locator('#dr-steps tbody td:nth-child(2)').allInnerTexts();
    assert(depts.every((d) => d && d !== '—'), 'a step without its department: ' + depts.join(','));
    await missingStrings(page);
    // start one: the unit is asked for first, then the report of the running drill
    await page.goto(BASE + '/drills');
    await page.locator('#dr-start').click();
    const form = page.locator('#dr-form');
    await form.locator('button[type=submit]').click();
    await form.locator('[data-field=unit_id].has-error').waitFor();
    const units = (await apiGet(page, '/units?limit=200')).body.items;
    const area = units.find((u) => u.name === '合成车间');
    assert(area, 'the demo has no 合成车间');
    await form.locator('select[name=scenario]').selectOption('h2s_leak');
    await form.locator('select[name=unit_id]').selectOption(String(area.id));
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/drills\/\d+$/);
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    assert(!list.some((d) => d.id === id), 'the page did not land on the new drill');
    await page.locator('#drill[data-state="open"]').waitFor();
    const now = (await apiGet(page, '/drills/' + id)).body;
    assert(now.alarm && now.alarm.state, 'the H₂S drill raised no alarm: ' + JSON.stringify(now.alarm));
    assert((await page.locator('#dr-ack').innerText()).includes('尚未确认'), 'the alarm is not shown as waiting');
    assert((await page.locator('#dr-total').innerText()).includes('进行中'), 'the drill is not shown as running');
    // the departments finish their tasks: the force closes, the drill is over,
    // its alarm clears and is closed with a record (the demo is left as it was)
    const post = (path, body) => page.evaluate(async ([p, b]) => (await fetch('/api/v1' + p, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) })).status, [path, body]);
    const force = (await apiGet(page, '/task-forces/' + now.force_id)).body;
    for (const task of force.tasks.filter((x) => x.state === 'open'))
      assert(await post(`/task-force-tasks/${task.id}/actions/done`, task.kind === 'budget' ? { amount: 1 } : {}) === 200, 'a drill task was not done');
    const alarms = (await apiGet(page, '/alarms?state=open&limit=100')).body.items.filter((a) => a.title.includes('【演练】'));
    assert(alarms.length === 1 && !alarms[0].active, 'the drill\'s alarm did not clear when the drill ended: ' + JSON.stringify(alarms.map((a) => [a.title, a.active])));
    assert(await post(`/alarms/${alarms[0].id}/actions/ack`, {}) === 200, 'the drill alarm was not acknowledged');
    assert(await post(`/alarms/${alarms[0].id}/actions/close`, { cause: '演练', action: '演练结束' }) === 200, 'the drill alarm was not closed');
    await page.reload();
    await page.locator('#drill[data-state="closed"]').waitFor();
  });
}
