// temporary QA review script (to be deleted)
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const BASE = 'http://127.0.0.1:18621';
const OUT = '/tmp/qa-ui/';
const accounts = Object.fromEntries(fs.readFileSync('/tmp/qa-ui/data/demo-accounts.txt', 'utf8').split('\n')
  .filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ').slice(0, 2)));

const who = process.argv[2] || 'safety';
const mobile = process.argv[3] === 'mobile';
const lang = process.argv[4] || 'zh';
const only = process.argv[5] ? process.argv[5].split(',') : null;

const LISTS = ['/', '/hazards', '/hazards?view=list', '/hazards/new', '/risk', '/risk/index', '/inspections', '/alarms', '/alarms?tab=closed',
  '/alarms/kpi', '/alarms/rules', '/trends', '/trends/import', '/monitors', '/monitors/new', '/permits', '/permits/new', '/permits/approvals', '/permits/board',
  '/task-forces', '/me/tasks', '/drills', '/incidents/new', '/dashboard', '/patrol', '/patrol/overview', '/plant', '/plant/handover',
  '/voice', '/points', '/audit', '/admin/units', '/admin/departments', '/admin/posts', '/admin/people', '/admin/accounts', '/admin/import',
  '/admin/workflows', '/admin/patrol', '/password', '/report', '/report/follow'];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium-headless-shell', args: ['--no-sandbox'] });
const ctxOpts = mobile ? { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' }
  : { viewport: { width: 1366, height: 900 }, timezoneId: process.env.TZID || 'Asia/Shanghai', locale: 'zh-CN' };
const context = await browser.newContext(ctxOpts);
const page = await context.newPage();
const log = [];
let cur = '';
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.push(`[${cur}] console.${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => log.push(`[${cur}] pageerror: ${e.message}`));
page.on('requestfailed', (r) => log.push(`[${cur}] requestfailed: ${r.method()} ${r.url()} ${r.failure() && r.failure().errorText}`));
page.on('response', (r) => { if (r.status() >= 400) log.push(`[${cur}] HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });

await page.goto(BASE + '/login');
await page.locator('#login-form input[name=username]').fill(who);
await page.locator('#login-form input[name=password]').fill(accounts[who]);
await page.locator('#login-submit').click();
await page.waitForTimeout(1500);
if (lang === 'en') { await page.evaluate(() => localStorage.setItem('ws_lang', 'en')); }

async function apiGet(p) {
  return page.evaluate(async (u) => { const r = await fetch('/api/v1' + u); return { status: r.status, body: await r.json().catch(() => null) }; }, p);
}
const ids = async (p, n = 2) => { const r = await apiGet(p); return ((r.body && (r.body.items || (Array.isArray(r.body) ? r.body : []))) || []).slice(0, n); };

let paths = [...LISTS];
const detail = [];
for (const x of await ids('/permits?limit=50', 50)) detail.push('/permits/' + x.id);
for (const x of await ids('/hazards?limit=3')) detail.push('/hazards/' + x.id);
for (const x of await ids('/patrols?limit=2')) detail.push('/patrol/' + x.id);
for (const x of await ids('/task-forces?limit=2')) detail.push('/task-forces/' + x.id);
for (const x of await ids('/handovers?limit=2')) detail.push('/plant/handover?id=' + x.id);
for (const x of await ids('/drills')) detail.push('/drills/' + x.id);
for (const x of await ids('/voice/reports')) detail.push('/voice/' + x.id);
for (const x of await ids('/process-monitors')) detail.push('/monitors/' + x.id);
for (const x of await ids('/risk-index', 1)) detail.push('/risk/index/' + x.unit_id);
for (const x of await ids('/alarms?state=open&limit=1', 1)) detail.push('/alarms/' + x.id);
for (const x of await ids('/risk/objects?limit=1', 1)) { detail.push('/risk/objects/' + x.id); detail.push('/risk/objects/' + x.id + '/card'); }
const units = await ids('/units?limit=200', 200);
const u = units.find((x) => x.kind === 'area' || x.level === 'area') || units[1];
if (u) detail.push('/risk/map/' + u.id);
fs.writeFileSync(OUT + `ids-${who}.json`, JSON.stringify({ detail, units: units.map((x) => [x.id, x.name, x.kind || x.level]) }, null, 1));
paths = paths.concat(detail.filter((p, i) => !p.startsWith('/permits/') || i < 6 || true));
if (only) paths = only;

const results = [];
const tag = `${who}-${mobile ? 'm' : 'd'}-${lang}`;
for (const p of paths) {
  cur = p;
  const t0 = Date.now();
  try {
    await page.goto(BASE + p, { waitUntil: 'load' });
  } catch (e) { log.push(`[${p}] goto: ${e.message}`); }
  let settled = -1;
  try { await page.locator('main .page, main .notice, main [id]').first().waitFor({ timeout: 8000 }); settled = Date.now() - t0; } catch (e) { settled = -1; }
  try { await page.waitForLoadState('networkidle', { timeout: 6000 }); } catch (e) { /* streaming */ }
  const idle = Date.now() - t0;
  await page.waitForTimeout(2000);
  const name = `${tag}${p.replace(/[/?=&]/g, '_')}.png`;
  try { await page.screenshot({ path: OUT + name, fullPage: true, timeout: 20000 }); } catch (e) { log.push(`[${p}] screenshot: ${e.message}`); }
  const info = await page.evaluate(() => {
    const main = document.querySelector('main') || document.body;
    const txt = document.body.innerText;
    const bad = [];
    for (const re of [/\bundefined\b/g, /\bnull\b/g, /\bNaN\b/g, /\[object Object\]/g, /\bInvalid Date\b/g]) { const m = txt.match(re); if (m) bad.push(m[0] + '×' + m.length); }
    const keys = [...new Set((txt.match(/\b[a-z][a-z0-9]{0,10}(?:\.[a-z0-9_]+){1,4}\b/g) || []).filter((k) => !/\.(js|com|cn|svg|png|csv|xlsx|pdf|html|org)$/.test(k) && !/^\d/.test(k)))];
    const cjk = document.documentElement.lang.startsWith('en') ? [...new Set((txt.match(/[\u4e00-\u9fff][\u4e00-\u9fff\w·（）()：:]*/g) || []))].slice(0, 80) : [];
    const vw = window.innerWidth;
    const wide = [];
    document.querySelectorAll('table, pre, canvas, svg, .card, img').forEach((el) => { const r = el.getBoundingClientRect(); if (r.right > vw + 2 && r.width > 0) { const sc = el.closest('[style*="overflow"], .table-wrap, .scroll'); wide.push(el.tagName + '.' + (el.className && el.className.baseVal === undefined ? el.className : '') + ':' + Math.round(r.right) + (sc ? '(in scroller)' : '')); } });
    const h1 = (main.querySelector('h1,h2') || {}).innerText || '';
    const empties = [...main.querySelectorAll('.empty')].map((e) => e.innerText).slice(0, 5);
    return { title: h1, lang: document.documentElement.lang, scrollW: document.documentElement.scrollWidth, vw, bad, keys: keys.slice(0, 40), cjk, wide: wide.slice(0, 8), empties, len: txt.length, url: location.pathname + location.search };
  });
  results.push({ p, name, settled, idle, ...info });
  console.log(JSON.stringify({ p, settled, idle, ...info }));
}
fs.writeFileSync(OUT + `results-${tag}.json`, JSON.stringify({ results, log }, null, 1));
console.log('---LOG---');
for (const l of log) console.log(l);
await browser.close();
