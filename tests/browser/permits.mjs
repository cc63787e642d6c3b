// permits.mjs — browser tests of the special-work permit pages (issue 5 item
// 8; pages/permit_apply.js, permit.js, permits.js, permit_print.js). Run from
// run.mjs with its harness, on the demo plant; needs WS_DEMO_ACCOUNTS for the
// permit roles: applicant (陶然, applies), workshop (金涛, workshop_head),
// safety (张丽, safety_dept), manager (王建国, plant_manager), guardian (魏东).
//
// 1. On a 390×844 phone the applicant applies for hot work in the tank-farm
//    grid (甲类储罐网格) with the welder 吕军 but without his certificate,
//    linking the detector GT-101: the pre-check fails the rule `certificate`
//    and names its clause and evidence; picking his certificate and saving
//    again passes; the applicant signs on the canvas and submits; the measures
//    are confirmed and a gas test recorded from the permit page. The chain
//    the pre-check reads (required_posts: the grade in force depends on the
//    night and rest days) is approved by whoever holds each post, the first
//    from the approval queue. The guardian checks in on his phone (a permit of
//    the demo running in the same grid, if any, is refused as a conflict by
//    name, and closed from its page first); a normal GT-101 reading is posted
//    just before. Then GT-101 reads 12 %LEL (over the 10 %LEL pass limit,
//    under the point's own 25 %LEL alarm limit): the page shows 已暂停 with
//    the reason, and an open 紧急 alarm exists for the permit.
// 2. The board lists the active and suspended permits with countdowns that
//    run; the printable permit shows the appendix-form table and its QR code
//    loads; print media hides the shell; the pages read in English too.
// 3. The approval queue lists permits waiting for approval with the posts
//    still missing; a worker who holds no post gets no approve button.
import fs from 'node:fs';
import path from 'node:path';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const WELDER_CERT = 'T320102198503150017';
// as everyone but the register's keepers see it: an identity-card number inside
const WELDER_CERT_SHOWN = 'T320***********0017';
const HOLDERS = { workshop_head: 'workshop', safety_dept: 'safety', plant_manager: 'manager', chief_engineer: 'manager' };

