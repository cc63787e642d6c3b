// voice.mjs — browser test of the anonymous report pages (issue 6 items 5 and
// 9; pages/report.js, voice.js). Run from run.mjs with its harness, on the
// demo plant; needs WS_DEMO_ACCOUNTS for the safety officer (safety).
//
// On a 390×844 phone, with no sign-in, a reporter sends a report about
// 合成车间 with a photo (tests/data/photo-gps.jpg, whose EXIF holds GPS and a
// serial number), gets the receipt code once, and no cookie is set. The
// safety officer finds it in the inbox on his phone, sees the photo and
// answers. The reporter opens /report/follow, types the code in lower case,
// reads the answer (from "the safety office", not a name) and rates it 5.
// The pages fit the phone and every string is in the dictionary.
import fs from 'node:fs';
import path from 'node:path';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function run(hz) {
  const { test, assert, login, missingStrings, noHorizontalScroll, BASE, ROOT } = hz;

  function password(user) {
    const file = process.env.WS_DEMO_ACCOUNTS;
    if (!file || !fs.existsSync(file)) return null;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(\S+)\s+(\S+)/.exec(line);
      if (m && m[1] === user) return m[2];
    }
    return null;
  }

  await test('voice: an anonymous report answered by the safety officer and read back with the receipt code (phone)', async (w) => {
    const uniq = '回流泵机封滴漏 ' + Date.now();
    const rp = await w.newPage(PHONE);
    await rp.goto(BASE + '/report');
    await rp.locator('#report-form').waitFor();
    await missingStrings(rp);
    await noHorizontalScroll(rp);
    await rp.selectOption('#report-unit', { label: '合成车间' });
    await rp.selectOption('#report-category', 'equipment');
    await rp.fill('#report-text', uniq);
    await rp.setInputFiles('#report-photos', path.join(ROOT, 'tests/data/photo-gps.jpg'));
    await rp.click('#report-submit');
    await rp.locator('#report-code').waitFor({ timeout: 20000 });
    const code = (await rp.locator('#report-code').innerText()).trim();
    assert(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/.test(code), 'no receipt code shown: ' + code);
    await noHorizontalScroll(rp);
    const cookies = await rp.context().cookies();
    assert(cookies.length === 0, 'the report page set a cookie: ' + cookies.map((c) => c.name).join(','));

    const pw = password('safety');
    assert(pw, 'needs the demo account "safety" (WS_DEMO_ACCOUNTS)');
    const sp = await w.newPage(PHONE);
    await login(sp, 'safety', pw);
    await sp.locator('#home-scope').waitFor();
    await sp.goto(BASE + '/voice');
    const row = sp.locator('#voice-list .vr-row', { hasText: uniq });
    await row.waitFor();
    // a fresh report has most of its 72 hours left to be answered
    const left = (await row.locator('.vr-left').innerText()).trim();
    assert(/^7[01] 小时内须答复$/.test(left), 'the time left to answer: ' + left);
    await row.click();
    await sp.locator('#voice-report').waitFor();
    assert((await sp.locator('#voice-text').innerText()).includes(uniq), 'the report text is not shown');
    assert(await sp.locator('.vr-thumb').count() === 1, 'the photo is not shown to the staff');
    await missingStrings(sp);
    await noHorizontalScroll(sp);
    const answer = '已安排设备部今天更换机封，谢谢反映。';
    await sp.fill('#voice-reply-text', answer);
    await sp.click('#voice-reply');
    await sp.locator('#voice-messages .vr-msg-staff', { hasText: answer }).waitFor();

    await rp.goto(BASE + '/report/follow');
    await rp.locator('#follow-form').waitFor();
    await rp.fill('#follow-code', code.toLowerCase());
    await rp.click('#follow-submit');
    await rp.locator('#follow-report').waitFor();
    assert(await rp.locator('#follow-state').getAttribute('data-state') === 'answered', 'the report is not shown as answered');
    const staff = rp.locator('#follow-messages .vr-msg-staff');
    assert((await staff.innerText()).includes(answer), 'the answer is not shown to the reporter');
    assert((await staff.innerText()).includes('安全管理人员'), 'the answer is not signed by the safety office');
    await rp.click('#follow-rate button[data-rating="5"]');
    await rp.locator('#follow-rating').waitFor();
    assert((await rp.locator('#follow-rating').innerText()).includes('5'), 'the rating is not shown');
    await missingStrings(rp);
    await noHorizontalScroll(rp);
  });

  await test('voice: my points, a redemption and the leaderboards; the inbox filters (phone, both languages)', async (w) => {
    const pw = password('worker');
    assert(pw, 'needs the demo account "worker" (WS_DEMO_ACCOUNTS)');
    const p = await w.newPage(PHONE);
    await login(p, 'worker', pw);
    await p.locator('#home-scope').waitFor();
    await p.goto(BASE + '/points');
    await p.locator('#points-balance').waitFor();
    const before = Number(await p.locator('#points-balance').getAttribute('data-balance'));
    assert(before >= 20, 'the demo worker has no points: ' + before);
    const btn = p.locator('#points-items button:not([disabled])').first();
    await btn.click();
    await p.waitForFunction((b) => Number(document.querySelector('#points-balance')?.dataset.balance) < b, before);
    assert(await p.locator('#points-board li').count() > 0, 'the leaderboard is empty');
    await missingStrings(p);
    await noHorizontalScroll(p);
    await p.click('#lang-toggle');
    await p.locator('#points-balance').waitFor();
    assert((await p.locator('main').innerText()).includes('Leaderboard'), 'the points page does not switch to English');
    await missingStrings(p);
    await p.click('#lang-toggle');
    const sp = await w.newPage(PHONE);
    await login(sp, 'safety', password('safety'));
    await sp.locator('#home-scope').waitFor();
    await sp.goto(BASE + '/voice?state=overdue');
    await sp.locator('#voice-list .vr-row').first().waitFor();
    // an overdue report says how late it is
    assert(/^已超时 \d+ 小时$/.test((await sp.locator('#voice-list .vr-row .vr-left').first().innerText()).trim()), 'an overdue report does not say how late');
    await missingStrings(sp);
    await noHorizontalScroll(sp);
  });
}
