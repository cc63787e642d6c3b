// pages/evidence.js — /audit, the evidence log for a regulator (证据链核验):
// the current signed checkpoint (its text to download and keep), its Ed25519
// signature checked here against the verifier key, and the log's consistency
// with checkpoints kept earlier — the last one this browser saw (kept in
// localStorage, so every visit is a check) and any the user pastes or loads
// from a file. Checks follow docs/internals/audit.md §7 and §8: the C2SP
// signed note and the RFC 9162 §2.1.4.2 consistency proof, with WebCrypto's
// SHA-256 and Ed25519. The page says what it cannot prove: its code comes
// from the server it checks, so the independent check is `worksafe audit
// verify --against` or the regulator's own tool, with the key pinned out of band.
//
// Data: GET /api/v1/audit/key, /audit/checkpoint (text), /audit/proof/consistency.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, pageHead, badge, toastError } from '../ui.js';

const KEPT = 'ws_checkpoint'; // localStorage: the newest note this browser verified

const enc = new TextEncoder();
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (u) => [...u].map((x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s) => Uint8Array.from(s.match(/../g) || [], (x) => parseInt(x, 16));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const sha256 = async (...parts) => {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
};
const node = (l, r) => sha256(Uint8Array.of(1), l, r);

// A note's parts, or null when it is not a checkpoint: {origin, size, root, body, sigs: [{name, blob}]}.
export function parseNote(text) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length < 5 || lines[3] !== '' || !/^\d+$/.test(lines[1])) return null;
  let root;
  try { root = b64(lines[2]); } catch (e) { return null; }
  if (root.length !== 32) return null;
  const sigs = [];
  for (const l of lines.slice(4)) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (m) { try { sigs.push({ name: m[1], blob: b64(m[2]) }); } catch (e) { /* not base64 */ } }
  }
  return { origin: lines[0], size: Number(lines[1]), root, body: lines.slice(0, 3).join('\n') + '\n', sigs, text };
}

// Split a file of notes kept one after another (each ends with its signature lines).
export function splitNotes(text) {
  const out = [];
  let cur = [];
  for (const l of text.replace(/\r\n/g, '\n').split('\n')) {
    if (!cur.length && l === '') continue;
    cur.push(l);
    if (l.startsWith('\u2014 ') && cur.length >= 5) { out.push(cur.join('\n') + '\n'); cur = []; }
  }
  return out;
}

// Whether the note carries a valid signature of the verifier key "name+keyid+base64(0x01||pub)".
export async function verifySignature(note, verifierKey) {
  // name+keyid+base64: the base64 may itself contain '+', so split at the first two only
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(verifierKey || '');
  if (!m) return false;
  const [, name, keyHex, keyB64] = m;
  const raw = b64(keyB64);
  if (raw.length !== 33 || raw[0] !== 1) return false;
  const pub = raw.slice(1);
  const id = (await sha256(enc.encode(name + '\n'), Uint8Array.of(1), pub)).slice(0, 4);
  if (hex(id) !== keyHex) return false;
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  for (const s of note.sigs) {
    if (s.name !== name || s.blob.length !== 68 || !equal(s.blob.slice(0, 4), id)) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, s.blob.slice(4), enc.encode(note.body))) return true;
  }
  return false;
}

