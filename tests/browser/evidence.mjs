// evidence.mjs — the evidence log page (/audit, pages/evidence.js) as the
// park's regulator: the current checkpoint's signature checks out in the
// browser; this browser keeps it, and after the log grows (the admin signs in:
// a leaf) the next visit proves with a real consistency proof that the log was
// only appended to; a kept note pasted back checks out, the same note with its
// root altered is refused (signature), and a wrong root fails the consistency
// check itself. Run from run.mjs with its harness.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';

// The server binary of this checkout (the test build, else the release build).
const BUILD = path.join(path.dirname(new URL(import.meta.url).pathname), '../../build');
const WORKSAFE = fs.existsSync(path.join(BUILD, 'test/worksafe')) ? path.join(BUILD, 'test/worksafe') : path.join(BUILD, 'worksafe');

export async function run(hz) {
  const { test, assert, login, loginAdmin, missingStrings, apiGet, BASE } = hz;

  await test('evidence: the regulator checks the signed checkpoint and, after the log grows, its consistency in the browser', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    assert(file, 'WS_DEMO_ACCOUNTS is not set');
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('regulator '));
    assert(line, 'the demo has no regulator account');
    const page = await w.newPage();
    await login(page, 'regulator', line.split(' ')[1]);
    await page.locator('#home-scope').waitFor();
    await page.goto(BASE + '/audit');
    await page.locator('#ev-current[data-signature="ok"]').waitFor();
    await page.locator('#ev-witness[data-result="first"]').waitFor();
    await missingStrings(page);
    const first = await page.locator('#ev-note').innerText();
    const size1 = Number(await page.locator('#ev-current').getAttribute('data-size'));

    // the log grows: a sign-in is a leaf
    const admin = await loginAdmin(w);
    await admin.close();
    await page.reload();
    await page.locator('#ev-witness[data-result]').waitFor();
    const size2 = Number(await page.locator('#ev-current').getAttribute('data-size'));
    assert(size2 > size1, `the log did not grow: ${size1} -> ${size2}`);
    assert(await page.locator('#ev-witness').getAttribute('data-result') === 'ok', 'the kept checkpoint is not consistent with the grown log: ' +
      await page.locator('#ev-witness').getAttribute('data-result'));

    // a kept note pasted back checks out; the same note with another root does not
    await page.locator('#ev-paste').fill(first);
    await page.locator('#ev-run').click();
    await page.locator('#ev-results li[data-result]').waitFor();
    assert(await page.locator('#ev-results li').first().getAttribute('data-result') === 'ok', 'the kept note does not check out');
    const lines = first.split('\n');
    lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
    await page.locator('#ev-paste').fill(lines.join('\n'));
    await page.locator('#ev-run').click();
    await page.locator('#ev-results li[data-result="bad_sig"]').waitFor();
    // the consistency check fails on a wrong root by itself (not only through the signature)
    const verdicts = await page.evaluate(async ([n1, s2]) => {
      const m = await import('/pages/evidence.js');
      const a = m.parseNote(n1);
      const cur = m.parseNote(await (await fetch('/api/v1/audit/checkpoint', { credentials: 'same-origin' })).text());
      const path = (await (await fetch(`/api/v1/audit/proof/consistency?old=${a.size}&new=${cur.size}`, { credentials: 'same-origin' })).json()).path;
      const wrong = a.root.slice(); wrong[0] ^= 1;
      return [await m.verifyConsistency(a.size, cur.size, a.root, cur.root, path), await m.verifyConsistency(a.size, cur.size, wrong, cur.root, path),
        cur.size >= s2];
    }, [first, size2]);
    assert(verdicts[0] === true && verdicts[1] === false && verdicts[2], 'consistency verdicts: ' + JSON.stringify(verdicts));

    // Signatures under keys whose base64 holds '+' and '/' (the verifier key is
    // name+keyid+base64): a note signed here with a fresh key checks out, and not
    // after a byte of its body changes.
    const sig = await page.evaluate(async () => {
      const m = await import('/pages/evidence.js');
      const enc = new TextEncoder();
      const b64 = (u) => btoa(String.fromCharCode(...u));
      for (let i = 0; i < 200; i++) {
        const kp = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
        const pub = new Uint8Array(await crypto.subtle.exportKey('raw', kp.publicKey));
        const keyB64 = b64(Uint8Array.of(1, ...pub));
        if (!keyB64.includes('+')) continue;
        const name = 'test/origin';
        const id = new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.of(...enc.encode(name + '\n'), 1, ...pub))).slice(0, 4);
        const hex = [...id].map((x) => x.toString(16).padStart(2, '0')).join('');
        const body = name + '\n5\n' + b64(new Uint8Array(32).fill(7)) + '\n';
        const s = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, kp.privateKey, enc.encode(body)));
        const note = body + '\n\u2014 ' + name + ' ' + b64(Uint8Array.of(...id, ...s)) + '\n';
        const key = name + '+' + hex + '+' + keyB64;
        return [await m.verifySignature(m.parseNote(note), key), await m.verifySignature(m.parseNote(note.replace('\n5\n', '\n6\n')), key)];
      }
      return null;
    });
    assert(sig && sig[0] === true && sig[1] === false, 'signature verdicts with a key holding "+": ' + JSON.stringify(sig));
  });

  await test('evidence: one record\'s seal, from its page — every change proved in the browser; its proof file checks out offline with the CLI and fails once changed; a title changed in the database is named and a sealed version altered is refused, and putting them back clears it; a permit\'s sealed history reads in steps, not shown to another enterprise', async (w) => {
    const file = process.env.WS_DEMO_ACCOUNTS;
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('regulator '));
    const page = await w.newPage();
    await login(page, 'regulator', line.split(' ')[1]);
    await page.locator('#home-scope').waitFor();
    const list = await apiGet(page, '/hazards?limit=5');
    assert(list.status === 200 && list.body.items.length, 'the regulator sees no hazard');
    const hz = list.body.items[0];
    await page.goto(BASE + '/hazards/' + hz.id);
    await page.locator('#hz-evidence').click();
    await page.waitForURL(new RegExp(`/audit\\?entity=hazard&id=${hz.id}$`));
    const verdict = page.locator('#ev-record-verdict');
    await verdict.waitFor();
    assert(await page.locator('#ev-verdict').getAttribute('data-result') === 'ok', 'the log\'s verdict is not ok');
    assert(await verdict.getAttribute('data-result') === 'ok', 'the hazard\'s seal: ' + await verdict.getAttribute('data-result'));
    const proved = await page.locator('#ev-record-changes tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.proved));
    assert(proved.length >= 1 && proved.every((p) => p === 'ok'), 'changes proved: ' + proved.join(','));
    await missingStrings(page);

    // The title changed with the database's own tools, behind the server's back.
    const db = path.join(path.dirname(file), 'worksafe.db');
    const sql = (q, ...args) => execFileSync('python3', ['-c',
      'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=30); c.execute(sys.argv[2], sys.argv[3:]); c.commit()', db, q, ...args.map(String)]);
    sql('UPDATE hazards SET title = ? WHERE id = ?', hz.title + '（已改）', hz.id);
    try {
      await page.reload();
      await page.locator('#ev-record-verdict[data-result="changed_outside"]').waitFor();
      assert((await verdict.innerText()).includes('title'), 'the changed column is not named: ' + await verdict.innerText());
      // what the log last sealed, the changed column marked
      const sealedTitle = page.locator('#ev-record-sealed dd.ev-moved[data-col="title"]');
      assert(await sealedTitle.innerText() === hz.title, 'the sealed title shown: ' + await sealedTitle.innerText());
    } finally {
      sql('UPDATE hazards SET title = ? WHERE id = ?', hz.title, hz.id);
    }
    await page.reload();
    await page.locator('#ev-record-verdict[data-result="ok"]').waitFor();

    // The proof file, kept by the regulator, checks out offline with the
    // key shown on the page, and not with a change in it.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#ev-proof').click()]);
    const proofPath = path.join(os.tmpdir(), `ws-proof-${process.pid}.json`);
    await dl.saveAs(proofPath);
    const key = (await page.locator('#ev-key').innerText()).trim();
    const cli = (file) => spawnSync(WORKSAFE, ['audit', 'check-proof', file, '--key', key], { encoding: 'utf8' });
    try {
      let r = cli(proofPath);
      assert(r.status === 0 && r.stdout.includes(`OK: hazard ${hz.id}`), 'the downloaded proof does not check out: ' + r.stdout + r.stderr);
      const proof = JSON.parse(fs.readFileSync(proofPath, 'utf8'));
      proof.items[0].ts = new Date(Date.parse(proof.items[0].ts) + 1000).toISOString();
      fs.writeFileSync(proofPath, JSON.stringify(proof));
      r = cli(proofPath);
      assert(r.status === 1 && r.stdout.includes('FAIL'), 'a proof with its time moved checks out: ' + r.stdout + r.stderr);
    } finally {
      fs.rmSync(proofPath, { force: true });
    }

    // A sealed version's content altered in the database: its hash no
    // longer matches its leaf, and the browser says so.
    const seq = (await apiGet(page, `/audit/record?entity=hazard&id=${hz.id}`)).body.items[0].seq;
    const dump = (q, ...args) => execFileSync('python3', ['-c',
      'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=30); print(c.execute(sys.argv[2], sys.argv[3:]).fetchone()[0])', db, q, ...args.map(String)]).toString().trim();
    const hexContent = dump('SELECT hex(content) FROM record_version WHERE seq = ?', seq);
    const flipped = hexContent.slice(0, -2) + (hexContent.slice(-2) === '41' ? '42' : '41');
    sql(`UPDATE record_version SET content = X'${flipped}' WHERE seq = ?`, seq);
    try {
      await page.reload();
      await page.locator('#ev-record-verdict[data-result="bad_proof"]').waitFor();
      assert(await page.locator('#ev-record-changes tbody tr[data-proved="bad"]').count() === 1, 'the altered version is not the one refused');
    } finally {
      sql(`UPDATE record_version SET content = X'${hexContent}' WHERE seq = ?`, seq);
    }
    await page.reload();
    await page.locator('#ev-record-verdict[data-result="ok"]').waitFor();

    // The proofs themselves: a leaf recomputed here is the server's, and does
    // not prove against another root; a number the log never had is said so.
    const checks = await page.evaluate(async (id) => {
      const m = await import('/pages/evidence.js');
      const note = m.parseNote(await (await fetch('/api/v1/audit/checkpoint', { credentials: 'same-origin' })).text());
      const rec = await (await fetch(`/api/v1/audit/record?entity=hazard&id=${id}&size=${note.size}`, { credentials: 'same-origin' })).json();
      const it = rec.items[0];
      const lh = await m.leafHash(it);
      const hex = [...lh].map((x) => x.toString(16).padStart(2, '0')).join('');
      const wrong = note.root.slice(); wrong[5] ^= 1;
      const other = { ...it, action: it.action === 'create' ? 'update' : 'create' };
      return [hex === it.leaf_hash, await m.verifyInclusion(it.seq, note.size, lh, it.path, note.root),
        await m.verifyInclusion(it.seq, note.size, lh, it.path, wrong),
        await m.verifyInclusion(it.seq, note.size, await m.leafHash(other), it.path, note.root)];
    }, hz.id);
    assert(JSON.stringify(checks) === '[true,true,false,false]', 'leaf and inclusion verdicts: ' + JSON.stringify(checks));
    // The decoder against the example of docs/internals/audit.md §4.1, and cut short.
    const decoded = await page.evaluate(async () => {
      const m = await import('/pages/evidence.js');
      const hex = ['57535231 00000009 746573745f6974656d', '00000002 6964 01 0000000000000002',
        '00000004 6e616d65 02 00000006 e5bca0e4b889', '00000003 717479 01 fffffffffffffffb',
        '00000004 64617461 03 00000002 00ff'].join('').replace(/ /g, '');
      const b = Uint8Array.from(hex.match(/../g), (x) => parseInt(x, 16));
      return [m.decodeRecord(b), m.decodeRecord(b.slice(0, b.length - 1)), m.changes({ a: 1, b: 'x', updated_at: 1 }, { a: 2, b: 'x', updated_at: 2, c: null })];
    });
    assert(JSON.stringify(decoded) === JSON.stringify([{ magic: 'WSR1', entity: 'test_item', cols: { id: 2, name: '张三', qty: -5, data: { bytes: 2 } } }, null,
      [{ col: 'a', from: 1, to: 2 }]]), 'decoded: ' + JSON.stringify(decoded));
    // A permit's changes name the people who made them (person.read in scope).
    // (the demo's permits were applied for by people; tests before this one add some as admin)
    const permits = await apiGet(page, '/permits?limit=50');
    assert(permits.status === 200 && permits.body.items.length, 'the regulator sees no permit');
    let pm = null, names = [];
    for (const p of permits.body.items) {
      const rec = await apiGet(page, `/audit/record?entity=permit&id=${p.id}`);
      names = Object.values(rec.body.actor_names || {}).filter(Boolean);
      if (names.length) { pm = p; break; }
    }
    assert(pm, 'no permit names any actor');
    await page.goto(BASE + '/permits/' + pm.id);
    await page.locator('#pm-evidence').click();
    await page.locator('#ev-record-verdict[data-result="ok"]').waitFor();
    // its sealed versions, decoded here: the state's steps in the permit's words
    const steps = await page.locator('#ev-record-changes li[data-col="state"]').allInnerTexts();
    assert(steps.length >= 1 && steps.every((x) => x.includes('→')), 'the state changes are not shown: ' + JSON.stringify(steps));
    await missingStrings(page);
    // Another enterprise's manager may read the log but not this permit: no content.
    const m2line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('manager2 '));
    const other = await w.newPage();
    await login(other, 'manager2', m2line.split(' ')[1]);
    await other.locator('#home-scope').waitFor();
    const seen = await apiGet(other, `/audit/record?entity=permit&id=${pm.id}`);
    assert(seen.status === 200 && seen.body.content_shown === false && seen.body.items.every((i) => i.content === undefined),
      'another enterprise sees the permit\'s content: ' + JSON.stringify(seen.body).slice(0, 200));
    assert((await page.locator('#ev-record-changes').innerText()).includes(names[0]), `the page does not name ${names[0]}`);
    // The hazard's row deleted with the database's own tools: its sealed
    // versions are still shown to who may read the unit its last version
    // names, re-hashed and proved as before, and still not to another
    // enterprise.
    sql('CREATE TABLE ws_test_kept AS SELECT * FROM hazards WHERE id = ?', hz.id);
    sql('DELETE FROM hazards WHERE id = ?', hz.id);
    try {
      const gone = (await apiGet(page, `/audit/record?entity=hazard&id=${hz.id}`)).body;
      assert(gone.state === 'deleted_outside' && gone.content_shown === true && gone.items.some((i) => i.content),
        'the deleted hazard\'s sealed content is not shown to its regulator: ' + JSON.stringify(gone).slice(0, 200));
      const theirs = (await apiGet(other, `/audit/record?entity=hazard&id=${hz.id}`)).body;
      assert(theirs.content_shown === false && theirs.items.every((i) => i.content === undefined),
        'another enterprise sees the deleted hazard\'s content');
      await page.goto(BASE + `/audit?entity=hazard&id=${hz.id}`);
      await page.locator('#ev-record-verdict[data-result="deleted_outside"]').waitFor();
      assert(await page.locator('#ev-no-content').count() === 0, 'the page says the deleted hazard\'s content is not shown');
      assert(await page.locator('#ev-record-sealed dd[data-col="title"]').innerText() === hz.title, 'the deleted hazard\'s sealed title is not shown');
      const rows = await page.locator('#ev-record-changes tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.proved));
      assert(rows.length >= 1 && rows.every((p) => p === 'ok'), 'the deleted hazard\'s changes proved: ' + rows.join(','));
      await missingStrings(page);
    } finally {
      sql('INSERT INTO hazards SELECT * FROM ws_test_kept');
      sql('DROP TABLE ws_test_kept');
    }
    await other.close();
    await page.locator('#ev-id').fill('99999999');
    await page.locator('#ev-record-run').click();
    await page.locator('#ev-record-out [data-result="none"]').waitFor();
    await page.close();
  });
}
