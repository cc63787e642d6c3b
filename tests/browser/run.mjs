// run.mjs — browser tests of the worksafe web shell in headless Chromium
// (Debian's chromium-headless-shell) driven by playwright-core. The one place JS is
// used for tests (DESIGN.md).
//
// Needs a running server with the demo plant (`worksafe demo`):
//   WS_BASE_URL        e.g. http://127.0.0.1:18080
//   WS_ADMIN_PASSWORD  the demo admin's password
//   WS_ADMIN_USER      optional, default "admin"
//   WS_BROWSER_ONLY    optional regular expression: run only the tests whose name matches
// Prints "ok - name" or "not ok - name: reason" per test, ends with
// "browser: N passed, M failed" and exits non-zero on any failure. On failure
// the page is saved to build/test/browser-artifacts/<test>.png; the phone
// screenshot of the home page is always saved there (home-phone.png).
//
// Every page of every test is watched: an uncaught exception, a console error
// (Content-Security-Policy violations are console errors), or a failed load of
// a page asset fails the test. The one console error that is expected is
// Chromium's own "Failed to load resource" line for an API call answered with
// the 4xx the test provoked (a wrong password, a bad import), which the page
// handles and shows; those are allowed for /api/ URLs only.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ART = path.join(ROOT, 'build/test/browser-artifacts');
const BASE = (process.env.WS_BASE_URL || '').replace(/\/+$/, '');
const ADMIN_USER = process.env.WS_ADMIN_USER || 'admin';
const ADMIN_PW = process.env.WS_ADMIN_PASSWORD || '';
const RUN = Date.now().toString(36).slice(-5); // makes names unique per run
const TIMEOUT = 15000;

const PHONE = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };

let browser;
const results = [];
// A promise rejected with nobody to catch it (a route handler that outlived
// its page, say) would end node and lose every result after it: it fails the
// test running when it comes, or the next one, and the run goes on.
const stray = [];
process.on('unhandledRejection', (e) => stray.push('unhandled rejection: ' + String((e && e.message) || e).split('\n')[0]));

// ------------------------------------------------------------------ harness

class Watch {
  constructor(name) { this.name = name; this.errors = []; this.pages = []; this.expected = []; }
  // Requests the test itself makes fail (a weak signal): their failures are not errors.
  expectFailures(re) { this.expected.push(re); }
  attach(page) {
    this.pages.push(page);
    page.on('pageerror', (e) => this.errors.push('uncaught: ' + e.message));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const url = (m.location() && m.location().url) || '';
      if (this.expected.some((re) => re.test(url))) return;
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) &&
          new URL(url, BASE).pathname.startsWith('/api/')) return;
      this.errors.push('console: ' + m.text() + (url ? ' (' + url + ')' : ''));
    });
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.origin === BASE && !u.pathname.startsWith('/api/') && r.status() >= 400) {
        this.errors.push('asset ' + u.pathname + ' answered ' + r.status());
      }
    });
    page.on('requestfailed', (r) => {
      const u = new URL(r.url());
      if (this.expected.some((re) => re.test(r.url()))) return;
      if (u.origin !== BASE) this.errors.push('request to another origin: ' + r.url());
      else if (!/ERR_ABORTED/.test(r.failure() && r.failure().errorText)) this.errors.push('request failed: ' + r.url());
    });
    return page;
  }
  async newPage(opts) {
    // The service worker is kept out unless a test asks for it ({ serviceWorkers:
    // 'allow' }): in every fresh context it precaches the shell and fetches
    // every module a second time, which was most of the browser's work.
    const ctx = await browser.newContext(Object.assign({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', serviceWorkers: 'block' },
      DESKTOP, opts || {}));
    ctx.setDefaultTimeout(TIMEOUT);
    if (CLOCK_OFFSET) await ctx.addInitScript(shiftDate, CLOCK_OFFSET); // the server's time (below)
    return this.attach(await ctx.newPage());
  }
}

const ONLY = process.env.WS_BROWSER_ONLY ? new RegExp(process.env.WS_BROWSER_ONLY) : null;
// scripts/browser-at.sh runs the server at another time (faketime), the real
// time less WS_CLOCK_OFFSET_MS: this process and the pages read the same.
const CLOCK_OFFSET = Number(process.env.WS_CLOCK_OFFSET_MS || 0);
function shiftDate(off) { // here and, as an init script, in every page
  const RealDate = Date, realNow = Date.now;
  globalThis.Date = class extends RealDate {
    constructor(...a) { if (a.length) super(...a); else super(realNow() - off); }
    static now() { return realNow() - off; }
  };
}
if (CLOCK_OFFSET) shiftDate(CLOCK_OFFSET);

