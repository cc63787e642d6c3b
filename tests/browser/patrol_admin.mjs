// patrol_admin.mjs — the patrol points and checklists page (/admin/patrol,
// pages/patrol_admin.js) as the admin: a fresh point of a demo grid is
// made from the page (a bad code and half a GPS pair named first; its place
// from the browser's location, a risk point of its grid), renamed and given a photo
// rule, retired and brought back, and the server agrees each time; a
// checklist still used by points cannot be retired, and the page says why in
// Chinese; a new checklist is made and, unused, retired. A cross-supervision
// rota row is added from the page (no day, and a grid inspecting itself, are
// named first), shown with its days, given other days, and removed; the demo's own rota rows
// keep their ids throughout. Run from run.mjs with its harness; it leaves the
// demo's own points and rota as they were.
export async function run(hz) {
  const { test, assert, loginAdmin, apiGet, missingStrings, BASE } = hz;

  await test('patrol admin: a point made, renamed, asked for a photo, retired and brought back from the page; a used checklist stays, a new one goes', async (w) => {
    const page = await loginAdmin(w);
    const pts = (await apiGet(page, '/patrol-points?limit=200')).body.items;
    const used = pts.find((p) => p.active && p.template_id);
    assert(used, 'the demo has no active point with a checklist');
    const code = 'PA' + Date.now().toString(36).toUpperCase();
    await page.goto(BASE + '/admin/patrol');
    await page.locator('#pa-page').waitFor();
    await missingStrings(page);
    // a new point from the page: a bad code is named, a good one is made
    await page.locator('#pa-new-point').click();
    const nf = page.locator('#pa-new-point-form');
    await nf.locator('select[name="grid_unit_id"]').selectOption(String(used.grid_unit_id));
    await nf.locator('input[name="code"]').fill('bad code');
    await nf.locator('input[name="name"]').fill('临时点位');
    await nf.locator('button[type="submit"]').click();
    await nf.locator('.field[data-field="code"] .field-error').filter({ hasText: /\S/ }).waitFor();
    await nf.locator('input[name="code"]').fill(code);
    // its place: half a pair is named; this device's location fills both
    await nf.locator('input[name="lat"]').fill('30.2');
    await nf.locator('button[type="submit"]').click();
    await nf.locator('.field[data-field="lon"] .field-error').filter({ hasText: /\S/ }).waitFor();
    await page.context().grantPermissions(['geolocation'], { origin: BASE });
    await page.context().setGeolocation({ latitude: 30.123456, longitude: 120.654321 });
    await nf.locator('#pa-here').click();
    await page.waitForFunction(() => document.querySelector('#pa-new-point-form input[name="lon"]').value !== '');
    assert(await nf.locator('input[name="lat"]').inputValue() === '30.123456', 'the location did not fill the latitude');
    await nf.locator('input[name="radius_m"]').fill('50');
    // a risk point of the grid, when it has one: the list offers the grid's own (the demo's sit
    // on the areas above its grids, so there it offers none)
    const risks = (await apiGet(page, '/risk/objects?unit_id=' + used.grid_unit_id + '&limit=200')).body.items;
    await nf.locator(`select[name="risk_object_id"][data-grid="${used.grid_unit_id}"]`).waitFor({ state: 'attached' });
    const offered = await nf.locator('select[name="risk_object_id"] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert(JSON.stringify(offered) === JSON.stringify(risks.map((x) => String(x.id))), 'risk points offered: ' + offered.join(','));
    if (risks.length) {
      await nf.locator('select[name="risk_object_id"]').selectOption(String(risks[0].id));
    }
    await nf.locator('button[type="submit"]').click();
    const row = page.locator(`.pa-point[data-code="${code}"]`);
    await row.waitFor();
    const made = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(made && made.grid_unit_id === used.grid_unit_id && made.name === '临时点位' && made.active, 'the new point: ' + JSON.stringify(made));
    assert(made.lat === 30.123456 && made.lon === 120.654321 && made.radius_m === 50, 'the point\'s place: ' + JSON.stringify(made));
    assert(made.risk_object_id === (risks.length ? risks[0].id : null), 'the point\'s risk point: ' + made.risk_object_id);
    assert((await row.locator('.pa-gps').innerText()).includes('30.12346'), 'the row does not show the place');
    const id = made.id;
    // rename and ask for a photo
    await row.locator('[data-action="edit"]').click();
    const form = page.locator('#pa-point-form');
    await form.locator('input[name="name"]').fill('东侧围堰');
    await form.locator('input[name="photo_required"]').check();
    await form.locator('button[type="submit"]').click();
    await page.locator(`.pa-point[data-code="${code}"]`).filter({ hasText: '东侧围堰' }).waitFor();
    let srv = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(srv.name === '东侧围堰' && srv.photo_required === true && srv.code === code, 'after the edit: ' + JSON.stringify(srv));
    // a name too long is named in Chinese, nothing changes
    await page.locator(`.pa-point[data-code="${code}"] [data-action="edit"]`).click();
    await form.locator('input[name="name"]').evaluate((el) => { el.removeAttribute('maxlength'); });
    await form.locator('input[name="name"]').fill('长'.repeat(150));
    await form.locator('button[type="submit"]').click();
    await form.locator('.field[data-field="name"] .field-error').filter({ hasText: /\S/ }).waitFor();
    await form.locator('button', { hasText: '取消' }).click();
    srv = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(srv.name === '东侧围堰', 'a refused edit changed the name: ' + srv.name);
    // retire, then bring back
    await page.locator(`.pa-point[data-code="${code}"] [data-action="retire"]`).click();
    await page.locator(`.pa-point[data-code="${code}"][data-active="false"]`).waitFor();
    srv = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(srv.active === false, 'the point is not retired on the server');
    await page.locator(`.pa-point[data-code="${code}"] [data-action="restore"]`).click();
    await page.locator(`.pa-point[data-code="${code}"][data-active="true"]`).waitFor();
    srv = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(srv.active === true && srv.id === id, 'the point is not back on the server');
    // the checklist of a demo point in use is not retired: the toast says why
    const tpl = page.locator(`.pa-template[data-template="${used.template_id}"]`);
    await tpl.locator('[data-action="retire"]').click();
    await page.locator('#toast.toast-error').waitFor();
    const said = await page.locator('#toast').innerText();
    assert(said.includes('仍有巡查点'), 'the refusal does not say why: ' + said);
    const still = (await apiGet(page, '/patrol-templates')).body.items.find((x) => x.id === used.template_id);
    assert(still && still.active, 'a checklist in use was retired');
    // a new checklist from the page, then retired (nothing uses it)
    const tname = '临时清单' + code;
    await page.locator('#pa-new-template').click();
    const tf = page.locator('#pa-new-template-form');
    await tf.locator('select[name="enterprise_id"]').selectOption(String(used.enterprise_id || (await apiGet(page, '/units/' + used.grid_unit_id)).body.enterprise_id));
    await tf.locator('input[name="name"]').fill(tname);
    await tf.locator('textarea[name="items"]').fill('消防通道畅通\n\n灭火器在位\n');
    await tf.locator('button[type="submit"]').click();
    await page.locator('.pa-template').filter({ hasText: tname }).waitFor();
    const nt = (await apiGet(page, '/patrol-templates')).body.items.find((x) => x.name === tname);
    assert(nt && nt.items.length === 2, 'the new checklist: ' + JSON.stringify(nt));
    await page.locator(`.pa-template[data-template="${nt.id}"] [data-action="retire"]`).click();
    await page.locator(`.pa-template[data-template="${nt.id}"]`).waitFor({ state: 'detached' });
    assert(!(await apiGet(page, '/patrol-templates')).body.items.some((x) => x.id === nt.id), 'the unused checklist was not retired');
    await page.close();
  });

  await test('patrol admin: a cross-supervision rota row added (its mistakes named first), given other days and removed; the other rows keep their ids', async (w) => {
    const page = await loginAdmin(w);
    const grids = (await apiGet(page, '/units?kind=grid&limit=200')).body.items.filter((g) => g.active);
    const before = (await apiGet(page, '/patrol-rota')).body.items;
    let from = null, to = null;
    for (const a of grids) {
      for (const b of grids) {
        if (!from && a.id !== b.id && a.enterprise_id === b.enterprise_id &&
            !before.some((r) => r.inspector_grid_id === a.id && r.target_grid_id === b.id)) { from = a; to = b; }
      }
    }
    assert(from && to, 'no two grids of one enterprise without a rota row');
    await page.goto(BASE + '/admin/patrol');
    await page.locator('#pa-rota').waitFor();
    await missingStrings(page);
    await page.locator('#pa-new-rota').click();
    const f = page.locator('#pa-rota-form');
    await f.locator('select[name="inspector_grid_id"]').selectOption(String(from.id));
    await f.locator('select[name="target_grid_id"]').selectOption(String(from.id));
    for (const box of await f.locator('input[name="weekdays"]').all()) await box.uncheck();
    await f.locator('button[type="submit"]').click();
    const dayErr = f.locator('[data-field="weekdays"] .field-error');
    await dayErr.filter({ hasText: /\S/ }).waitFor();
    assert((await dayErr.innerText()).includes('至少选择一天'), 'no day is not named: ' + await dayErr.innerText());
    await f.locator('input[name="weekdays"][value="0"]').check();
    await f.locator('input[name="weekdays"][value="3"]').check();
    await f.locator('button[type="submit"]').click(); /* a grid inspecting itself: the server names the target */
    await f.locator('.field[data-field="target_grid_id"] .field-error').filter({ hasText: /\S/ }).waitFor();
    await f.locator('select[name="target_grid_id"]').selectOption(String(to.id));
    await f.locator('button[type="submit"]').click();
    const row = page.locator(`.pa-rota[data-from="${from.id}"][data-to="${to.id}"]`);
    await row.waitFor();
    const shown = await row.innerText();
    assert(shown.includes('周一') && shown.includes('周四') && !shown.includes('周二'), 'the row does not show its days: ' + shown);
    let after = (await apiGet(page, '/patrol-rota')).body.items;
    const made = after.find((r) => r.inspector_grid_id === from.id && r.target_grid_id === to.id);
    assert(made && made.weekdays === 9, 'the new row on the server: ' + JSON.stringify(made));
    const ids = (xs) => xs.filter((r) => r.inspector_grid_id !== from.id || r.target_grid_id !== to.id).map((r) => r.id).sort((a, b) => a - b).join(',');
    assert(ids(after) === ids(before), 'the other rows changed ids: ' + ids(before) + ' -> ' + ids(after));
    // its days changed in place: the grids are fixed in the dialog, the others keep their ids
    await row.locator('[data-action="edit"]').click();
    assert(await f.locator('select[name="target_grid_id"]').isDisabled(), 'the edit lets the grids change');
    assert(await f.locator('input[name="weekdays"][value="3"]').isChecked(), 'the edit does not show the row\'s days');
    await f.locator('input[name="weekdays"][value="3"]').uncheck();
    await f.locator('input[name="weekdays"][value="5"]').check();
    await f.locator('button[type="submit"]').click();
    await page.locator(`.pa-rota[data-from="${from.id}"][data-to="${to.id}"]`).filter({ hasText: '周六' }).waitFor();
    after = (await apiGet(page, '/patrol-rota')).body.items;
    const changed = after.filter((r) => r.inspector_grid_id === from.id && r.target_grid_id === to.id);
    assert(changed.length === 1 && changed[0].weekdays === 33, 'the changed row on the server: ' + JSON.stringify(changed));
    assert(ids(after) === ids(before), 'changing a row changed the others: ' + ids(before) + ' -> ' + ids(after));
    await row.locator('[data-action="remove"]').click();
    await row.waitFor({ state: 'detached' });
    after = (await apiGet(page, '/patrol-rota')).body.items;
    assert(!after.some((r) => r.inspector_grid_id === from.id && r.target_grid_id === to.id), 'the row was not removed');
    assert(ids(after) === ids(before), 'removing a row changed the others: ' + ids(before) + ' -> ' + ids(after));
    await page.close();
  });
}
