// i18n.js — the lookup of every string the pages show, in Chinese (zh-CN,
// the default; the table is i18n-zh.js) and English (i18n-en.js), and the
// language switch (persisted in localStorage "ws_lang"; only
// the language choice is stored there). Domain words follow the glossary of
// DESIGN.md (单位/企业/厂区/车间/网格, 网格长, ...). t('key', {name}) fills
// {name} placeholders; a key missing from both tables renders as ⟦key⟧ so a
// test can catch it.

import { zh } from './i18n-zh.js';
import { en } from './i18n-en.js';

const tables = { zh, en };
const KEY = 'ws_lang';

function stored() {
  try { return localStorage.getItem(KEY); } catch (e) { return null; }
}

let current = stored() === 'en' ? 'en' : 'zh';

export function lang() { return current; }

export function setLang(l) {
  current = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem(KEY, current); } catch (e) { /* private mode: not persisted */ }
}

// Is there a string for key (in the current language or in zh)?
export function has(key) { return key in tables[current] || key in zh; }

// The string for key in the current language, {placeholders} filled from vars.
export function t(key, vars, fallback) {
  let s = tables[current][key];
  if (s === undefined) s = zh[key];
  if (s === undefined) s = fallback !== undefined ? fallback : '⟦' + key + '⟧';
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m));
  return s;
}

// Words the server writes into records in Chinese (an alarm's title names its
// limit, a camera's violation, a system fault): in English they read in
// English; what users named (tags, points, rules) stays as they wrote it.
// Longer phrases first, so 高高报 is not read as 高报.
const SERVER_EN = [
  ['低低报 LL', 'LL low-low'], ['高高报 HH', 'HH high-high'], ['低报 L', 'L low'], ['高报 H', 'H high'],
  ['接近低限 预警', 'approaching L (pre-alarm)'], ['接近高限 预警', 'approaching H (pre-alarm)'],
  ['变化率超限', 'rate of change'], ['传感器故障', 'sensor fault'], ['数据中断', 'no data'],
  ['未戴安全帽', 'no helmet'], ['区域入侵', 'intrusion'], ['吸烟', 'smoking'], ['烟火', 'fire or smoke'],
  ['联锁旁路超期：', 'Interlock bypass overdue: '], ['通知通道故障：', 'Notification channel failing: '],
  ['时序库写入失败 series store failing', 'Series store failing'],
];
export function serverText(s) {
  if (current !== 'en' || !s) return s;
  let o = String(s);
  for (const [a, b] of SERVER_EN) o = o.split(a).join(b);
  return o.replace(/（异常评分 ([\d.]+)）/g, ' (anomaly score $1)').replace(/（([-+\d.e]+)\/秒）/g, ' ($1/s)')
    .replace(/^报警 #(\d+)$/, 'Alarm #$1');
}

// Strings of the static shell in index.html.
export function applyStatic() {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
  const set = (id, key) => { const el = document.getElementById(id); if (el) el.textContent = t(key); };
  set('brand-name', 'app.brand');
  set('lang-toggle', 'lang.switch');
  set('logout-btn', 'nav.logout');
  const tg = document.getElementById('lang-toggle');
  if (tg) { tg.setAttribute('aria-label', t('lang.switch_label')); tg.setAttribute('lang', current === 'zh' ? 'en' : 'zh-CN'); }
}

// For tests and docs: keys present in one table but not the other.
export function missingKeys() {
  const a = Object.keys(zh).filter((k) => !(k in en));
  const b = Object.keys(en).filter((k) => !(k in zh));
  return { en: a, zh: b };
}