async function test(name, fn) {
  if (ONLY && !ONLY.test(name)) return;
  const w = new Watch(name);
  const t0 = Date.now();
  let err = null;
  try {
    await fn(w);
  } catch (e) {
    err = e;
  }
  if (!err && w.errors.length) err = new Error(w.errors.join('; '));
  if (!err && stray.length) err = new Error(stray.splice(0).join('; '));
  if (err) {
    const lines = String((err && err.message) || err).split('\n');
    console.log(`not ok - ${name}: ${lines[0]}`);
    results.push(false);
    // CI keeps only this log: what was awaited, from which line, and on what page.
    const waited = lines.find((l) => /waiting for /.test(l));
    if (waited) console.log('#   ' + waited.replace(/\x1b\[[0-9;]*m/g, '').trim());
    const at = String((err && err.stack) || '').split('\n').find((l) => /tests\/browser\/(?!run\.mjs)/.test(l));
    if (at) console.log('#   ' + at.trim());
    const page = w.pages[w.pages.length - 1];
    if (page && !page.isClosed()) {
      const seen = await page.evaluate(() => location.pathname + location.search + ' | ' +
        (document.querySelector('main') || document.body).innerText.replace(/\s+/g, ' ').slice(0, 400)).catch(() => '');
      if (seen) console.log('#   page: ' + seen);
      fs.mkdirSync(ART, { recursive: true });
      const file = path.join(ART, name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') + '.png');
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`#   screenshot: ${path.relative(ROOT, file)}`);
    }
  } else {
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    results.push(true);
  }
  for (const p of w.pages) await p.context().close().catch(() => {});
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

// A small RGB PNG (a grey plan with darker blocks) for the map test, made
// here with zlib so no image file is needed.
function makePng(wd, ht) {
  const crcT = new Int32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c; });
  const crc = (b) => { let c = -1; for (const x of b) c = crcT[(c ^ x) & 255] ^ (c >>> 8); return (c ^ -1) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(wd, 0); ihdr.writeUInt32BE(ht, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((wd * 3 + 1) * ht);
  for (let y = 0; y < ht; y++) for (let x = 0; x < wd; x++) {
    const v = ((x % 100) < 80 && (y % 100) < 80) ? 170 : 235;
    raw.fill(v, y * (wd * 3 + 1) + 1 + x * 3, y * (wd * 3 + 1) + 4 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function text(page, sel) { return (await page.locator(sel).first().innerText()).trim(); }

async function login(page, user, pw) {
  await page.goto(BASE + '/login');
  await page.locator('#login-form input[name=username]').fill(user);
  await page.locator('#login-form input[name=password]').fill(pw);
  await page.locator('#login-submit').click();
}

async function loginAdmin(w, opts) {
  const page = await w.newPage(opts);
  await login(page, ADMIN_USER, ADMIN_PW);
  await page.locator('#home-scope').waitFor();
  return page;
}

// A same-origin API call from inside the page, riding on its session cookie.
async function apiGet(page, p) {
  return page.evaluate(async (u) => {
    const r = await fetch('/api/v1' + u, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, p);
}

async function allItems(page, p) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const sep = p.includes('?') ? '&' : '?';
    const r = await apiGet(page, p + sep + 'limit=200' + (cursor !== null ? '&cursor=' + encodeURIComponent(cursor) : ''));
    assert(r.status === 200, `GET ${p} answered ${r.status}`);
    out.push(...r.body.items);
    if (r.body.next_cursor === null || r.body.next_cursor === undefined || !r.body.items.length) break;
    cursor = r.body.next_cursor;
  }
  return out;
}

// Choose the first <option> whose text contains label.
async function selectByText(page, sel, label) {
  const value = await page.locator(sel).evaluate((s, l) => {
    const o = [...s.options].find((x) => x.textContent.includes(l));
    return o ? o.value : null;
  }, label);
  assert(value !== null, `no option "${label}" in ${sel}`);
  await page.locator(sel).selectOption(value);
}

async function noHorizontalScroll(page) {
  const m = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
    bw: document.body.scrollWidth,
  }));
  assert(m.sw <= m.cw && m.bw <= m.cw, `page is wider than the screen: scrollWidth ${m.sw}/${m.bw} > ${m.cw}`);
}

async function missingStrings(page) {
  const body = await page.locator('body').innerText();
  assert(!body.includes('⟦'), 'a string is missing from the dictionary: ' + (body.match(/⟦[^⟧]*⟧/) || [''])[0]);
  // nor a JavaScript value printed as text (append(null), a missing field)
  const junk = body.match(/(^|\n)\s*(null|undefined|NaN)\s*(\n|$)|[\u3000-\u9fff]\s*(null|NaN)\s*[\u3000-\u9fff]|\[object \w+\]|\bundefined\b/);
  assert(!junk, 'the page shows a JavaScript value as text: ' + JSON.stringify(junk && junk[0]));
}

// -------------------------------------------------------------------- tests

async function main() {
  if (!BASE || !ADMIN_PW) {
    console.log('not ok - setup: WS_BASE_URL and WS_ADMIN_PASSWORD must be set');
    console.log('browser: 0 passed, 1 failed');
    process.exit(1);
  }
  // Screenshots of an earlier run would mislead: start clean.
  fs.rmSync(ART, { recursive: true, force: true });
  // No host but the server under test resolves: the plant network has no
  // Internet, and a page that reaches out fails its test (requestfailed).
  browser = await chromium.launch({
    // Debian's chromium-headless-shell: the same engine without the desktop
    // browser around it; the suite takes two thirds of the time it takes in
    // /usr/bin/chromium --headless (WS_CHROMIUM chooses another binary).
    executablePath: process.env.WS_CHROMIUM || '/usr/bin/chromium-headless-shell',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });

  await test('dictionary: every string in both Chinese and English', async () => {
    const { missingKeys } = await import(path.join(ROOT, 'web/i18n.js'));
    const m = missingKeys();
    assert(!m.en.length && !m.zh.length, `missing in en: ${m.en.join(', ')}; missing in zh: ${m.zh.join(', ')}`);
    // Every key the pages name literally is in the dictionary.
    const src = ['app.js', 'ui.js', 'session.js', ...fs.readdirSync(path.join(ROOT, 'web/pages')).map((f) => 'pages/' + f)]
      .map((f) => fs.readFileSync(path.join(ROOT, 'web', f), 'utf8')).join('\n');
    // the tables of each language: i18n-zh.js and the parts it spreads in (i18n-zh-*.js)
    const tablesOf = (l) => fs.readdirSync(path.join(ROOT, 'web')).filter((f) => new RegExp(`^i18n-${l}(-[a-z]+)?\\.js$`).test(f));
    const dict = [...tablesOf('zh'), ...tablesOf('en')].map((f) => fs.readFileSync(path.join(ROOT, 'web', f), 'utf8')).join('\n');
    const used = new Set([...src.matchAll(/\bt\('([a-z_]+\.[a-z_.0-9]*[a-z0-9_])'/g)].map((x) => x[1]));
    const absent = [...used].filter((k) => !dict.includes(`'${k}':`));
    assert(!absent.length, 'keys used but not defined: ' + absent.join(', '));
    // A key defined twice in one language: the later silently replaces the earlier.
    for (const l of ['zh', 'en']) {
      const keys = tablesOf(l).flatMap((f) => [...fs.readFileSync(path.join(ROOT, 'web', f), 'utf8').matchAll(/^\s*'([^']+)':/gm)].map((x) => x[1]));
      const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
      assert(tablesOf(l).includes(`i18n-${l}.js`), `no i18n-${l}.js among the tables`);
      assert(!twice.length, `the ${l} tables define twice: ${twice.join(', ')}`);
    }
  });

  await test('login with a wrong password shows the server error', async (w) => {
    const page = await w.newPage();
    await page.goto(BASE + '/');
    await page.waitForURL(/\/login/);
    await login(page, ADMIN_USER, ADMIN_PW + '-wrong');
    const err = page.locator('#login-form .form-error');
    await err.waitFor({ state: 'visible' });
    const said = (await err.innerText()).trim();
    assert(said.includes('用户名或密码错误'), 'the error does not say 用户名或密码错误: ' + said);
    assert(new URL(page.url()).pathname === '/login', 'left the login page after a wrong password');
    assert(await page.locator('#login-form input[name=password]').inputValue() === '', 'the wrong password stays in the field');
    const cookies = await page.context().cookies();
    assert(!cookies.some((c) => c.name === 'ws_session'), 'a session cookie was set for a wrong password');
  });

  await test('admin logs in and sees the home page with scope', async (w) => {
    const page = await loginAdmin(w);
    assert(new URL(page.url()).pathname === '/', 'not on the home page after login');
    assert(await text(page, '#home-username') === ADMIN_USER, 'username not shown');
    assert((await text(page, '#home-roles')).includes('系统管理员'), 'role not shown in words');
    const me = (await apiGet(page, '/me')).body;
    assert(await text(page, '#scope-name') === me.scope.name, `scope name "${await text(page, '#scope-name')}" != "${me.scope.name}"`);
    const crumbs = await page.locator('#scope-path li').allInnerTexts();
    assert(crumbs.length >= 1 && crumbs[crumbs.length - 1].includes(me.scope.name), 'scope path does not end with the scope: ' + crumbs.join(' › '));
    assert((await text(page, '#home-scope')).includes('园区'), 'the scope kind is not shown in Chinese');
    const tiles = await page.locator('#home-admin .tile').allInnerTexts();
    assert(tiles.length === 9, `admin should be offered 9 admin pages, got ${tiles.length}`);
    for (const w of ['组织单位', '部门', '岗位', '人员', '账号', '批量导入', '流程配置', '证据链', '巡查点与清单']) {
      assert(tiles.some((x) => x.includes(w)), `no home tile for ${w}`);
    }
    // The token is in the HttpOnly cookie only, never in script-visible storage.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'ws_session');
    assert(cookie && cookie.httpOnly, 'no HttpOnly ws_session cookie');
    const stored = await page.evaluate(() => JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage)));
    assert(!stored.includes(cookie.value), 'the session token is in web storage');
    assert(!(await page.evaluate(() => document.cookie)).includes('ws_session'), 'the session cookie is readable by scripts');
    await missingStrings(page);
  });

  await test('switch to English and back; the choice persists', async (w) => {
    const page = await loginAdmin(w);
    assert(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'default language is not zh-CN');
    await page.locator('#lang-toggle').click();
    await page.locator('#mainnav', { hasText: 'Units' }).waitFor();
    assert(await page.evaluate(() => document.documentElement.lang) === 'en', 'html lang is not en');
    assert((await text(page, '#home-roles')).includes('Administrator'), 'roles are not in English');
    await missingStrings(page);
    await page.reload();
    await page.locator('#home-scope').waitFor();
    assert((await text(page, '#mainnav')).includes('People'), 'English is not kept after a reload');
    await page.goto(BASE + '/admin/units');
    await page.locator('#unit-tree').waitFor();
    assert((await text(page, 'h1')) === 'Units', 'the units page is not in English');
    assert((await text(page, '#unit-tree')).includes('Enterprise'), 'unit kinds are not in English');
    await missingStrings(page);
    await page.locator('#lang-toggle').click();
    await page.locator('#mainnav', { hasText: '组织单位' }).waitFor();
    assert((await text(page, '#unit-tree')).includes('企业'), 'unit kinds are not back in Chinese');
    assert(await page.evaluate(() => localStorage.getItem('ws_lang')) === 'zh', 'the choice is not stored');
  });

  await test('units page shows the tree and creating a unit works', async (w) => {
    const page = await loginAdmin(w);
    await page.locator('#mainnav a[href="/admin/units"]').click();
    const tree = page.locator('#unit-tree');
    await tree.waitFor();
    const all = await allItems(page, '/units');
    const ent = all.find((u) => u.name === '华东精细化工有限公司');
    assert(ent, 'the demo enterprise is not in /api/v1/units');
    const site = all.find((u) => u.parent_id === ent.id && u.kind === 'site' && u.active);
    assert(site, 'the demo enterprise has no site');
    for (const kind of ['园区', '企业', '厂区', '网格']) assert((await tree.innerText()).includes(kind), `kind ${kind} not shown in the tree`);
    // Nesting: the site is drawn inside the enterprise's node.
    const siteNode = page.locator(`[data-unit-id="${ent.id}"] [data-unit-id="${site.id}"]`);
    assert(await siteNode.count() === 1, 'the site is not nested under its enterprise');
    // Create an area under the site.
    await siteNode.locator(':scope > .tree-row .tree-main').click();
    await siteNode.locator(':scope > .tree-row [data-action=add]').click();
    const form = page.locator('#unit-form');
    await form.waitFor();
    assert(await form.locator('select[name=kind]').inputValue() === 'area', 'a child of a site should default to an area');
    const name = '测试车间' + RUN;
    await form.locator('input[name=name]').fill(name);
    await form.locator('input[name=code]').fill('BT-' + RUN);
    // A duplicate code is refused with the message next to the code field.
    await form.locator('input[name=code]').fill(ent.code);
    await form.locator('button[type=submit]').click();
    await form.locator('.has-error .field-error, .form-error:not(.hidden)').first().waitFor();
    await form.locator('input[name=code]').fill('BT-' + RUN);
    await form.locator('button[type=submit]').click();
    await form.waitFor({ state: 'detached' });
    const created = page.locator(`[data-unit-id="${site.id}"] .tree-node`, { hasText: name });
    await created.first().waitFor();
    assert((await created.first().innerText()).includes('区域/车间'), 'the new unit does not show its kind in Chinese');
    const after = await allItems(page, '/units');
    const u = after.find((x) => x.code === 'BT-' + RUN);
    assert(u && u.parent_id === site.id && u.kind === 'area' && u.name === name, 'the server does not have the new unit under the site');
    // Edit its name, then deactivate it.
    const node = page.locator(`[data-unit-id="${u.id}"]`);
    await node.locator(':scope > .tree-row .tree-main').click();
    await node.locator(':scope > .tree-row [data-action=edit]').click();
    await form.locator('input[name=name]').fill(name + '改');
    await form.locator('button[type=submit]').click();
    await form.waitFor({ state: 'detached' });
    await page.locator(`[data-unit-id="${u.id}"] .tree-name`, { hasText: name + '改' }).waitFor();
    await page.locator(`[data-unit-id="${u.id}"]`).locator(':scope > .tree-row .tree-main').click();
    await page.locator(`[data-unit-id="${u.id}"]`).locator(':scope > .tree-row [data-action=deactivate]').click();
    await page.locator('dialog .btn-danger').click();
    await page.locator(`[data-unit-id="${u.id}"]`).waitFor({ state: 'detached' });
    const gone = (await apiGet(page, '/units/' + u.id)).body;
    assert(gone && gone.active === false, 'the unit is still active on the server');
    await missingStrings(page);
  });

  await test('people: create, transfer with history, deactivate', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/people');
    await page.locator('#people-list .row-card').first().waitFor();
    const units = await allItems(page, '/units');
    const area = units.find((u) => u.name === '合成车间' && u.active);
    const tank = units.find((u) => u.name === '罐区' && u.active);
    assert(area && tank, 'demo areas 合成车间 and 罐区 not found');
    await page.locator('#person-new').click();
    const form = page.locator('#person-form');
    await form.waitFor();
    // Missing name: the server's message appears next to the name field.
    await form.locator('select[name=unit_id]').selectOption(String(area.id));
    await form.locator('button[type=submit]').click();
    await form.locator('[data-field=name].has-error .field-error').waitFor();
    const name = '测试员' + RUN;
    await form.locator('input[name=name]').fill(name);
    await form.locator('input[name=employee_no]').fill('T' + RUN);
    await form.locator('input[name=phone]').fill('13900001234');
    await page.waitForFunction(() => document.querySelector('#person-form select[name=department_id]').options.length > 1);
    await selectByText(page, '#person-form select[name=department_id]', '安全');
    await form.locator('button[type=submit]').click();
    await form.waitFor({ state: 'detached' });
    // Find the person with the filter.
    await page.locator('#people-filter input[name=q]').fill(name);
    await page.locator('#people-filter button[type=submit]').click();
    const row = page.locator('#people-list .row-card', { hasText: name });
    await row.waitFor();
    // The new person is in the unfiltered list too: wait for the filtered one.
    const filtered = await page.waitForFunction(
        () => document.querySelectorAll('#people-list .row-card').length === 1, null, { timeout: 5000 })
        .then(() => true, () => false);
    assert(filtered, 'the filter shows more than the new person');
    assert((await row.innerText()).includes('合成车间'), 'the row does not show the unit');
    const pid = Number(await row.getAttribute('data-person-id'));
    // Transfer to 罐区.
    await row.locator('[data-action=transfer]').click();
    const tf = page.locator('#transfer-form');
    await tf.waitFor();
    await tf.locator('select[name=unit_id]').selectOption(String(tank.id));
    await tf.locator('input[name=reason]').fill('岗位调整');
    await tf.locator('button[type=submit]').click();
    await tf.waitFor({ state: 'detached' });
    await page.locator('#people-list .row-card', { hasText: '罐区' }).waitFor();
    const p = (await apiGet(page, '/people/' + pid)).body;
    assert(p.unit_id === tank.id, 'the server did not move the person');
    // The detail shows the move in the history.
    await page.locator('#people-list .row-card [data-action=detail]').click();
    const hist = page.locator('#transfer-history .timeline-item');
    await hist.first().waitFor();
    const h1 = await hist.first().innerText();
    assert(h1.includes('合成车间') && h1.includes('罐区') && h1.includes('岗位调整'), 'history does not show from, to and reason: ' + h1);
    await page.locator('dialog .dialog-head button').click();
    // Deactivate (leaves): gone from the active list, shown under 已离职.
    await page.locator('#people-list .row-card [data-action=deactivate]').click();
    const df = page.locator('#deactivate-form');
    await df.locator('input[name=reason]').fill('合同到期');
    await df.locator('button[type=submit]').click();
    await df.waitFor({ state: 'detached' });
    await page.locator('#people-list .empty').waitFor();
    await page.locator('#people-filter select[name=active]').selectOption('0');
    const left = page.locator('#people-list .row-card', { hasText: name });
    await left.waitFor();
    assert((await left.innerText()).includes('已离职'), 'the leaver is not marked 已离职');
    const q = (await apiGet(page, '/people/' + pid)).body;
    assert(q.active === false, 'the server still has the person active');
    await missingStrings(page);
  });

  await test('erase: an admin deactivates a person, then erases the personal data; the name shows as 已删除人员', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/people');
    await page.locator('#people-list .row-card').first().waitFor();
    const units = await allItems(page, '/units');
    const area = units.find((u) => u.name === '合成车间' && u.active);
    const name = '待删除' + RUN, no = 'E' + RUN, phone = '13900009876';
    const made = await page.evaluate(async (body) => {
      const r = await fetch('/api/v1/people', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    }, { unit_id: area.id, name, employee_no: no, phone });
    assert(made.status === 201, 'could not create the person: ' + made.status);
    const pid = made.body.id;
    await page.locator('#people-filter input[name=q]').fill(name);
    await page.locator('#people-filter button[type=submit]').click();
    const row = page.locator(`#people-list .row-card[data-person-id="${pid}"]`);
    await row.waitFor();
    // While the person is active, erasure is not offered.
    await row.locator('[data-action=detail]').click();
    await page.locator('#person-detail').waitFor();
    assert(await page.locator('#person-erase').count() === 0, 'erasure is offered for an active person');
    await page.locator('dialog .dialog-head button').click();
    // Deactivate.
    await row.locator('[data-action=deactivate]').click();
    const df = page.locator('#deactivate-form');
    await df.locator('input[name=reason]').fill('离职');
    await df.locator('button[type=submit]').click();
    await df.waitFor({ state: 'detached' });
    await page.locator('#people-filter select[name=active]').selectOption('0');
    await row.waitFor();
    await row.locator('[data-action=detail]').click();
    const erase = page.locator('#person-erase');
    await erase.waitFor();
    assert((await erase.innerText()).trim() === '删除个人信息', 'the erase button does not say 删除个人信息');
    await erase.click();
    const ef = page.locator('#erase-form');
    await ef.waitFor();
    const warn = await text(page, '#erase-warning');
    for (const s of ['不可撤销', '已删除人员', '墓碑']) assert(warn.includes(s), `the warning does not say ${s}: ${warn}`);
    // Without a reason nothing is sent.
    await ef.locator('button[type=submit]').click();
    await ef.locator('[data-field=reason].has-error').waitFor();
    await ef.locator('input[name=reason]').fill('本人申请删除个人信息');
    await ef.locator('button[type=submit]').click();
    await ef.locator('[data-field=confirm].has-error').waitFor();
    assert((await apiGet(page, '/people/' + pid)).body.name === name, 'the person was erased before the confirmation');
    await ef.locator('input[name=confirm]').check();
    await ef.locator('button[type=submit]').click();
    await ef.waitFor({ state: 'detached' });
    // The detail now shows the erased record.
    await page.locator('#person-erased').waitFor();
    assert((await text(page, '#person-name')) === '已删除人员', 'the detail does not show 已删除人员');
    assert(await page.locator('#person-erase').count() === 0, 'erasure is offered again');
    await page.locator('dialog .dialog-head button').click();
    const p = (await apiGet(page, '/people/' + pid)).body;
    assert(p.name === '已删除人员' && p.employee_no === null && !p.phone, 'the server still holds personal data: ' + JSON.stringify(p));
    // The list shows the record under its new name.
    await page.locator('#people-filter input[name=q]').fill('已删除人员');
    await page.locator('#people-filter button[type=submit]').click();
    const erased = page.locator(`#people-list .row-card[data-person-id="${pid}"]`);
    await erased.waitFor();
    assert((await erased.locator('.person-name').innerText()).trim() === '已删除人员', 'the list does not show 已删除人员');
    assert(!(await erased.innerText()).includes(no), 'the list still shows the employee number');
    await missingStrings(page);
  });

  await test('errors in Chinese: a duplicate unit code (409) and a bad phone (400) name the field', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/units');
    await page.locator('#unit-tree').waitFor();
    const all = await allItems(page, '/units');
    const ent = all.find((u) => u.name === '华东精细化工有限公司');
    const site = all.find((u) => u.parent_id === ent.id && u.kind === 'site' && u.active);
    const siteNode = page.locator(`[data-unit-id="${site.id}"]`);
    await siteNode.locator(':scope > .tree-row .tree-main').click();
    await siteNode.locator(':scope > .tree-row [data-action=add]').click();
    const form = page.locator('#unit-form');
    await form.locator('input[name=name]').fill('重复编码' + RUN);
    await form.locator('input[name=code]').fill(ent.code);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/units') && r.request().method() === 'POST');
    await form.locator('button[type=submit]').click();
    assert((await answer).status() === 409, 'a duplicate code was not answered 409');
    const slot = form.locator('[data-field=code].has-error .field-error');
    await slot.waitFor();
    const sentence = (await slot.locator('.err-text').innerText()).trim();
    assert(sentence === '「编码」与现有数据冲突，请修改后重试。', 'the 409 is not explained in Chinese with the field label: ' + sentence);
    const detail = (await slot.locator('.err-detail').innerText()).trim();
    assert(detail.includes(ent.code), 'the server\'s own message is not shown beneath: ' + detail);
    const big = await slot.locator('.err-text').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    const small = await slot.locator('.err-detail').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert(small < big, `the detail is not smaller than the sentence (${small} >= ${big})`);
    await page.locator('dialog .dialog-head button').click();

    await page.goto(BASE + '/admin/people');
    await page.locator('#people-list .row-card').first().waitFor();
    const area = all.find((u) => u.name === '合成车间' && u.active);
    await page.locator('#person-new').click();
    const pf = page.locator('#person-form');
    await pf.locator('select[name=unit_id]').selectOption(String(area.id));
    await pf.locator('input[name=name]').fill('坏号码' + RUN);
    await pf.locator('input[name=phone]').fill('call me');
    const answer2 = page.waitForResponse((r) => r.url().endsWith('/api/v1/people') && r.request().method() === 'POST');
    await pf.locator('button[type=submit]').click();
    assert((await answer2).status() === 400, 'a bad phone was not answered 400');
    const pslot = pf.locator('[data-field=phone].has-error .field-error');
    await pslot.waitFor();
    const ps = (await pslot.locator('.err-text').innerText()).trim();
    assert(/^「手机[^」]*」填写不正确，请按要求修改。$/.test(ps), 'the 400 is not explained in Chinese with the field label: ' + ps);
    assert((await pslot.locator('.err-detail').innerText()).includes('phone'), 'the server\'s message about the phone is not shown');
    assert(!(await apiGet(page, '/people?q=' + encodeURIComponent('坏号码' + RUN))).body.items.length, 'the person with a bad phone was created');
    // A field the form does not have is named from the dictionary, and an
    // import row as 第 N 行.
    const labels = await page.evaluate(async () => {
      const ui = await import('/ui.js');
      const e = (code, field) => ({ status: 400, code, field, message: 'x' });
      return [ui.explainError(e('invalid_input', 'parent_id')).text, ui.explainError(e('invalid_input', 'row 7: code')).text,
        ui.explainError({ status: 500, code: 'store_error', message: 'disk I/O error' }).text];
    });
    assert(labels[0].includes('「上级单位」'), 'parent_id is not labelled 上级单位: ' + labels[0]);
    assert(labels[1].includes('「第 7 行：编码」'), '"row 7: code" is not labelled 第 7 行：编码: ' + labels[1]);
    assert(labels[2].includes('服务器') && !labels[2].includes('disk'), 'a 5xx is not explained in Chinese: ' + labels[2]);
    await missingStrings(page);
  });

  let worker = null; // {username, password} made by the accounts test
  await test('accounts: create a worker; the worker is offered no admin pages', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/accounts');
    await page.locator('#account-list .row-card').first().waitFor();
    // The admin's own row: marked 本人, no reset and no deactivation (the
    // server refuses both; one's own password is changed with the current one).
    const own = page.locator(`#account-list [data-username="${ADMIN_USER}"]`);
    assert((await own.innerText()).includes('本人'), 'the own account is not marked 本人');
    assert(await own.locator('[data-action=reset], [data-action=deactivate]').count() === 0,
      'the own account offers reset or deactivate');
    assert(await own.locator('[data-action=edit]').count() === 1, 'the own account offers no edit');
    const units = await allItems(page, '/units');
    const grid = units.find((u) => u.kind === 'grid' && u.active);
    await page.locator('#account-new').click();
    const form = page.locator('#account-form');
    await form.waitFor();
    const username = 'bt_worker_' + RUN;
    await form.locator('input[name=username]').fill(username);
    // Without a role the form says so next to the roles.
    await form.locator('select[name=scope_unit_id]').selectOption(String(grid.id));
    await form.locator('button[type=submit]').click();
    await form.locator('[data-field=roles].has-error').waitFor();
    await form.locator('input[name=roles][value=worker]').check();
    await form.locator('button[type=submit]').click();
    const pw = page.locator('#initial-password');
    await pw.waitFor();
    const password = (await pw.innerText()).trim();
    assert(password.length >= 10, 'no generated initial password shown');
    await page.locator('dialog .btn-primary').click();
    const row = page.locator(`#account-list [data-username="${username}"]`);
    await row.waitFor();
    assert((await row.innerText()).includes('员工'), 'the role is not shown in words');
    assert((await row.innerText()).includes(grid.name), 'the scope is not shown');
    // Reset the password: a new one is shown once.
    await row.locator('[data-action=reset]').click();
    await page.locator('dialog .btn-danger').click();
    await pw.waitFor();
    const password2 = (await pw.innerText()).trim();
    assert(password2.length >= 10 && password2 !== password, 'reset did not show a new password');
    await page.locator('dialog .btn-primary').click();
    worker = { username, password: password2 };

    // Log in as the worker in a fresh context: change the password first.
    const wp = await w.newPage();
    await login(wp, username, password2);
    await wp.waitForURL(/\/password$/);
    const newPw = 'Worker-' + RUN + '-Pass9';
    await wp.locator('#password-form input[name=new_password]').fill(newPw);
    await wp.locator('#password-form input[name=new_password_again]').fill(newPw);
    await wp.locator('#password-form button[type=submit]').click();
    await wp.locator('#home-scope').waitFor();
    worker.password = newPw;
    assert((await text(wp, '#home-roles')).includes('员工'), 'worker role not shown');
    const crumbs = await wp.locator('#scope-path li').allInnerTexts();
    assert(crumbs.length && crumbs[crumbs.length - 1].includes(grid.name), 'the scope path does not end with the grid: ' + crumbs.join(' › '));
    assert(await wp.locator('#home-no-admin').isVisible(), 'the worker home page should say there are no admin pages');
    assert(await wp.locator('#home-admin .tile').count() === 0, 'admin tiles offered to a worker');
    const navLinks = await wp.locator('#mainnav a').allInnerTexts();
    // Home and the work pages (隐患), no admin page.
    assert(navLinks[0] === '首页' && !navLinks.some((l) => ['组织单位', '部门', '岗位', '人员', '账号', '批量导入', '流程配置'].includes(l)),
      'the worker nav offers admin pages: ' + navLinks.join(', '));
    for (const p of ['/admin/units', '/admin/people', '/admin/accounts', '/admin/import']) {
      await wp.goto(BASE + p);
      await wp.locator('#no-permission').waitFor();
      assert((await wp.locator('#no-permission').innerText()).includes('无权限'), p + ' does not say 无权限');
    }
    // The server agrees (the page is not the only guard).
    const r = await apiGet(wp, '/accounts');
    assert(r.status === 403, 'GET /api/v1/accounts as a worker answered ' + r.status);
  });

  await test('a locked account shows the lock notice; the admin unlocks, deactivates and activates it', async (w) => {
    assert(worker, 'needs the worker account of the previous test');
    const page = await w.newPage();
    for (let i = 0; i < 5; i++) {
      await login(page, worker.username, 'Wrong-password-' + i);
      await page.locator('#login-form .form-error:not(.hidden)').waitFor();
    }
    await login(page, worker.username, worker.password);
    const locked = page.locator('#login-form .form-error.locked');
    await locked.waitFor();
    assert((await locked.innerText()).includes('锁定'), 'the lock notice does not say 锁定');
    const admin = await loginAdmin(w);
    await admin.goto(BASE + '/admin/accounts');
    const row = admin.locator(`#account-list [data-username="${worker.username}"]`);
    await row.waitFor();
    assert((await row.innerText()).includes('已锁定'), 'the account list does not show the lock');
    await row.locator('[data-action=unlock]').click();
    await admin.locator(`#account-list [data-username="${worker.username}"] [data-action=unlock]`).waitFor({ state: 'detached' });
    await login(page, worker.username, worker.password);
    await page.locator('#home-scope').waitFor();
    // Deactivate: the account can no longer sign in; activate brings it back.
    await admin.locator(`#account-list [data-username="${worker.username}"] [data-action=deactivate]`).click();
    await admin.locator('dialog .btn-danger').click();
    await admin.locator(`#account-list [data-username="${worker.username}"] [data-action=activate]`).waitFor();
    assert((await text(admin, `#account-list [data-username="${worker.username}"]`)).includes('已停用'), 'no 已停用 badge');
    await login(page, worker.username, worker.password);
    await page.locator('#login-form .form-error:not(.hidden)').waitFor();
    assert(new URL(page.url()).pathname === '/login', 'a deactivated account signed in');
    await admin.locator(`#account-list [data-username="${worker.username}"] [data-action=activate]`).click();
    await admin.locator(`#account-list [data-username="${worker.username}"] [data-action=deactivate]`).waitFor();
    await login(page, worker.username, worker.password);
    await page.locator('#home-scope').waitFor();
  });

  await test('departments and posts: create, rename, a post\'s department; a worker only reads', async (w) => {
    const page = await loginAdmin(w);
    await page.locator('#mainnav a[href="/admin/departments"]').click();
    await page.locator('#dept-list .row-card').first().waitFor();
    assert((await text(page, 'h1')) === '部门', 'the departments page is not titled 部门');
    const all = await allItems(page, '/units');
    const ent = all.find((u) => u.name === '华东精细化工有限公司');
    const other = all.find((u) => u.name === '滨江新材料科技有限公司');
    const opts = await page.locator('#dept-enterprise option').allInnerTexts();
    assert(opts.some((o) => o.includes(ent.name)) && opts.some((o) => o.includes(other.name)),
      'the enterprise choice does not offer both demo enterprises: ' + opts.join(', '));
    await page.locator('#dept-enterprise').selectOption(String(ent.id));
    await page.locator('#dept-list .row-card', { hasText: '安全' }).first().waitFor();
    // Create a department.
    const dname = '测试部' + RUN, dcode = 'bt-dept-' + RUN;
    await page.locator('#dept-new').click();
    const df = page.locator('#dept-form');
    await df.locator('input[name=name]').fill(dname);
    await df.locator('input[name=code]').fill('safety');
    await df.locator('button[type=submit]').click();
    // A duplicate code in the enterprise: the Chinese sentence at the code field.
    const dup = df.locator('[data-field=code].has-error .err-text');
    await dup.waitFor();
    assert((await dup.innerText()).includes('「编码」与现有数据冲突'), 'duplicate department code not explained: ' + await dup.innerText());
    await df.locator('input[name=code]').fill(dcode);
    await df.locator('button[type=submit]').click();
    await df.waitFor({ state: 'detached' });
    const drow = page.locator(`#dept-list .row-card[data-code="${dcode}"]`);
    await drow.waitFor();
    assert((await drow.innerText()).includes(dname), 'the new department is not listed with its name');
    let depts = await allItems(page, '/departments?enterprise_id=' + ent.id);
    const dept = depts.find((d) => d.code === dcode);
    assert(dept && dept.name === dname && dept.enterprise_id === ent.id, 'the server does not have the new department');
    // Rename it.
    await drow.locator('[data-action=edit]').click();
    await df.locator('input[name=name]').fill(dname + '改');
    await df.locator('button[type=submit]').click();
    await df.waitFor({ state: 'detached' });
    await page.locator(`#dept-list .row-card[data-code="${dcode}"] .ref-name`, { hasText: dname + '改' }).waitFor();
    depts = await allItems(page, '/departments?enterprise_id=' + ent.id);
    assert(depts.find((d) => d.id === dept.id).name === dname + '改', 'the server did not rename the department');
    // A department with active people cannot be deactivated: the refusal is explained in Chinese.
    await page.locator('#dept-list .row-card[data-code="safety"] [data-action=deactivate]').click();
    await page.locator('dialog .btn-danger').click();
    const toastEl = page.locator('#toast.toast-error');
    await toastEl.waitFor();
    assert((await toastEl.innerText()).includes('与现有数据冲突'), 'the refused deactivation is not explained in Chinese: ' + await toastEl.innerText());
    assert((await allItems(page, '/departments?enterprise_id=' + ent.id)).find((d) => d.code === 'safety').active, 'safety was deactivated');

    // Posts: the enterprise stays chosen; create one in the new department.
    await page.locator('#mainnav a[href="/admin/posts"]').click();
    await page.locator('#post-list .row-card').first().waitFor();
    assert(await page.locator('#post-enterprise').inputValue() === String(ent.id), 'the posts page did not keep the enterprise');
    const pname = '测试岗' + RUN, pcode = 'bt-post-' + RUN;
    await page.locator('#post-new').click();
    const pf = page.locator('#post-form');
    await pf.locator('input[name=name]').fill(pname);
    await pf.locator('input[name=code]').fill(pcode);
    await selectByText(page, '#post-form select[name=department_id]', dname + '改');
    await pf.locator('button[type=submit]').click();
    await pf.waitFor({ state: 'detached' });
    const prow = page.locator(`#post-list .row-card[data-code="${pcode}"]`);
    await prow.waitFor();
    assert((await prow.innerText()).includes(dname + '改'), 'the post does not show its department');
    let post = (await allItems(page, '/posts?enterprise_id=' + ent.id)).find((x) => x.code === pcode);
    assert(post && post.name === pname && post.department_id === dept.id, 'the server does not have the post in the department');
    // Rename it and move it to 安全.
    await prow.locator('[data-action=edit]').click();
    await pf.locator('input[name=name]').fill(pname + '改');
    await selectByText(page, '#post-form select[name=department_id]', '安全');
    await pf.locator('button[type=submit]').click();
    await pf.waitFor({ state: 'detached' });
    await page.locator(`#post-list .row-card[data-code="${pcode}"] .ref-name`, { hasText: pname + '改' }).waitFor();
    const safety = depts.find((d) => d.code === 'safety');
    post = (await allItems(page, '/posts?enterprise_id=' + ent.id)).find((x) => x.id === post.id);
    assert(post.name === pname + '改' && post.department_id === safety.id, 'the server did not rename the post or change its department');
    assert((await text(page, `#post-list .row-card[data-code="${pcode}"]`)).includes('安全'), 'the list does not show the new department');
    await missingStrings(page);

    // A worker reads the same lists and is offered no changes.
    let cred = worker;
    if (!cred) {
      const file = process.env.WS_DEMO_ACCOUNTS;
      const line = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('worker ')) : null;
      assert(line, 'needs the worker account of the accounts test or WS_DEMO_ACCOUNTS');
      cred = { username: 'worker', password: line.split(/\s+/)[1] };
    }
    const wp = await w.newPage();
    await login(wp, cred.username, cred.password);
    await wp.locator('#home-scope').waitFor();
    assert(await wp.locator('#mainnav a[href="/admin/departments"]').count() === 0, 'the worker is offered the departments link');
    await wp.goto(BASE + '/admin/departments');
    await wp.locator('#dept-list .row-card').first().waitFor();
    assert(await wp.locator('#ref-readonly').isVisible(), 'the worker is not told the list is read-only');
    assert(await wp.locator('#dept-new').count() === 0, 'the worker is offered to create a department');
    assert(await wp.locator('#dept-list [data-action]').count() === 0, 'the worker is offered department changes');
    await wp.goto(BASE + '/admin/posts');
    await wp.locator('#post-list .row-card').first().waitFor();
    assert(await wp.locator('#post-new').count() === 0 && await wp.locator('#post-list [data-action]').count() === 0,
      'the worker is offered post changes');
    // The server agrees: the worker may not write.
    const wEnt = Number(await wp.locator('#post-enterprise').inputValue());
    const st = await wp.evaluate(async (eid) => (await fetch('/api/v1/departments', { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enterprise_id: eid, code: 'nope', name: 'nope' }) })).status, wEnt);
    assert(st === 403, 'POST /api/v1/departments as a worker answered ' + st);
    await missingStrings(wp);
  });

  await test('import: a CSV with a bad row shows the row error and imports nothing; a good one imports', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/import');
    await page.locator('#import-form').waitFor();
    const units = await allItems(page, '/units');
    const site = units.find((u) => u.kind === 'site' && u.active);
    const c1 = 'IM-' + RUN + '-1', c2 = 'IM-' + RUN + '-2', c3 = 'IM-' + RUN + '-3';
    const head = '编码,名称,类型,上级编码,时区\r\n';
    const bad = head +
      `${c1},导入车间${RUN},area,${site.code},Asia/Shanghai\r\n` +
      `${c2},导入网格${RUN},grid,${c1},\r\n` +
      `${c3},坏行${RUN},no_such_kind,${site.code},\r\n`;
    await page.locator('input[name=kind][value=units]').check();
    await page.locator('#import-file').setInputFiles({ name: 'units-bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-failed').waitFor();
    const table = page.locator('#import-errors');
    await table.waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert(rows.length >= 1 && rows.some((r) => /^4\b/.test(r.trim())), 'the error table does not name row 4: ' + rows.join(' | '));
    assert(await page.locator('#import-run').isHidden(), 'import is offered after a failed check');
    const said = await text(page, '#import-failed');
    assert(said.includes('第 4 行：类型') && said.includes('填写不正确'),
      'the failed check does not say 第 4 行：类型 … 填写不正确 in Chinese: ' + said);
    assert((await text(page, '#import-errors tbody')).includes('类型'), 'the error table does not name the column 类型');
    let now = await allItems(page, '/units');
    assert(!now.some((u) => [c1, c2, c3].includes(u.code)), 'a failed check wrote units');
    // The real import of the bad file is refused too (all or nothing).
    const direct = await page.evaluate(async (body) => {
      const r = await fetch('/api/v1/imports/units', { method: 'POST', body, headers: { 'Content-Type': 'text/csv' } });
      return r.status;
    }, bad);
    assert(direct === 400, 'importing the bad file answered ' + direct);
    now = await allItems(page, '/units');
    assert(!now.some((u) => [c1, c2, c3].includes(u.code)), 'a failed import wrote units');
    // The good file: check, then import.
    const good = bad.replace('no_such_kind', 'grid');
    await page.locator('#import-file').setInputFiles({ name: 'units-good.csv', mimeType: 'text/csv', buffer: Buffer.from(good, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-ok').waitFor();
    now = await allItems(page, '/units');
    assert(!now.some((u) => [c1, c2, c3].includes(u.code)), 'the dry run wrote units');
    await page.locator('#import-run').click();
    await page.locator('#import-done').waitFor();
    now = await allItems(page, '/units');
    const got = [c1, c2, c3].map((c) => now.find((u) => u.code === c));
    assert(got.every(Boolean), 'the import did not create all three units');
    assert(got[1].parent_id === got[0].id, 'the grid is not under the imported area');
    // They show in the tree.
    await page.goto(BASE + '/admin/units');
    await page.locator(`[data-unit-id="${got[1].id}"]`).waitFor();
    await missingStrings(page);
  });

  await test('import people from a CSV with a BOM', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/import');
    const units = await allItems(page, '/units');
    const grid = units.find((u) => u.kind === 'grid' && u.active && u.enterprise_id);
    await page.locator('input[name=kind][value=people]').check();
    assert((await text(page, '#import-columns')).includes('单位编码'), 'people columns not shown');
    const csv = '\ufeff姓名,工号,手机,单位编码,部门,岗位\r\n' +
      `导入甲${RUN},IA${RUN},13700000001,${grid.code},安全,\r\n` +
      `导入乙${RUN},IB${RUN},13700000002,NO-SUCH-UNIT-${RUN},,\r\n`;
    await page.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-errors').waitFor();
    assert((await text(page, '#import-errors tbody')).startsWith('3'), 'the unknown unit on row 3 is not reported');
    const fixed = csv.replace('NO-SUCH-UNIT-' + RUN, grid.code);
    await page.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(fixed, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-run').click();
    await page.locator('#import-done').waitFor();
    const found = (await apiGet(page, '/people?q=' + encodeURIComponent('导入') + '&unit_id=' + grid.id)).body.items;
    assert(found.filter((p) => p.name.endsWith(RUN)).length === 2, 'the two people were not imported');
  });

  await test('import points: a bad row is named; the fixed file makes the points, which the engine knows at once', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/import');
    await page.locator('#import-form').waitFor();
    const units = await allItems(page, '/units');
    const area = units.find((u) => u.kind === 'area' && u.active && u.enterprise_id);
    await page.locator('input[name=kind][value=points]').check();
    assert((await text(page, '#import-columns')).includes('高限(H)'), 'the point columns are not shown');
    const t1 = 'IMP-' + RUN + '-1', t2 = 'IMP-' + RUN + '-2';
    const csv = '\ufeff位号,名称,类型,单位编码,计量单位,高限(H),高高限(HH)\r\n' +
      `${t1},导入可燃气体${RUN},可燃气体,${area.code},,,\r\n` +
      `${t2},导入温度${RUN},烟雾,${area.code},℃,80,90\r\n`;
    await page.locator('#import-file').setInputFiles({ name: 'points.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-errors').waitFor();
    const errs = await text(page, '#import-errors tbody');
    assert(errs.startsWith('3') && errs.includes('类型'), 'the bad kind on row 3 is not reported as 类型: ' + errs);
    assert(!(await allItems(page, '/points?q=' + encodeURIComponent('IMP-' + RUN))).length, 'a failed check wrote points');
    const fixed = csv.replace('烟雾', '温度');
    await page.locator('#import-file').setInputFiles({ name: 'points.csv', mimeType: 'text/csv', buffer: Buffer.from(fixed, 'utf8') });
    await page.locator('#import-dry').click();
    await page.locator('#import-ok').waitFor();
    await page.locator('#import-run').click();
    await page.locator('#import-done').waitFor();
    assert((await text(page, '#import-done')).includes('2'), 'the import does not say it made 2 points');
    const made = await allItems(page, '/points?q=' + encodeURIComponent('IMP-' + RUN));
    const p2 = made.find((p) => p.tag === t2);
    assert(made.length === 2 && p2 && p2.h === 80 && p2.hh === 90 && p2.kind === 'temperature',
      'the imported points are not as the file says: ' + JSON.stringify(made));
    const ing = await page.evaluate(async (body) => {
      const r = await fetch('/api/v1/ingest', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
      return { status: r.status, body: await r.json() };
    }, `${t1} 5\n${t2} 20\n`);
    assert(ing.status === 200 && ing.body.accepted === 2 && !ing.body.unknown_tag,
      'the engine does not know the imported points: ' + JSON.stringify(ing));
    await missingStrings(page);
  });

  await test('export buttons: the people list with its filter downloads as a workbook and as CSV', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/admin/people');
    await page.locator('#people-list .row-card').first().waitFor();
    const xlsx = page.locator('#people-export-xlsx');
    assert((await xlsx.innerText()).includes('导出 Excel'), 'no 导出 Excel button on the people page');
    assert((await text(page, '#people-export-csv')).includes('导出 CSV'), 'no 导出 CSV button on the people page');
    // The link follows the filter the page shows.
    await page.locator('#people-filter input[name=q]').fill('王');
    await page.locator('#people-filter button[type=submit]').click();
    await xlsx.hover();
    const href = await xlsx.getAttribute('href');
    assert(href.startsWith('/api/v1/people?') && href.includes('format=xlsx') && href.includes('q=' + encodeURIComponent('王')),
      'the export link does not carry the filter: ' + href);
    assert(await xlsx.getAttribute('download') !== null, 'the export link is not a download');
    const got = await page.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(b[0], b[1]), n: b.length };
    }, href);
    assert(got.status === 200, 'the export answered ' + got.status);
    assert(got.type.includes('spreadsheetml') && got.head === 'PK', 'the export is not a workbook: ' + got.type);
    const csv = await page.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      return { status: r.status, text: await r.text() };
    }, await page.locator('#people-export-csv').getAttribute('href'));
    assert(csv.status === 200 && csv.text.includes('姓名'), 'the CSV export has no 姓名 heading');
    // The other org lists offer the same buttons.
    for (const [p, id] of [['/admin/units', '#units-export-xlsx'], ['/admin/accounts', '#accounts-export-xlsx'],
      ['/admin/departments', '#dept-export-xlsx'], ['/admin/posts', '#post-export-csv']]) {
      await page.goto(BASE + p);
      await page.locator(id).waitFor();
    }
  });

  await test('a manager reads accounts but is offered no account changes', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    const line = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('manager ')) : null;
    if (!line) { console.log('# skip: WS_DEMO_ACCOUNTS names no manager'); return; }
    const page = await w.newPage();
    await login(page, 'manager', line.split(/\s+/)[1]);
    await page.locator('#home-scope').waitFor();
    assert((await text(page, '#scope-name')) === '华东精细化工有限公司', 'the manager scope is not the demo enterprise');
    assert(await page.locator('#home-admin .tile').count() === 8,
      'a manager should be offered units, departments, posts, people, accounts, import, patrol points and the evidence log');
    await page.goto(BASE + '/admin/accounts');
    await page.locator('#account-list .row-card').first().waitFor();
    assert(await page.locator('#account-new').count() === 0, 'a manager is offered account creation');
    assert(await page.locator('#account-list [data-action]').count() === 0, 'a manager is offered account actions');
    // Isolation: the other enterprise is not in the manager's tree.
    await page.goto(BASE + '/admin/units');
    await page.locator('#unit-tree').waitFor();
    const tree = await text(page, '#unit-tree');
    assert(tree.includes('华东精细化工有限公司') && !tree.includes('滨江新材料科技有限公司'), 'the tree crosses enterprises');
  });

  await test('demo readings: a week of GT-102 in the series store, with its excursion to 报警', async (w) => {
    const page = await loginAdmin(w);
    const pts = (await apiGet(page, '/points?q=GT-102')).body.items;
    assert(pts.length === 1, 'the demo has no point GT-102');
    const from = new Date(Date.now() - 7 * 86400000).toISOString();
    const h = await apiGet(page, `/points/${pts[0].id}/history?from=${encodeURIComponent(from)}&max_points=300`);
    assert(h.status === 200, 'history answers ' + h.status);
    assert(h.body.items.length > 200 && h.body.items.length <= 300, 'history has ' + h.body.items.length + ' samples');
    assert(h.body.tier === '1m', 'a week in 300 samples comes from the minute rollups, not ' + h.body.tier);
    const peak = Math.max(...h.body.items.map((i) => i.max || 0));
    assert(peak >= pts[0].h && peak < pts[0].hh, `the excursion peaks at ${peak}, not between H and HH`);
    const bad = await apiGet(page, `/points/${pts[0].id}/history?max_points=0`);
    assert(bad.status === 400 && bad.body.error.field === 'max_points', 'max_points=0 is not refused naming it');
  });

  await test('phone viewport (375x812): home page and ledgers without horizontal scroll', async (w) => {
    const page = await loginAdmin(w, PHONE);
    await page.locator('#scope-path li').first().waitFor();
    await noHorizontalScroll(page);
    // Touch targets: buttons and nav links at least 40 px high.
    const small = await page.evaluate(() => [...document.querySelectorAll('button, a.btn, .navlink, .tile')]
      .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 40).map((e) => e.textContent.trim()));
    assert(!small.length, 'touch targets under 40 px: ' + small.join(', '));
    fs.mkdirSync(ART, { recursive: true });
    await page.screenshot({ path: path.join(ART, 'home-phone.png'), fullPage: true });
    for (const p of ['/admin/units', '/admin/departments', '/admin/posts', '/admin/people', '/admin/accounts', '/admin/import']) {
      await page.goto(BASE + p);
      await page.locator('.page-head').waitFor();
      await page.waitForLoadState('networkidle');
      try { await noHorizontalScroll(page); } catch (e) { throw new Error(p + ': ' + e.message); }
      // the nav scrolls sideways on a phone; the current place is in view
      const lit = await page.evaluate(() => { const a = document.querySelector('#mainnav .navlink.active');
        const r = a && a.getBoundingClientRect(); return r && { text: a.textContent, left: r.left, right: r.right }; });
      assert(lit && lit.left >= 0 && lit.right <= 375, p + ': the nav\'s current place is out of view: ' + JSON.stringify(lit));
      if (p === '/admin/departments') {
        await page.locator('#dept-list .row-card').first().waitFor();
        await page.screenshot({ path: path.join(ART, 'departments-phone.png'), fullPage: true });
      }
    }
    await page.screenshot({ path: path.join(ART, 'import-phone.png'), fullPage: true });
    // A ledger on a phone: one card per row, each value under its column's name.
    await page.goto(BASE + '/hazards?view=list');
    await page.locator('#hz-table tbody tr[data-hazard-id]').first().waitFor();
    await noHorizontalScroll(page);
    const card = await page.evaluate(() => {
      const tb = document.querySelector('#hz-table');
      const heads = [...tb.tHead.rows[0].cells].map((c) => c.textContent.trim());
      const tr = tb.tBodies[0].rows[0];
      return { thead: getComputedStyle(tb.tHead).display, row: getComputedStyle(tr).display, heads,
        labels: [...tr.cells].map((c) => c.dataset.label), width: tr.getBoundingClientRect().width,
        before: getComputedStyle(tr.cells[1], '::before').content };
    });
    assert(card.thead === 'none' && card.row === 'block', 'the hazard list is not stacked on a phone: ' + JSON.stringify(card));
    assert(JSON.stringify(card.labels) === JSON.stringify(card.heads), 'cells are not labelled by their columns: ' + JSON.stringify(card));
    assert(card.before === JSON.stringify(card.heads[1]) && card.width <= 375, 'the label is not shown beside the value: ' + JSON.stringify(card));
    await page.screenshot({ path: path.join(ART, 'hazards-list-phone.png'), fullPage: false });
    // the alarm KPIs too, and the page still draws its chart
    await page.goto(BASE + '/alarms/kpi');
    await page.locator('#kpi-chart[data-areas]').waitFor();
    await noHorizontalScroll(page);
    const kpi = await page.evaluate(() => [...document.querySelectorAll('table#kpi-areas, table#kpi-people')]
      .map((tb) => tb.id + ':' + tb.classList.contains('stack') + ':' + getComputedStyle(tb.tHead).display));
    assert(kpi.length === 2 && kpi.every((x) => x.endsWith(':true:none')), 'the KPI tables are not cards on a phone: ' + kpi.join(', '));
  });

  // ---- the four-colour map and the risk card (pages/riskmap.js, pages/risk.js) ----
  await test('four-colour map: the area is drawn in its level colour, the card has its QR code', async (w) => {
    const page = await loginAdmin(w);
    const units = await allItems(page, '/units');
    const site = units.find((u) => u.code === 'HDJX-S1');
    const area = units.find((u) => u.code === 'HDJX-S1-HC');
    const ent = units.find((u) => u.code === 'HDJX');
    const byId = new Map(units.map((u) => [u.id, u]));
    const person = (await allItems(page, '/people?active=1')).find((p) => (byId.get(p.unit_id) || { path: '' }).path.startsWith(ent.path));
    assert(site && area && person, 'the demo plant has no 一厂区 / 合成车间 / person');
    // A plan image (a PNG drawn here), set as the site's plan; a polygon on 合成车间; a 重大 risk below it.
    const png = [...makePng(400, 300)];
    const r = await page.evaluate(async ({ site, area, person, png, run }) => {
      const call = async (m, p, b, ct) => {
        const x = await fetch('/api/v1' + p, { method: m, credentials: 'same-origin', headers: { 'Content-Type': ct || 'application/json' }, body: b });
        return { status: x.status, body: await x.json().catch(() => null) };
      };
      const j = JSON.stringify;
      const up = await call('POST', `/attachments?unit_id=${site}&filename=plan.png`, new Uint8Array(png), 'image/png');
      const plan = await call('PUT', '/risk/maps/' + site, j({ attachment_id: up.body && up.body.id }));
      const shape = await call('PUT', `/risk/maps/${site}/shapes/${area}`, j({ points: [[0.05, 0.05], [0.45, 0.05], [0.45, 0.45], [0.05, 0.45]] }));
      const obj = await call('POST', '/risk/objects', j({ unit_id: area, kind: 'installation', name: '反应釜' + run, responsible_person_id: person }));
      const ru = await call('POST', '/risk/units', j({ object_id: obj.body.id, name: '进料', responsible_person_id: person }));
      const ev = await call('POST', '/risk/events', j({ risk_unit_id: ru.body.id, description: '泄漏着火', method: 'LEC', inherent_l: 3, inherent_e: 6, inherent_c: 40 }));
      const m = await call('POST', '/risk/measures', j({ event_id: ev.body.id, category: 'emergency', text: '切断进料，启动喷淋' }));
      return { st: [up.status, plan.status, shape.status, obj.status, ru.status, ev.status, m.status], obj: obj.body.id };
    }, { site: site.id, area: area.id, person: person.id, png, run: RUN });
    assert(r.st.join() === '201,200,201,201,201,201,201' || r.st.join() === '201,200,200,201,201,201,201', 'setup answered ' + r.st.join());
    await page.goto(BASE + '/risk/map/' + site.id);
    const poly = page.locator(`#riskmap-svg polygon[data-area="${area.id}"]`);
    await poly.waitFor({ state: 'attached' });
    assert(await poly.getAttribute('data-level') === 'major', 'the area is not 重大: ' + await poly.getAttribute('data-level'));
    const fill = await poly.evaluate((el) => getComputedStyle(el).fill);
    assert(fill === 'rgb(211, 47, 47)', 'the 重大 area is filled ' + fill + ', not red');
    const count = await page.locator(`#riskmap-svg text[data-count="${area.id}"]`).textContent();
    assert(/\d/.test(count), 'no count badge on the area: ' + count);
    assert(await page.locator('#riskmap-draw').count() === 1, 'the admin is offered no editor');
    await page.screenshot({ path: path.join(ART, 'riskmap-desktop.png') });
    // The printable card: the 重大 band and the QR code as an inline <svg>.
    await page.goto(BASE + `/risk/objects/${r.obj}/card`);
    await page.locator('#risk-card-qr svg path').waitFor({ state: 'attached' });
    const d = await page.locator('#risk-card-qr svg path').getAttribute('d');
    assert(d && /^M\d+ \d+h\d+/.test(d), 'the QR path is empty');
    assert(await page.locator('#risk-band').getAttribute('data-level') === 'major', 'the card band is not 重大');
    assert((await text(page, '#risk-card')).includes('切断进料'), 'the card lacks the emergency measure');
    // The phone page of the point (what the QR code opens) fits a phone.
    const phone = await w.newPage(PHONE);
    await login(phone, ADMIN_USER, ADMIN_PW);
    await phone.locator('#home-scope').waitFor();
    await phone.goto(BASE + `/risk/objects/${r.obj}`);
    await phone.locator('#risk-point #risk-band').waitFor();
    await noHorizontalScroll(phone);
    await missingStrings(phone);
  });

  await test('risk register page: the demo tank farm is 重大 and opens to its units, events and measures', async (w) => {
    const page = await loginAdmin(w);
    await page.goto(BASE + '/risk');
    const objs = (await apiGet(page, '/risk/objects?limit=200')).body.items;
    const tank = objs.find((o) => o.code === 'MH-01');
    assert(tank, 'the demo has no tank farm MH-01');
    const det = page.locator(`#risk-list details[data-object="${tank.id}"]`);
    await det.waitFor();
    assert((await det.getAttribute('class')).includes('lvl-edge-major'), 'the tank farm is not drawn 重大');
    await det.locator('summary').click();
    await page.waitForFunction((id) => {
      const d = document.querySelector(`details[data-object="${id}"] .risk-children`);
      return d && d.textContent.includes('紧急切断阀');
    }, tank.id);
    assert(await page.locator('#risk-add-object').count() === 1, 'the admin is offered no form to add a risk object');
    await missingStrings(page);
  });

  await test('no console errors or CSP violations on any page', async (w) => {
    // Every test above fails on its own console errors; this one walks each
    // page once more in English on a desktop, with the service worker, and
    // checks the CSP header is set.
    const page = await loginAdmin(w, { serviceWorkers: 'allow' });
    const r = await page.goto(BASE + '/admin/units');
    const csp = r.headers()['content-security-policy'] || '';
    assert(/default-src 'self'/.test(csp), 'no Content-Security-Policy default-src \'self\' on the page: ' + csp);
    await page.locator('#lang-toggle').click();
    for (const p of ['/', '/admin/units', '/admin/departments', '/admin/posts', '/admin/people', '/admin/accounts', '/admin/import',
      '/password', '/no-such-page']) {
      await page.goto(BASE + p);
      await page.locator('#main > *:not(.loading)').first().waitFor();
      await page.waitForLoadState('networkidle');
      await missingStrings(page);
    }
    await page.locator('#logout-btn').click();
    await page.waitForURL(/\/login/);
    const me = await apiGet(page, '/me');
    assert(me.status === 401, 'the session still works after logout: ' + me.status);
  });

  // Hidden dangers and the workflow editor (tests/browser/hazards.mjs).
  await (await import('./hazards.mjs')).run({ test, assert, text, login, loginAdmin, apiGet, allItems, selectByText,
    missingStrings, noHorizontalScroll, BASE, ROOT, ART, RUN });
  // Inspection checks on a phone (tests/browser/inspections.mjs).
  await (await import('./inspections.mjs')).run({ test, assert, login, apiGet, missingStrings, noHorizontalScroll, BASE, ROOT, ART });
  // The alarm console and the trend charts (tests/browser/alarms.mjs).
  await (await import('./alarms.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, BASE, ROOT, ART, RUN });
  // Task forces: the demo's forces, a task done from the page, an incident forms its force (tests/browser/taskforces.mjs).
  await (await import('./taskforces.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, BASE, ROOT, ART, RUN });
  // Special-work permits: apply on a phone, approve, check in, gas suspension; board, print, queue (tests/browser/permits.mjs).
  await (await import('./permits.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE, ROOT, ART, RUN });
  // Grid patrol on a phone, offline then synced (tests/browser/patrol.mjs).
  await (await import('./patrol.mjs')).run({ test, assert, login, apiGet, missingStrings, noHorizontalScroll, BASE, ROOT, ART });
  // The page that renames and retires patrol points and checklists (tests/browser/patrol_admin.mjs).
  await (await import('./patrol_admin.mjs')).run({ test, assert, loginAdmin, apiGet, missingStrings, BASE });
  // Issue 6: the anonymous report answered and read back with the receipt code, on a phone (tests/browser/voice.mjs).
  await (await import('./voice.mjs')).run({ test, assert, login, missingStrings, noHorizontalScroll, BASE, ROOT });
  // Issue 7: the dynamic risk index pages and the map's dynamic colours (tests/browser/riskindex.mjs).
  await (await import('./riskindex.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE });
  // Issue 7: process monitors (tests/browser/monitors.mjs).
  await (await import('./monitors.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE, RUN });
  // Issue 4: the alarm rule library (tests/browser/rules.mjs).
  await (await import('./rules.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, noHorizontalScroll, BASE });
  // The evidence log page: signature, consistency and one record's seal checked in the browser (tests/browser/evidence.mjs).
  await (await import('./evidence.mjs')).run({ test, assert, login, loginAdmin, missingStrings, apiGet, BASE });
  // Every page and the demo's records, in both languages, as it is left by the tests above (tests/browser/smoke.mjs).
  await (await import('./smoke.mjs')).run({ test, assert, login, loginAdmin, apiGet, missingStrings, BASE });

  await browser.close();
  if (stray.length) { console.log('not ok - after the last test: ' + stray.join('; ')); results.push(false); }
  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
  console.log('not ok - harness: ' + (e && e.stack ? e.stack.split('\n')[0] : e));
  const passed = results.filter(Boolean).length;
  console.log(`browser: ${passed} passed, ${results.length - passed + 1} failed`);
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
});
