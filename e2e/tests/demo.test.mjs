// The demo as a plant engineer meets it: sign in, see the equipment list, import a
// spreadsheet with a mistake, in Chinese and in English; keep private notes, desensitize a
// report; and the ledger that three independent witnesses cosign and that verifies.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { signIn, startDemo } from '../harness.mjs';

let demo;

before(async () => {
  demo = await startDemo();
});

after(async () => {
  if (demo) await demo.stop();
});

test('the demo prints one account per organisation kind', () => {
  const kinds = demo.accounts.map((a) => a.kind);
  for (const k of ['enterprise', 'manufacturer', 'park', 'service_institution', 'regulator', 'association', 'operator', 'research']) {
    assert.ok(kinds.includes(k), `missing ${k}`);
  }
});

test('an enterprise engineer signs in (Chinese) and sees the equipment list', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal((await page.textContent('h1')).trim(), '设备台账');
  const rows = await page.locator('#equipment-table tbody tr').count();
  assert.ok(rows >= 5, `expected the enterprise's items, saw ${rows} rows`);
  // Open one item and see its risk-model inputs.
  await page.click('#equipment-table tbody tr:first-child a');
  await page.waitForSelector('text=风险模型输入');
  await page.close();
});

test('the same in English, switching language on the sign-in page', async () => {
  const context = await (await demo.freshBrowser()).newContext();
  const page = await context.newPage();
  await page.goto(`${demo.base}/login`);
  await page.click('a.lang');
  await page.waitForSelector('html[lang="en"]');
  assert.equal((await page.textContent('h1')).trim(), 'Sign in');
  await signIn(page, demo.base, demo.account('enterprise'));
  assert.equal((await page.textContent('h1')).trim(), 'Equipment');
  assert.ok((await page.locator('#equipment-table tbody tr').count()) >= 5);
  await context.close();
});

test('a CSV with one bad row is refused with the row named, and nothing is imported', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  const before = await page.locator('#equipment-table tbody tr').count();
  await page.goto(`${demo.base}/equipment/import`);
  const csv = [
    'tag,name,equipment_type,grade,temperature_c,chloride_mg_l,ph',
    'E2E-1,浏览器测试换热器,plate_heat_exchanger,2,80,120000,7',
    'E2E-2,有错误的一行,teapot,2,80,120000,7',
  ].join('\n');
  await page.setInputFiles('#file', { name: 'equipment.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await page.click('form[action="/equipment/import"] button[type="submit"]');
  const errors = page.locator('#import-errors');
  await errors.waitFor();
  const text = await errors.textContent();
  assert.match(text, /equipment_type/);
  const firstCell = (await errors.locator('tbody tr td').first().textContent()).trim();
  assert.equal(firstCell, '3', 'the bad row is row 3 of the file');
  await page.goto(`${demo.base}/equipment?q=E2E`);
  assert.equal(await page.locator('#equipment-table tbody tr').count(), 0, 'nothing was imported');
  await page.goto(`${demo.base}/equipment`);
  assert.equal(await page.locator('#equipment-table tbody tr').count(), before);
  await page.close();
});

test('another enterprise cannot open the first enterprise\'s item', async () => {
  const owner = await (await demo.freshBrowser()).newPage();
  await signIn(owner, demo.base, demo.account('enterprise'));
  const href = await owner.getAttribute('#equipment-table tbody tr:first-child a', 'href');
  await owner.close();
  const other = await (await demo.freshBrowser()).newPage();
  await signIn(other, demo.base, demo.account('enterprise_other'));
  const res = await other.goto(`${demo.base}${href}`);
  assert.equal(res.status(), 404);
  await other.close();
});

test('an engineer keeps private notes on an item and reads them back', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  // The list also shows items park neighbours share; notes belong to the owner's own items.
  await page.locator('#equipment-table tbody tr', { hasText: '本单位' }).first().locator('a').first().click();
  await page.waitForSelector('#notes-text');
  const note = '2025 年停车更换垫片，费用 2.4 万元（浏览器测试）';
  await page.fill('#notes-text', note);
  await Promise.all([page.waitForURL(/done=notes-saved/), page.click('form[action$="/notes"] button[type="submit"]')]);
  assert.equal(await page.inputValue('#notes-text'), note);
  assert.match(await page.textContent('.notice.ok'), /加密/);
  await page.close();
});

test('the desensitization tool redacts identifiers and keeps the technical content', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  await page.click('nav a[href="/privacy"]');
  await page.fill('#privacy-text', 'TA2 板式换热器在 80 °C 下发生缝隙腐蚀。联系人张伟工程师，手机 13812345678，邮箱 zhangwei@example.com。');
  await Promise.all([page.waitForSelector('#privacy-output'), page.click('form[action="/privacy"] button[type="submit"]')]);
  const out = await page.textContent('#privacy-output');
  for (const gone of ['13812345678', 'zhangwei@example.com', '张伟']) assert.ok(!out.includes(gone), `${gone} survived: ${out}`);
  for (const kept of ['TA2', '80 °C', '缝隙腐蚀']) assert.ok(out.includes(kept), `${kept} was altered: ${out}`);
  assert.ok((await page.locator('#privacy-report tbody tr').count()) >= 3);
  await page.close();
});

