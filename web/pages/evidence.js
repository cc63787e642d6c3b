// pages/evidence.js — /audit, the evidence log for a regulator (证据链核验):
// first a verdict in plain words (is the log signed and only appended to),
// then one record's seal (/audit?entity=hazard&id=12, linked from a hazard's
// and a permit's page and an alarm's dialog): each of its changes is
// recomputed here from the time, person and action shown and proved to be
// in the signed log (RFC 9162 §2.1.3.2 inclusion), and the server says
// whether the live row is still its last sealed version; where the caller
// may read the record, each sealed version is re-hashed here, decoded, and
// what changed from the last one is listed. Below, the
// technical part: the current signed checkpoint (its text to download and
// keep), its Ed25519 signature checked here against the verifier key, and
// the log's consistency with checkpoints kept earlier — the last one this
// browser saw (kept in localStorage, so every visit is a check) and any the
// user pastes or loads from a file. Checks follow docs/internals/audit.md
// §3, §7 and §8: the leaf layout, the C2SP signed note and the RFC 9162
// proofs, with WebCrypto's SHA-256 and Ed25519. The page says what it
// cannot prove: its code comes from the server it checks, so the
// independent check is `worksafe audit verify --against` or the regulator's
// own tool, with the key pinned out of band.
//
// Data: GET /api/v1/audit/key, /audit/checkpoint (text), /audit/proof/consistency,
// /audit/record.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, pageHead, badge, toastError, fmtTime, stackTable, actorName } from '../ui.js';

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

// RFC 9162 §2.1.3.2: leaf `index` with hash `leaf` is in the tree of `size`
// with root `root` (path: hex strings, bottom up).
export async function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const c of path.map(unhex)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(c, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await node(r, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// A leaf's hash from its fields (audit.md §3): 0x00 || 01, seq, ts (ms),
// lp(actor), lp(entity), lp(action), entity_id, content_hash.
export async function leafHash(it) {
  const parts = [it.actor, it.entity, it.action].map((x) => enc.encode(x));
  const b = new Uint8Array(1 + 8 + 8 + parts.reduce((n, p) => n + 4 + p.length, 0) + 8 + 32);
  const dv = new DataView(b.buffer);
  let o = 0;
  b[o++] = 1;
  dv.setBigUint64(o, BigInt(it.seq)); o += 8;
  dv.setBigInt64(o, BigInt(Date.parse(it.ts))); o += 8;
  for (const p of parts) { dv.setUint32(o, p.length); o += 4; b.set(p, o); o += p.length; }
  dv.setBigInt64(o, BigInt(it.entity_id)); o += 8;
  b.set(unhex(it.content_hash), o);
  return sha256(Uint8Array.of(0), b);
}

// A version's content (audit.md §4.1, §4.3): {magic, entity, cols: {name:
// value}}, integers as numbers, a blob as {bytes: n}; null when malformed.
export function decodeRecord(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  let o = 0;
  const take = (n) => { if (o + n > b.length) throw new Error('short'); o += n; return b.subarray(o - n, o); };
  const at = (n) => { const i = o; take(n); return i; }; // the offset of the next n bytes, taken
  const lp = () => take(dv.getUint32(at(4)));
  try {
    const magic = dec.decode(take(4));
    if (magic !== 'WSR1' && magic !== 'WSE1') return null;
    const entity = dec.decode(lp()), cols = {};
    while (o < b.length) {
      const name = dec.decode(lp());
      const ty = take(1)[0];
      if (ty === 0) cols[name] = null;
      else if (ty === 1) cols[name] = Number(dv.getBigInt64(at(8)));
      else if (ty === 2) cols[name] = dec.decode(lp());
      else if (ty === 3) cols[name] = { bytes: lp().length };
      else if (ty === 4) cols[name] = dv.getFloat64(at(8));
      else return null;
    }
    return { magic, entity, cols };
  } catch (e) { return null; }
}

// What changed from one sealed version to the next: [{col, from, to}];
// updated_at leaves out (every change moves it).
export function changes(prev, cur) {
  if (!prev || !cur) return [];
  const out = [];
  for (const col of new Set([...Object.keys(prev), ...Object.keys(cur)])) {
    if (col === 'updated_at') continue;
    const a = prev[col] === undefined ? null : prev[col], b = cur[col] === undefined ? null : cur[col];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ col, from: a, to: b });
  }
  return out;
}

