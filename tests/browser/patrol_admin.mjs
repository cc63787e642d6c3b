// patrol_admin.mjs — the patrol points and checklists page (/admin/patrol,
// pages/patrol_admin.js) as the admin: a fresh point of a demo grid is
// made from the page (a bad code named first), renamed and given a photo
// rule, retired and brought back, and the server agrees each time; a
// checklist still used by points cannot be retired, and the page says why in
// Chinese; a new checklist is made and, unused, retired. Run from run.mjs with its
// harness; it leaves the demo's own points as they were.
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
    await nf.locator('button[type="submit"]').click();
    const row = page.locator(`.pa-point[data-code="${code}"]`);
    await row.waitFor();
    const made = (await apiGet(page, '/patrol-points?code=' + code)).body.items[0];
    assert(made && made.grid_unit_id === used.grid_unit_id && made.name === '临时点位' && made.active, 'the new point: ' + JSON.stringify(made));
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
}
