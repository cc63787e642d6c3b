// smoke.mjs — every page of the demo as the safety officer and the admin, in
// Chinese (with the demo's records) and in English (the lists): the page
// renders, says nothing the dictionary lacks, prints no JavaScript value as
// text (null, undefined, [object Object]), logs no uncaught error, uses no
// badge kind without a style and marks one place at most in the nav. The
// records opened are every permit (one per state in the demo), the first
// hidden dangers, a task force and an area's risk index, so a field a record
// leaves empty is exercised. Run from run.mjs with its harness.
import fs from 'node:fs';

export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, BASE } = hz;

  const LISTS = ['/', '/hazards', '/hazards?view=list', '/risk', '/risk/index', '/inspections', '/alarms', '/alarms?tab=closed',
    '/alarms/kpi', '/trends', '/permits', '/permits/approvals', '/permits/board', '/task-forces', '/me/tasks', '/dashboard',
    '/patrol', '/patrol/overview', '/drills', '/plant', '/plant/handover', '/voice', '/points', '/audit'];

  // The first path is loaded, the rest reached through the shell's router
  // (history + popstate, as a click on a link does): faster than a reload.
  async function visit(page, paths, errors) {
    let first = true;
    for (const p of paths) {
      if (first) await page.goto(BASE + p);
      else await page.evaluate((u) => { history.pushState(null, '', u); dispatchEvent(new PopStateEvent('popstate')); }, p);
      first = false;
      await page.locator('main .page, main .notice, main [id]').first().waitFor();
      await page.waitForTimeout(250); // the page's second requests (names, charts)
      try { await missingStrings(page); } catch (e) { throw new Error(p + ': ' + e.message); }
      assert(!errors.length, p + ': ' + errors.join('; '));
      // every badge kind the page uses has a style (an unstyled one reads as grey, not as its meaning)
      const unstyled = await page.evaluate(() => {
        const known = new Set();
        const walk = (rules) => {
          for (const r of rules) {
            for (const m of (r.selectorText || '').matchAll(/\.(badge-[\w-]+)/g)) known.add(m[1]);
            if (r.cssRules) walk(r.cssRules);
          }
        };
        for (const sh of document.styleSheets) { try { walk(sh.cssRules); } catch (e) { /* another origin */ } }
        const used = new Set();
        document.querySelectorAll('[class*="badge-"]').forEach((el) => el.classList.forEach((c) => { if (c.startsWith('badge-')) used.add(c); }));
        return [...used].filter((c) => !known.has(c));
      });
      assert(!unstyled.length, p + ': badges without a style: ' + unstyled.join(', '));
      const lit = await page.locator('#mainnav .navlink.active').allInnerTexts();
      assert(lit.length <= 1, p + ': the nav marks several places: ' + lit.join(', '));
    }
  }

  // The records worth opening: every permit, the first hidden dangers, an
  // open task force, the riskiest area.
  async function records(page) {
    const out = [];
    for (const x of (await apiGet(page, '/permits?limit=50')).body.items || []) out.push('/permits/' + x.id);
    for (const x of ((await apiGet(page, '/hazards?limit=3')).body.items || [])) out.push('/hazards/' + x.id);
    const tf = ((await apiGet(page, '/task-forces?state=open')).body.items || [])[0];
    if (tf) out.push('/task-forces/' + tf.id);
    const ri = ((await apiGet(page, '/risk-index')).body.items || [])[0];
    if (ri) out.push('/risk/index/' + ri.unit_id);
    return out;
  }

  for (const lang of ['zh', 'en']) {
    await test(`smoke (${lang}): every page${lang === 'zh' ? ' and the demo\'s records' : ''} render as the safety officer, with no raw value or error`, async (w) => {
      const file = process.env.WS_DEMO_ACCOUNTS;
      assert(file, 'WS_DEMO_ACCOUNTS is not set');
      const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('safety '));
      assert(line, 'the demo has no safety account');
      const page = await w.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push('uncaught: ' + e.message));
      await login(page, 'safety', line.split(' ')[1]);
      await page.locator('#home-scope').waitFor();
      if (lang === 'en') await page.evaluate(() => localStorage.setItem('ws_lang', 'en'));
      await visit(page, lang === 'zh' ? [...LISTS, ...(await records(page))] : LISTS, errors);
      if (lang === 'en') {
        // the demo's alarm titles name their limits, which the server writes in Chinese
        await page.goto(BASE + '/alarms');
        await page.locator('.al-title').first().waitFor();
        const titles = await page.$$eval('.al-title', (els) => els.map((e) => e.textContent));
        const zhLeft = titles.filter((s) => /高高报|高报|低低报|低报|接近[高低]限|变化率超限|传感器故障|数据中断|异常评分/.test(s));
        assert(!zhLeft.length, 'alarm titles keep the server\'s Chinese in English: ' + zhLeft.join(' | '));
        assert(titles.some((s) => /\b(HH high-high|H high|L low|LL low-low)\b/.test(s)), 'no limit read in English: ' + titles.join(' | '));
        await page.evaluate(() => localStorage.removeItem('ws_lang'));
      }
    });
  }

  await test('smoke: the admin pages render as the admin, with no raw value or error', async (w) => {
    const page = await loginAdmin(w);
    const errors = [];
    page.on('pageerror', (e) => errors.push('uncaught: ' + e.message));
    await visit(page, ['/', '/admin/units', '/admin/departments', '/admin/posts', '/admin/people', '/admin/accounts', '/admin/import',
      '/admin/workflows', '/admin/patrol', '/trends/import'], errors);
    // On a desktop every module is in reach of a mouse: the admin's nav (the
    // longest) shows every link whole inside the window. It used to scroll
    // sideways with its scrollbar hidden, and six links lay past the edge.
    const vw = page.viewportSize().width;
    const cut = await page.evaluate((w) => [...document.querySelectorAll('#mainnav a')]
      .filter((a) => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > w || !r.width; })
      .map((a) => a.textContent), vw);
    assert(vw >= 1000, 'the admin page is not a desktop one: ' + vw);
    assert(!cut.length, 'nav links out of reach at ' + vw + ' px: ' + cut.join(', '));
  });
}