// A column of a sealed version, and its value, in words where the record's
// own pages have them.
const colName = (col) => t('ev.col.' + col, null, col);
function showValue(entity, col, v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return t('ev.bytes', { n: v.bytes });
  if (typeof v === 'number' && /(_at|^deadline|^planned_start|^planned_end)$/.test(col) && v > 1e11) return fmtTime(v);
  if (/_person_id$/.test(col)) return t('actor.person', { id: v });
  if (col === 'state') {
    const pre = { hazard: 'hz.state.', permit: 'pm.state.', alarm: 'al.state.' }[entity];
    if (pre) return t(pre + v, null, String(v));
  }
  const s = String(v);
  return s.length > 80 ? t('ev.long', { n: s.length }) : s;
}

// One change in words: a JSON document (a permit's record) by the parts that
// changed in it, anything else as old → new.
function showChange(entity, c) {
  const doc = (v) => { try { const o = typeof v === 'string' && v[0] === '{' ? JSON.parse(v) : null; return o && typeof o === 'object' ? o : null; } catch (e) { return null; } };
  const a = doc(c.from), b = doc(c.to);
  if (a && b) {
    const parts = changes(a, b).map((d) => t('ev.doc.' + d.col, null, d.col));
    return t('ev.doc_parts', { parts: [...new Set(parts)].join('、') });
  }
  return showValue(entity, c.col, c.from) + ' → ' + showValue(entity, c.col, c.to);
}

// A record's proof file (audit.md §8): the signed checkpoint and the
// record's changes with their paths (and content, where shown); the key is
// not in it: whoever checks it brings the key they pinned.
export function proofFile(note, entity, id, items) {
  const keep = ['seq', 'ts', 'actor', 'entity', 'entity_id', 'action', 'content_hash', 'path', 'salt', 'content'];
  return JSON.stringify({ format: 'worksafe-record-proof/1', checkpoint: note.text, entity, id,
    items: items.map((it) => Object.fromEntries(keep.filter((k) => it[k] !== undefined).map((k) => [k, it[k]]))) }, null, 1);
}

// The kinds of record a regulator asks about most, in the order offered.
const KINDS = ['hazard', 'permit', 'alarm', 'inspection', 'patrol', 'work_order', 'bypass', 'risk_unit', 'point', 'person', 'account'];
const ACTIONS = ['create', 'update', 'delete', 'purge'];
const kindName = (k) => t('ev.kind.' + k, null, k);
// A change's action in words: a permit's steps and an alarm's events as
// their own pages name them.
function actionName(entity, a) {
  if (entity === 'permit') return t('pm.ev.' + a, null, a);
  if (entity === 'alarm') return t('al.ev.' + a, null, a);
  return ACTIONS.includes(a) ? t('ev.act.' + a) : a;
}

