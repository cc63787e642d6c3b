import { chromium } from 'playwright-core';
import fs from 'node:fs';
const BASE = 'http://127.0.0.1:18400';
const acc = Object.fromEntries(fs.readFileSync('/tmp/demo/demo-accounts.txt', 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => { const [u, p] = l.split(' '); return [u, p]; }));
const user = process.argv[2] || 'safety';
const pages = process.argv.slice(3);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await b.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
const page = await ctx.newPage();
page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
page.on('console', (m) => { if (m.type() === 'error') console.log('CONSOLE', m.text()); });
await page.goto(BASE + '/login');
await page.locator('#login-form input[name=username]').fill(user);
await page.locator('#login-form input[name=password]').fill(acc[user]);
await page.locator('#login-submit').click();
await page.waitForTimeout(1500);
for (const p of pages) {
  await page.goto(BASE + p);
  await page.waitForTimeout(2500);
  const f = '/tmp/shots/' + user + p.replace(/[\/?=&]/g, '_') + '.png';
  await page.screenshot({ path: f, fullPage: false });
  console.log('shot', f);
}
await b.close();