test('the three witnesses cosign the checkpoint and the ledger verifies', async () => {
  const deadline = Date.now() + 90_000;
  let names = [];
  while (Date.now() < deadline) {
    const text = await (await fetch(`${demo.base}/api/v1/ledger/checkpoint`)).text();
    names = text.split('\n').filter((l) => l.startsWith('— witness.')).map((l) => l.split(' ')[1]);
    if (names.length >= 3) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(names.sort(), ['witness.association.ticorr.local', 'witness.operator.ticorr.local', 'witness.regulator.ticorr.local']);
  const out = execFileSync(demo.binary, ['ledger', 'verify', '--data-dir', demo.dataDir], { encoding: 'utf8' });
  assert.match(out, /^ok:/m);
});

test('an engineer searches in Chinese and in English and gets the same records, with facets that add up', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  // Equipment only: standard clauses carry no titanium-grade facet.
  const totalFor = async (q) => {
    await page.goto(`${demo.base}/search?type=equipment&q=${encodeURIComponent(q)}`);
    await page.waitForSelector('#search-total');
    return Number(await page.getAttribute('#search-total', 'data-total'));
  };
  const zh = await totalFor('钛');
  assert.ok(zh >= 5, `expected the enterprise's titanium items, found ${zh}`);
  const gradeCounts = await page.locator('section[data-facet="grade"] .count').evaluateAll(
    (els) => els.map((e) => Number(e.dataset.count)),
  );
  assert.equal(gradeCounts.reduce((a, b) => a + b, 0), zh, 'grade facet counts add up to the total');
  assert.equal(await totalFor('titanium'), zh);
  // The header box searches from any page; a hit opens its record.
  await page.goto(`${demo.base}/equipment`);
  await page.fill('#quick-q', '钛');
  await page.press('#quick-q', 'Enter');
  await page.waitForSelector('#search-hits');
  const href = await page.getAttribute('#search-hits li:first-child > a', 'href');
  await page.click('#search-hits li:first-child > a');
  await page.waitForURL((url) => href.startsWith(url.pathname));
  await page.waitForSelector('h1');
  await page.close();
});

test('the operator rebuilds the search index and sees it finish, and search answers as before', async () => {
  const engineer = await (await demo.freshBrowser()).newPage();
  await signIn(engineer, demo.base, demo.account('enterprise'));
  const total = async () => {
    await engineer.goto(`${demo.base}/search?q=${encodeURIComponent('钛换热器')}`);
    await engineer.waitForSelector('#search-total');
    return Number(await engineer.getAttribute('#search-total', 'data-total'));
  };
  const before = await total();

  const context = await (await demo.freshBrowser()).newContext();
  const page = await context.newPage();
  await signIn(page, demo.base, demo.account('operator'));
  await page.goto(`${demo.base}/operator/jobs`);
  const docs = Number((await page.textContent('#search-index-docs')).trim());
  assert.ok(docs > 20000, `the demo's index holds its equipment, saw ${docs}`);
  await page.click('#search-reindex');
  // The page follows the rebuild and reloads when it is done.
  await page.waitForSelector('#search-rebuild-state');
  await page.waitForFunction(
    () => !document.querySelector('#search-rebuild-progress'),
    null,
    { timeout: 120000 },
  );
  const count = (await page.textContent('#search-index-facts')).replace(/\s+/g, ' ');
  assert.match(count, new RegExp(`${docs} / ${docs}`), count);
  assert.equal(await page.locator('#search-rebuild-error').count(), 0);
  await context.close();

  assert.equal(await total(), before, 'the rebuilt index answers as before');
  await engineer.close();
});

test('an engineer checks the risk of a brine heater and sees the grade rise with temperature', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  await page.click('a[href="/risk/self-check"]');
  const assess = async (temperature) => {
    await page.selectOption('#in-grade', '2');
    await page.fill('#in-temperature_c', String(temperature));
    await page.fill('#in-ph', '7');
    await page.fill('#in-chloride_mg_l', '150000');
    await page.selectOption('#in-crevice_present', 'yes');
    await page.selectOption('#in-consequence_category', 'C');
    await page.click('#risk-assess');
    await page.waitForSelector('#risk-grade');
    return page.getAttribute('#risk-grade', 'data-grade');
  };
  const cool = await assess(60);
  const hot = await assess(85);
  assert.notEqual(hot, cool, 'the grade changes between 60 and 85 °C');
  const crevice = page.locator('[data-mechanism="crevice_hot_chloride"]');
  assert.equal(await crevice.getAttribute('data-level'), '2');
  assert.match(await crevice.textContent(), /缝隙腐蚀/);
  await page.close();
});