// One record: every change recomputed and proved against the checkpoint
// `note` (whose signature the caller checked), and the live row's state.
// {result, state, columns, shown, items: [{...leaf, proved, changes}], last};
// last: the columns of the last sealed version, re-hashed here (null when
// not shown, deleted through worksafe, or any change failed its proof);
// result is 'ok', 'bad_proof' or the server's state when the row moved (a
// record the log never had throws the API's 404).
export async function checkRecord(note, entity, id) {
  const items = [];
  let res, cursor = '';
  do {
    res = await api('GET', `/audit/record?entity=${encodeURIComponent(entity)}&id=${encodeURIComponent(id)}&size=${note.size}&limit=200&cursor=${cursor}`);
    for (const it of res.items) it.actor_name = (res.actor_names || {})[it.actor] || null;
    items.push(...res.items);
    cursor = res.next_cursor || '';
  } while (cursor);
  let prev = null, last = null;
  for (const it of items) {
    // the sealed content, where the caller may read the record: hashed
    // here against the leaf's content hash, decoded, compared with the last
    if (typeof it.content === 'string' && typeof it.salt === 'string') {
      const content = b64(it.content);
      it.content_ok = equal(await sha256(b64(it.salt), content), unhex(it.content_hash));
      const rec = it.content_ok ? decodeRecord(content) : null;
      if (rec && rec.magic === 'WSR1') {
        it.changes = ['create', 'delete'].includes(it.action) ? [] : changes(prev, rec.cols);
        prev = rec.cols;
        last = it.action === 'delete' ? null : rec.cols;
      }
    }
    if (!it.path) { it.proved = 'later'; continue; } // sealed after this checkpoint
    const lh = await leafHash(it);
    it.proved = it.content_ok !== false && equal(lh, unhex(it.leaf_hash)) &&
      (await verifyInclusion(it.seq, note.size, lh, it.path, note.root)) ? 'ok' : 'bad';
  }
  const bad = items.some((it) => it.proved === 'bad');
  const moved = ['changed_outside', 'created_outside', 'deleted_outside'].includes(res.state);
  return { result: bad ? 'bad_proof' : moved ? res.state : 'ok', state: res.state, columns: res.columns, shown: res.content_shown, items,
    last: bad ? null : last };
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

  // The last note this browser verified, checked against the current one; then kept.
  const kept = localStorage.getItem(KEPT);
  const since = kept ? await check(kept, note, key.verifier_key).catch(() => 'invalid') : 'first';
  const was = kept ? parseNote(kept) : null;
  if (sigOk && (since === 'ok' || since === 'first')) localStorage.setItem(KEPT, note.text);

  // The verdict in plain words.
  const good = sigOk && (since === 'ok' || since === 'first');
  root.appendChild(h('section', { class: 'card ev-verdict ' + (good ? 'ev-good' : 'ev-bad'), id: 'ev-verdict', dataset: { result: good ? 'ok' : 'bad' } },
    h('h2', null, good ? t('ev.v.good') : t('ev.v.bad')),
    h('ul', { class: 'ev-points' },
      h('li', null, sigOk ? t('ev.v.signed', { size: note.size.toLocaleString() }) : t('ev.v.unsigned')),
      h('li', null, since === 'first' ? t('ev.v.first') : since === 'ok' ? t('ev.v.appended', { size: was ? was.size.toLocaleString() : '?' })
        : t('ev.r.' + since)))));

  // One record's seal.
  const q = new URLSearchParams(location.search);
  const kind = h('select', { id: 'ev-kind', 'aria-label': t('ev.rec.kind') },
    ...[...KINDS, ...(q.get('entity') && !KINDS.includes(q.get('entity')) ? [q.get('entity')] : [])]
      .map((k) => h('option', { value: k, selected: q.get('entity') === k }, kindName(k))));
  const idIn = h('input', { id: 'ev-id', type: 'number', min: 1, step: 1, inputmode: 'numeric', placeholder: t('ev.rec.id'), value: q.get('id') || '' });
  const recOut = h('div', { id: 'ev-record-out' });
  const runRecord = async () => {
    clear(recOut);
    const id = Number(idIn.value);
    if (!Number.isInteger(id) || id < 1) { recOut.appendChild(h('p', { class: 'notice notice-error' }, t('ev.rec.bad_id'))); return; }
    if (!sigOk) { recOut.appendChild(h('p', { class: 'notice notice-error', dataset: { result: 'bad_sig' } }, t('ev.rec.no_sig'))); return; }
    let r;
    try { r = await checkRecord(note, kind.value, id); } catch (e) {
      if (e.status !== 404) throw e;
      recOut.appendChild(h('p', { class: 'notice', dataset: { result: 'none' } }, t('ev.rec.none', { kind: kindName(kind.value), id })));
      return;
    }
    history.replaceState(null, '', `/audit?entity=${kind.value}&id=${id}`);
    const name = kindName(kind.value) + ' #' + id;
    const proved = r.items.filter((it) => it.proved === 'ok').length;
    const later = r.items.filter((it) => it.proved === 'later').length;
    const lines = [r.result === 'bad_proof' ? t('ev.rec.bad_proof', { name }) : t('ev.rec.proved', { name, n: proved })];
    if (later) lines.push(t('ev.rec.later', { n: later }));
    lines.push(t('ev.rec.state.' + r.state, { cols: (r.columns || []).join('、') }));
    const ok = r.result === 'ok';
    recOut.append(
      h('div', { class: 'ev-verdict ' + (ok ? 'ev-good' : 'ev-bad'), id: 'ev-record-verdict', dataset: { result: r.result, state: r.state } },
        h('ul', { class: 'ev-points' }, ...lines.map((l) => h('li', null, l)))),
      h('div', { class: 'table-wrap' }, stackTable(h('table', { class: 'table', id: 'ev-record-changes' },
        h('thead', null, h('tr', null, ...['ev.rec.when', 'ev.rec.who', 'ev.rec.what', 'ev.rec.proof'].map((k) => h('th', null, t(k))))),
        h('tbody', null, ...r.items.flatMap((it) => [h('tr', { dataset: { proved: it.proved } },
          h('td', null, fmtTime(it.ts)), h('td', null, it.actor_name || actorName(it.actor)),
          h('td', null, actionName(kind.value, it.action)),
          h('td', { title: t('ev.rec.seq') + ' ' + it.seq }, badge(t('ev.proof.' + it.proved), it.proved === 'ok' ? 'ok' : it.proved === 'later' ? 'off' : 'danger'))),
          it.changes && it.changes.length ? h('tr', { class: 'ev-change' }, h('td', { colspan: 4 },
            h('ul', { class: 'ev-changes' }, ...it.changes.map((c) => h('li', { dataset: { col: c.col } },
              h('span', { class: 'ev-col' }, colName(c.col)), t('ev.sep'), showChange(kind.value, c)))))) : null,
        ].filter(Boolean)))))));
    if (!r.shown) recOut.appendChild(h('p', { class: 'muted small', id: 'ev-no-content' }, t('ev.rec.no_content')));
    // A row changed or deleted behind the server's back: what the log last
    // sealed, column by column, the changed ones marked.
    if (r.last && ['changed_outside', 'deleted_outside'].includes(r.state)) {
      const moved = new Set(r.columns || []);
      recOut.appendChild(h('section', { id: 'ev-record-sealed' }, h('h3', null, t('ev.rec.sealed')),
        h('p', { class: 'muted small' }, t('ev.rec.sealed_hint')),
        h('dl', { class: 'facts' }, ...Object.keys(r.last).filter((c) => c !== 'updated_at').flatMap((c) => [
          h('dt', { class: moved.has(c) ? 'ev-moved' : null }, colName(c)),
          h('dd', { dataset: { col: c }, class: moved.has(c) ? 'ev-moved' : null }, showValue(kind.value, c, r.last[c]))]))));
    }
    // The proof to keep: checked later, offline, by `worksafe audit check-proof`.
    const proof = proofFile(note, kind.value, id, r.items);
    recOut.appendChild(h('div', { class: 'card-actions' },
      h('a', { class: 'btn', id: 'ev-proof', download: `proof-${kind.value}-${id}-${note.size}.json`,
        href: URL.createObjectURL(new Blob([proof], { type: 'application/json' })) }, t('ev.rec.download')),
      h('span', { class: 'muted small' }, t('ev.rec.download_hint'))));
  };
  root.appendChild(h('section', { class: 'card', id: 'ev-record' }, h('h2', null, t('ev.rec.title')),
    h('p', { class: 'muted small' }, t('ev.rec.hint')),
    h('form', { class: 'ev-record-form', onsubmit: (e) => { e.preventDefault(); runRecord().catch(toastError); } },
      kind, idIn, h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-record-run' }, t('ev.run'))),
    recOut));
  if (q.get('entity') && q.get('id')) runRecord().catch(toastError);

  // The technical part: the checkpoint itself, to download and keep.
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

  const witness = h('section', { class: 'card', id: 'ev-witness', dataset: { result: since } }, h('h2', null, t('ev.witness')));
  root.appendChild(witness);
  if (kept) witness.append(h('p', null, resultBadge(since), ' ', t('ev.since', { size: was ? was.size : '?' })));
  else witness.append(h('p', { class: 'muted' }, t('ev.first')));

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