// RFC 9162 §2.1.4.2: the tree of size `second` with root secondHash extends the
// tree of size `first` with root firstHash (path: hex strings, bottom up).
export async function verifyConsistency(first, second, firstHash, secondHash, path) {
  if (first === second) return path.length === 0 && equal(firstHash, secondHash);
  if (first < 1 || first > second || !path.length) return false;
  const p = path.map(unhex);
  if ((first & (first - 1)) === 0) p.unshift(firstHash);
  let fn = first - 1, sn = second - 1;
  while (fn & 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = p[0], sr = p[0];
  for (const c of p.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (!(fn & 1)) while (!(fn & 1) && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await node(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstHash) && equal(sr, secondHash);
}

// One earlier note against the current one: 'ok', 'bad_sig', 'bad_origin', 'newer', 'inconsistent' or 'invalid'.
async function check(earlier, current, verifierKey) {
  const old = parseNote(earlier);
  if (!old) return 'invalid';
  if (old.origin !== current.origin) return 'bad_origin';
  if (!(await verifySignature(old, verifierKey))) return 'bad_sig';
  if (old.size > current.size) return 'newer';
  const path = old.size === current.size ? [] : ((await api('GET', `/audit/proof/consistency?old=${old.size}&new=${current.size}`)) || {}).path || [];
  return (await verifyConsistency(old.size, current.size, old.root, current.root, path)) ? 'ok' : 'inconsistent';
}

export async function render(main) {
  const [key, text] = await Promise.all([api('GET', '/audit/key'), checkpointText()]);
  const note = parseNote(text);
  const root = h('div', { class: 'page narrow', id: 'evidence' }, pageHead(t('ev.title')), h('p', { class: 'muted' }, t('ev.intro')));
  main.appendChild(root);
  if (!note) { root.appendChild(h('p', { class: 'notice notice-error' }, t('ev.unreadable'))); return; }
  const sigOk = await verifySignature(note, key.verifier_key).catch(() => false);
  const download = h('a', { class: 'btn', id: 'ev-download', download: `checkpoint-${note.size}.txt`,
    href: URL.createObjectURL(new Blob([note.text], { type: 'text/plain' })) }, t('ev.download'));
  root.append(
    h('section', { class: 'card', id: 'ev-current', dataset: { size: String(note.size), signature: sigOk ? 'ok' : 'bad' } },
      h('h2', null, t('ev.current')),
      h('dl', { class: 'facts' },
        h('dt', null, t('ev.origin')), h('dd', null, note.origin),
        h('dt', null, t('ev.size')), h('dd', { id: 'ev-size' }, String(note.size)),
        h('dt', null, t('ev.root')), h('dd', { class: 'mono ev-hash' }, hex(note.root)),
        h('dt', null, t('ev.signature')), h('dd', { id: 'ev-signature' }, sigOk ? badge(t('ev.sig_ok'), 'ok') : badge(t('ev.sig_bad'), 'danger'))),
      h('pre', { class: 'ev-note', id: 'ev-note' }, note.text),
      h('div', { class: 'card-actions' }, download),
      h('p', { class: 'muted small' }, t('ev.key'), ' ', h('code', { class: 'ev-key', id: 'ev-key' }, key.verifier_key))));

  // The last note this browser verified, checked against the current one; then kept.
  const witness = h('section', { class: 'card', id: 'ev-witness' }, h('h2', null, t('ev.witness')));
  root.appendChild(witness);
  const kept = localStorage.getItem(KEPT);
  if (kept) {
    const r = await check(kept, note, key.verifier_key).catch(() => 'invalid');
    const was = parseNote(kept);
    witness.dataset.result = r;
    witness.append(h('p', null, resultBadge(r), ' ', t('ev.since', { size: was ? was.size : '?' })));
    if (r === 'ok' && sigOk) localStorage.setItem(KEPT, note.text);
  } else {
    witness.dataset.result = 'first';
    witness.append(h('p', { class: 'muted' }, t('ev.first')));
    if (sigOk) localStorage.setItem(KEPT, note.text);
  }

  // Notes kept elsewhere: pasted or loaded from a file, each checked.
  const area = h('textarea', { id: 'ev-paste', rows: 6, placeholder: t('ev.paste_ph'), class: 'mono' });
  const file = h('input', { type: 'file', accept: '.txt,text/plain', id: 'ev-file' });
  const out = h('ol', { class: 'ev-results', id: 'ev-results' });
  const run = async (text) => {
    clear(out);
    const notes = splitNotes(text);
    if (!notes.length) { out.appendChild(h('li', { dataset: { result: 'invalid' } }, resultBadge('invalid'))); return; }
    for (const n of notes) {
      const r = await check(n, note, key.verifier_key).catch(() => 'invalid');
      const p = parseNote(n);
      out.appendChild(h('li', { dataset: { result: r } }, resultBadge(r), ' ', p ? t('ev.note_size', { size: p.size }) : ''));
    }
  };
  file.addEventListener('change', async () => { if (file.files[0]) run(await file.files[0].text()).catch(toastError); });
  root.appendChild(h('section', { class: 'card', id: 'ev-check' }, h('h2', null, t('ev.check')),
    h('p', { class: 'muted small' }, t('ev.check_hint')), area, h('div', { class: 'card-actions' }, file,
      h('button', { type: 'button', class: 'btn btn-primary', id: 'ev-run', onclick: () => run(area.value).catch(toastError) }, t('ev.run'))), out));
  root.appendChild(h('p', { class: 'muted small', id: 'ev-limits' }, t('ev.limits')));
}

// The checkpoint is a text note, not JSON.
async function checkpointText() {
  const r = await fetch('/api/v1/audit/checkpoint', { credentials: 'same-origin' });
  if (!r.ok) { const e = new Error(t('ev.unreadable')); e.status = r.status; throw e; }
  return r.text();
}

function resultBadge(r) {
  return badge(t('ev.r.' + r), r === 'ok' ? 'ok' : r === 'first' ? 'off' : 'danger');
}