test('a self-check saved as an equipment item keeps its grade, and a hotter service raises it with a history row', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  await page.goto(`${demo.base}/risk/self-check`);
  await page.selectOption('#in-grade', '2');
  await page.fill('#in-temperature_c', '60');
  await page.fill('#in-ph', '7');
  await page.fill('#in-chloride_mg_l', '150000');
  await page.selectOption('#in-crevice_present', 'yes');
  await page.selectOption('#in-deposits_present', 'no');
  await page.selectOption('#in-consequence_category', 'C');
  await page.click('#risk-assess');
  await page.waitForSelector('#risk-save');
  const checked = await page.getAttribute('#risk-grade', 'data-grade');
  await page.fill('#save-tag', 'E-901');
  await page.fill('#save-name', '自检盐水加热器');
  await page.selectOption('#save-type', 'plate_heat_exchanger');
  await page.click('#risk-save-button');
  await page.waitForSelector('#risk-explanation');
  assert.equal(await page.getAttribute('#risk-grade', 'data-grade'), checked, 'the item has the grade of the check');
  assert.equal(await page.locator('#risk-history tbody tr').count(), 1);
  // Hotter: edit the temperature, and the grade and the explanation follow.
  await page.click('a[href$="/edit"]');
  await page.fill('#temperature_c', '85');
  await page.click('form.form button[type=submit]');
  await page.waitForSelector('#risk-history');
  const hot = await page.getAttribute('#risk-grade', 'data-grade');
  assert.notEqual(hot, checked, 'the grade changes between 60 and 85 °C');
  assert.match(await page.textContent('#risk-explanation'), /CR2/);
  assert.equal(await page.locator('#risk-history tbody tr').count(), 2);
  assert.match(await page.textContent('#risk-history tbody tr:first-child'), /85/);
  // The overview counts it.
  await page.goto(`${demo.base}/risk/overview?scope=mine`);
  const items = Number(await page.getAttribute('#overview-items', 'data-items'));
  assert.ok(items >= 1);
  await page.close();
});

test('anyone reads the released standards, and an engineer sees which clauses bind an item and why', async () => {
  const visitor = await (await demo.freshBrowser()).newPage();
  await visitor.goto(`${demo.base}/standards`);
  const rows = await visitor.locator('#standards-table tbody tr').count();
  assert.ok(rows >= 9, `the platform standards are public, saw ${rows}`);
  await visitor.click('#standards-table tbody tr:first-child a');
  await visitor.waitForSelector('article.clause');
  assert.ok(await visitor.locator('article.clause').count() >= 5);
  await visitor.close();

  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  await page.click('#equipment-table tbody tr:first-child a');
  await page.click('#standards-link');
  await page.waitForSelector('#match-summary');
  const applicable = Number(await page.getAttribute('#match-summary', 'data-applicable'));
  assert.ok(applicable >= 1, 'general clauses apply to every item');
  // Clauses are found through the search box in Chinese and in English alike.
  const clauses = async (q) => {
    await page.goto(`${demo.base}/search?type=standard&q=${encodeURIComponent(q)}`);
    await page.waitForSelector('#search-total');
    return Number(await page.getAttribute('#search-total', 'data-total'));
  };
  assert.ok(await clauses('含氟清洗剂') >= 1);
  // The enterprise's own specification is among its standards, not among a stranger's.
  await page.goto(`${demo.base}/standards`);
  assert.match(await page.textContent('#standards-table'), /Q\/XX-TI 003-2025/);
  await page.close();
  const other = await (await demo.freshBrowser()).newPage();
  await signIn(other, demo.base, demo.account('enterprise_other'));
  await other.goto(`${demo.base}/standards`);
  assert.doesNotMatch(await other.textContent('#standards-table'), /Q\/XX-TI 003-2025/);
  await other.close();
});

test('an engineer runs a self-inspection: a gap without a note is refused, then the outcome is critical', async () => {
  const page = await (await demo.freshBrowser()).newPage();
  await signIn(page, demo.base, demo.account('enterprise'));
  await page.goto(`${demo.base}/standards`);
  await page.click('#inspections-link');
  await page.click('#start-all button');
  await page.waitForSelector('#inspection-form');
  assert.equal(await page.getAttribute('#inspection-score', 'data-outcome'), 'incomplete');
  const first = page.locator('#inspection-form fieldset.mandatory').first();
  await first.locator('input[value="not_conform"]').check();
  await page.click('#inspection-save');
  await page.waitForSelector('.field-error');
  await page.locator('#inspection-form fieldset.mandatory').first().locator('textarea').fill('垫片缝隙处温度 85 °C，超过 70 °C');
  await page.click('#inspection-save');
  await page.waitForSelector('.notice.ok');
  assert.equal(await page.getAttribute('#inspection-score', 'data-outcome'), 'critical');
  assert.equal(await page.getAttribute('#inspection-score', 'data-critical'), '1');
  await page.close();
});