export async function run(hz) {
  const { test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE, ART, RUN } = hz;

  function password(user) {
    const file = process.env.WS_DEMO_ACCOUNTS;
    if (!file || !fs.existsSync(file)) return null;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(\S+)\s+(\S+)/.exec(line);
      if (m && m[1] === user) return m[2];
    }
    return null;
  }

  async function as(w, user, opts) {
    const pw = password(user);
    assert(pw, `needs the demo account "${user}" (WS_DEMO_ACCOUNTS)`);
    const page = await w.newPage(opts);
    await login(page, user, pw);
    await page.locator('#home-scope').waitFor();
    return page;
  }

  async function post(page, p, body, type) {
    return page.evaluate(async ([u, b, ty]) => {
      const r = await fetch('/api/v1' + u, { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': ty || 'application/json' }, body: ty ? b : JSON.stringify(b) });
      return { status: r.status, body: await r.json().catch(() => null) };
    }, [p, body, type]);
  }

  async function pickOption(page, sel, label) {
    const value = await page.locator(sel).evaluate((s, l) => {
      const o = [...s.options].find((x) => x.textContent.includes(l));
      return o ? o.value : null;
    }, label);
    assert(value !== null, `no option "${label}" in ${sel}`);
    await page.locator(sel).selectOption(value);
  }

  // Search a person in a picker and wait until the select holds them.
  async function pickPerson(page, fieldName, name) {
    const f = page.locator(`[data-field="${fieldName}"]`);
    await f.locator('input[type=search]').fill(name);
    await page.waitForFunction(([fn, n]) => {
      const s = document.querySelector(`[data-field="${fn}"] select`);
      return s && s.value && s.options[s.selectedIndex].textContent.includes(n);
    }, [fieldName, name]);
  }

  async function sign(page, sel) {
    await page.locator(sel).scrollIntoViewIfNeeded();
    const box = await page.locator(sel).boundingBox();
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.6);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.15 + i * 0.05), box.y + box.height * (0.6 - 0.3 * Math.sin(i)));
    await page.mouse.up();
    assert(await page.locator(sel).getAttribute('data-drawn') === '1', 'the signature was not drawn');
  }

  async function act(page, action, fill) {
    await page.locator('#pm-act-' + action).click();
    const form = page.locator('#pm-form-' + action);
    await form.waitFor();
    if (fill) await fill(form);
    await form.locator('#pm-form-submit').click();
    return form;
  }

  let permitId = 0;

  await test('permits: on a phone a hot-work permit fails the pre-check, is fixed, approved, checked in and suspended by its gas detector', async (w) => {
    const page = await as(w, 'applicant', PHONE);
    const admin = await loginAdmin(w);
    await page.goto(BASE + '/permits/new');
    await page.locator('#permit-form').waitFor();
    await missingStrings(page);
    await page.locator('#permit-form select[name=type]').selectOption('hot_work');
    await page.locator('#permit-form select[name=grade]').selectOption('2');
    await pickOption(page, '#permit-form select[name=unit_id]', '甲类储罐网格');
    await page.locator('#permit-form input[name=title]').fill('T-101 罐根法兰补焊 ' + RUN);
    await page.locator('#permit-form input[name=location]').fill('罐区 T-101 罐根');
    await pickPerson(page, 'workers[0].person_id', '吕军');
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-field="workers[0].cert"] select');
      return s && s.dataset.loaded && s.options.length > 1;
    });
    assert(await page.locator('[data-field="workers[0].cert"] select').inputValue() === '', 'a certificate was chosen by itself');
    await pickPerson(page, 'guardian_person_id', '魏东');
    const gt = page.locator('#pm-points input[data-tag="GT-101"]');
    await gt.waitFor();
    await gt.check();
    await noHorizontalScroll(page);

    // Save and pre-check: the certificate rule fails, with its clause and evidence.
    await page.locator('#pm-save').click();
    const cert = page.locator('#pm-precheck .pm-verdict[data-rule="certificate"]');
    await cert.waitFor();
    assert(await cert.getAttribute('data-result') === 'fail', 'the certificate rule does not fail without the certificate');
    const certText = await cert.innerText();
    assert(certText.includes('吕军') && certText.includes('GB 30871'), 'the verdict lacks the evidence or the clause: ' + certText);
    assert(await page.locator('#pm-precheck-summary.notice-error').count() === 1, 'the pre-check does not say the application fails');
    await page.waitForURL(/\/permits\/\d+\/edit$/);
    permitId = Number(/\/permits\/(\d+)\/edit/.exec(page.url())[1]);
    let srv = (await apiGet(page, '/permits/' + permitId)).body;
    assert(srv.state === 'draft' && srv.record.gas_points.length === 1, 'the server has no draft with GT-101 linked');
    await missingStrings(page);
    await page.screenshot({ path: path.join(ART, 'permit-precheck-phone.png'), fullPage: true });

    // Submitting as it is is refused by the rule, and the page shows the verdicts.
    await page.locator('#pm-submit').click();
    const refusal = page.locator('#pm-submit-form .pm-refusal[data-field="certificate"]');
    await refusal.waitFor();
    assert(await refusal.locator('.pm-verdict.pm-refused[data-rule="certificate"]').count() === 1, 'the refusal does not mark the failing rule');

    // Fix: pick his certificate, save, pre-check again.
    const regs = (await apiGet(page, '/certificates?limit=200')).body.items || [];
    assert(regs.length && regs.every((c) => c.number.includes('*')) && !JSON.stringify(regs).includes(WELDER_CERT),
      'the applicant reads whole certificate numbers in the register');
    await pickOption(page, '[data-field="workers[0].cert"] select', WELDER_CERT_SHOWN);
    await page.locator('#pm-save').click();
    await page.locator('#pm-precheck[data-application-ok="1"] .pm-verdict[data-rule="certificate"][data-result="pass"]').waitFor();
    const pre = (await apiGet(page, `/permits/${permitId}/precheck`)).body;
    const chain = pre.required_posts;
    // Grade 2 is the workshop's alone; at night, on a rest day or a holiday
    // in the planned window it is upgraded and the chain grows (the clock
    // decides, so both are accepted, each with its own chain).
    assert(chain.length >= (pre.effective_grade === '2' ? 1 : 2), 'the chain is too short for grade ' + pre.effective_grade + ': ' + JSON.stringify(chain));
    assert(await page.locator('#pm-chain li').count() === chain.length, 'the page does not show the approval chain');
    if (pre.effective_grade !== '2') {
      const eg = await page.locator('#pm-effective-grade').innerText();
      assert(eg.includes('升级原因'), 'the upgrade is not explained: ' + eg);
    }

    // Sign and submit.
    await sign(page, '#pm-sign-canvas');
    await page.locator('#pm-submit').click();
    await page.waitForURL(new RegExp('/permits/' + permitId + '$'));
    await page.locator('#permit-page[data-state="applied"]').waitFor();
    srv = (await apiGet(page, '/permits/' + permitId)).body;
    assert((srv.record.signatures || []).some((s) => s.role === 'applicant'), 'the applicant\'s signature was not stored');
    assert(await page.locator('#pm-signatures img').count() === 1, 'the signature is not shown');

    // Measures: the checklist, all confirmed; then a gas test.
    await act(page, 'confirm_measures', async (form) => {
      await form.locator('#pm-form-submit').click();
      await form.locator('.form-error:not(.hidden)').waitFor();
      await form.locator('#pm-m-all').click();
    });
    await page.locator('#permit-page[data-state="identified"]').waitFor();
    await act(page, 'gas', async (form) => {
      await form.locator('input[name=value]').fill('1.5');
      await form.locator('input[name=substance]').fill('甲苯');
    });
    await page.locator('#permit-page[data-state="tested"]').waitFor();
    assert((await page.locator('#pm-gas').innerText()).includes('1.5'), 'the gas test is not listed');
    await noHorizontalScroll(page);
    await page.screenshot({ path: path.join(ART, 'permit-phone.png'), fullPage: true });

    // Approvals: whoever holds each post of the chain; the first from the
    // queue when more follow, the last on the permit's page with a signature
    // (the printable permit shows it).
    for (let i = 0; i < chain.length; i++) {
      const code = String(chain[i]).split('|').find((c) => HOLDERS[c]);
      assert(code, 'no demo account holds ' + chain[i]);
      const ap = await as(w, HOLDERS[code]);
      if (i === 0 && chain.length > 1) {
        await ap.goto(BASE + '/permits/approvals');
        const card = ap.locator(`#pm-queue .pm-card[data-permit-id="${permitId}"]`);
        await card.waitFor();
        assert(await card.locator('.pm-queue-post').count() === chain.length, 'the queue does not list every missing post');
        await card.locator(`.pm-queue-approve[data-post="${code}"]`).click();
        await ap.waitForFunction(([id, n]) => {
          const c = document.querySelector(`#pm-queue .pm-card[data-permit-id="${id}"]`);
          return !c || c.querySelectorAll('.pm-queue-post').length === n;
        }, [permitId, chain.length - 1]);
      } else {
        await ap.goto(BASE + '/permits/' + permitId);
        await act(ap, 'approve', async (form) => {
          assert(await form.locator('select[name=post]').inputValue() === code, 'the post the approver holds is not chosen');
          await form.locator('textarea[name=opinion]').fill('同意');
          await sign(ap, '#pm-sign-approve-canvas');
        });
        await ap.locator('#pm-form-approve').waitFor({ state: 'detached' });
      }
      await ap.context().close();
    }
    srv = (await apiGet(page, '/permits/' + permitId)).body;
    assert(srv.state === 'approved', 'the permit is not approved after the chain: ' + srv.state);
    assert(srv.record.approvals.length === chain.length, 'approvals: ' + srv.record.approvals.length);

    // The guardian checks in on his phone, GT-101 reading normal just before.
    const g = await as(w, 'guardian', PHONE);
    await g.goto(BASE + '/permits/' + permitId);
    await g.locator('#permit-page[data-state="approved"]').waitFor();
    let r = await post(admin, '/ingest', 'GT-101 2\n', 'text/plain');
    assert(r.status === 200 && r.body.accepted === 1, 'the normal reading was not accepted: ' + JSON.stringify(r));
    await act(g, 'check_in');
    const outcome = await Promise.race([
      g.locator('#permit-page[data-state="active"]').waitFor().then(() => 'active'),
      g.locator('#pm-form-check_in .pm-refusal').waitFor().then(() => 'refused'),
    ]);
    if (outcome === 'refused') {
      // Hot work already running in the same grid: refused by name (SIMOPS).
      const ref = g.locator('#pm-form-check_in .pm-refusal');
      assert(await ref.getAttribute('data-field') === 'conflict', 'check-in refused by ' + await ref.getAttribute('data-field') + ': ' + await ref.innerText());
      const blocking = (await apiGet(g, `/permits/${permitId}/precheck`)).body.conflicts
        .filter((c) => !c.resolved && ['active', 'suspended'].includes(c.state));
      assert(blocking.length, 'refused as a conflict, but the pre-check lists no running permit');
      assert((await ref.innerText()).includes(blocking[0].code), 'the refusal does not name ' + blocking[0].code);
      await g.keyboard.press('Escape');
      // Those works end: closed from their pages by the applicant.
      for (const c of blocking) {
        await page.goto(BASE + '/permits/' + c.permit_id);
        await act(page, 'close', async (form) => form.locator('textarea[name=note]').fill('作业完毕，现场清理 ' + RUN));
        await page.locator('#permit-page[data-state="closed"]').waitFor();
      }
      r = await post(admin, '/ingest', 'GT-101 2\n', 'text/plain');
      assert(r.status === 200, 'the normal reading was not accepted');
      await act(g, 'check_in');
      await g.locator('#permit-page[data-state="active"]').waitFor();
    }
    srv = (await apiGet(g, '/permits/' + permitId)).body;
    assert(srv.state === 'active' && srv.record.guardian_checkin_at, 'the server does not have it active with the check-in');

    // GT-101 crosses the permit's pass limit: the timer suspends it.
    r = await post(admin, '/ingest', 'GT-101 12\n', 'text/plain');
    assert(r.status === 200 && r.body.accepted === 1, 'the reading of 12 was not accepted');
    await g.locator('#permit-page[data-state="suspended"]').waitFor({ timeout: 30000 });
    assert((await g.locator('#permit-page .pm-state').first().innerText()).includes('已暂停'), 'the page does not say 已暂停');
    assert((await g.locator('#pm-reason').innerText()).includes('GT-101'), 'the reason does not name GT-101');
    const alarms = (await apiGet(admin, '/alarms?state=open&limit=200')).body.items || [];
    const al = alarms.filter((a) => a.level === 3 && a.source_id === permitId && String(a.title).includes(srv.code));
    assert(al.length === 1, 'want one open 紧急 alarm for the permit, got ' + al.length);
    await g.screenshot({ path: path.join(ART, 'permit-suspended-phone.png'), fullPage: true });
    await missingStrings(g);
    await post(admin, '/ingest', 'GT-101 2\n', 'text/plain');
  });

  await test('permits: the board counts down, the printable permit has the form and its QR code, in both languages', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/permits/board');
    await page.locator('#pm-board-stamp:not(:empty)').waitFor();
    const want = ((await apiGet(page, '/permits?state=active&limit=200')).body.items.length) +
      ((await apiGet(page, '/permits?state=suspended&limit=200')).body.items.length);
    assert(want > 0, 'the demo has no active or suspended permit');
    assert(await page.locator('.pm-tile').count() === want, 'the board does not show every active and suspended permit');
    const tile = page.locator('.pm-tile').first();
    const cd = tile.locator('.pm-countdown[data-kind="end"]');
    const a = await cd.innerText();
    await page.waitForTimeout(1500);
    const b = await cd.innerText();
    assert(a !== b && /距结束/.test(b), `the countdown does not run: "${a}" then "${b}"`);
    if (permitId) assert(await page.locator(`.pm-tile-suspended[data-permit-id="${permitId}"]`).count() === 1, 'the suspended permit is not red on the board');
    await missingStrings(page);

    // The printable permit of the phone test (or any permit).
    const id = permitId || (await apiGet(page, '/permits?limit=1')).body.items[0].id;
    const p = (await apiGet(page, '/permits/' + id)).body;
    await page.goto(BASE + `/permits/${id}/print`);
    await page.locator('#pm-print').waitFor();
    await page.waitForFunction(() => { const i = document.getElementById('pm-print-qr'); return i && i.complete && i.naturalWidth > 0; });
    const text = await page.locator('#pm-print').innerText();
    for (const s of ['作业票编号', p.code, '作业内容', '地点', '时间', '作业人及证号', '监护人', '气体分析', '安全措施', '审批', '完工验收']) {
      assert(text.includes(s), 'the printable permit lacks ' + s);
    }
    if (permitId) assert(text.includes(WELDER_CERT_SHOWN) && text.includes('1.5'), 'the printable permit lacks the certificate or the gas test');
    assert(!text.includes(WELDER_CERT) && !JSON.stringify(p).includes(WELDER_CERT), 'the permit shows a whole certificate number');
    // the register's keeper (the admin here) reads them whole
    assert(JSON.stringify((await apiGet(page, '/certificates?limit=200')).body).includes(WELDER_CERT), 'the admin cannot read the register whole');
    await page.emulateMedia({ media: 'print' });
    assert(!(await page.locator('.topbar').isVisible()) && !(await page.locator('#pm-print-btn').isVisible()), 'print media still shows the shell');
    assert(await page.locator('#pm-print-qr').isVisible() && await page.locator('#pm-print h1').isVisible(), 'print media hides the title or the QR code');
    if (permitId) assert(await page.locator('#pm-print tr[data-post] img.pm-print-sig').count() >= 1, 'the approver\'s signature is not printed');
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: path.join(ART, 'permit-print.png'), fullPage: true });

    // English.
    await page.locator('#lang-toggle').click();
    await page.locator('#pm-print').waitFor();
    assert((await page.locator('#pm-print').innerText()).includes('Permit no.'), 'the printable permit is not in English');
    await missingStrings(page);
    for (const u of ['/permits', '/permits/board', '/permits/approvals', '/permits/' + id, '/permits/new']) {
      await page.goto(BASE + u);
      await page.locator('#main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await missingStrings(page);
    }
    await page.locator('#lang-toggle').click();
  });

  await test('permits: a grid leader reads a permit of the area above the grid (属地) and is offered no action', async (w) => {
    const gl = await as(w, 'gridleader');
    const me = (await apiGet(gl, '/me')).body;
    const admin = await loginAdmin(w);
    const grid = (await apiGet(admin, '/units/' + me.scope.id)).body;
    const area = (await apiGet(admin, '/units/' + grid.parent_id)).body;
    assert(area.kind === 'area', 'the grid leader\'s grid is not in an area: ' + area.kind);
    const person = (await apiGet(admin, '/people?unit_id=' + area.id + '&limit=1')).body.items[0];
    const now = Date.now();
    const r = await post(admin, '/permits', { type: 'excavation', unit_id: area.id, title: '属地动土 ' + RUN, location: '合成车间东侧',
      planned_start: new Date(now + 3600e3).toISOString(), planned_end: new Date(now + 3 * 3600e3).toISOString(),
      applicant_person_id: person.id });
    assert(r.status === 201, 'the permit was not made: ' + r.status + ' ' + JSON.stringify(r.body));
    await gl.goto(BASE + '/permits/' + r.body.id);
    await gl.locator('#pm-code').waitFor();
    await gl.locator('#pm-timeline').waitFor();
    assert(await gl.locator('#pm-actions').count() === 0, 'a read-only permit offers actions');
    assert(await gl.locator('#pm-edit').count() === 0, 'a read-only permit offers to edit');
    await missingStrings(gl);
    // the applicant's page of the same permit still has its actions
    const app = await as(w, 'applicant');
    await app.goto(BASE + '/permits/' + r.body.id);
    await app.locator('#pm-actions').waitFor();
  });

  await test('permits: the approval queue lists the missing posts; a worker without a post gets no approve button', async (w) => {
    const so = await as(w, 'safety');
    await so.goto(BASE + '/permits/approvals');
    await so.locator('#pm-queue .pm-card, #pm-queue .empty').first().waitFor();
    const tested = (await apiGet(so, '/permits?state=tested&limit=200')).body.items;
    const cards = so.locator('#pm-queue .pm-card');
    assert(await cards.count() === tested.length, `the queue shows ${await cards.count()} permits, the server has ${tested.length} tested`);
    for (const p of tested) {
      const full = (await apiGet(so, '/permits/' + p.id)).body;
      const done = (full.record.approvals || []).map((x) => x.post);
      const open = full.verdicts.required_posts.filter((e) => !String(e).split('|').some((c) => done.includes(c)));
      assert(await so.locator(`#pm-queue .pm-card[data-permit-id="${p.id}"] .pm-queue-post`).count() === open.length,
        'the queue does not list the missing posts of ' + p.code);
    }
    await missingStrings(so);
    const wk = await as(w, 'applicant', PHONE);
    await wk.goto(BASE + '/permits/approvals');
    await wk.locator('#pm-queue .pm-card, #pm-queue .empty').first().waitFor();
    assert(await wk.locator('.pm-queue-approve').count() === 0, 'a worker without a post is offered approval');
    await noHorizontalScroll(wk);
  });
}
