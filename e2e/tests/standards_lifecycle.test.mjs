// The standards lifecycle and the local supplementary clauses as their users meet them:
// a visitor compares two released versions; the secretariat runs a formal check; a
// reviewer votes; an enterprise comments in a public consultation, writes a stricter local
// supplement that an expert then assesses, and attaches evidence to a gap of its
// self-inspection report.
//
// The demo seeds the proposals (see crates/demo/data/standard_proposals.json): a revision of
// T/TICORR 005 released as 2.0 and an erratum of T/TICORR 001 released as 1.1, a proposal
// at the formal check, one in expert review with the research account on the panel and
// every clause left for it to vote, one in public consultation. The tests find them by
// their stage, not by their identifiers. They run in file order on one demo: the formal
// check passed in one test puts a second proposal into expert review, which the reviewer's
// test tells apart by the vote form only a panel member sees.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { signIn, startDemo } from '../harness.mjs';

let demo;

before(async () => {
  demo = await startDemo();
});

after(async () => {
  if (demo) await demo.stop();
});

// A page of its own (own cookies) signed in as the demo account of `kind`; in English when
// asked, switching on the sign-in page as a person would.
async function pageAs(kind, { english = false } = {}) {
  const context = await (await demo.freshBrowser()).newContext();
  const page = await context.newPage();
  if (english) {
    await page.goto(`${demo.base}/login`);
    await page.click('a.lang');
    await page.waitForSelector('html[lang="en"]');
  }
  await signIn(page, demo.base, demo.account(kind));
  return page;
}

async function closeAll(page) {
  await page.context().close();
}

// The user's own name as the header shows it ("name · organisation").
async function ownName(page) {
  return (await page.textContent('header a.who')).split(' · ')[0].trim();
}

// The links of the proposals the list shows at `stage`.
async function draftLinks(page, stage) {
  await page.goto(`${demo.base}/standards/drafts`);
  await page.waitForSelector('#drafts-table');
  return page.locator(`#drafts-table tbody tr:has(.badge.stage-${stage}) td.tag a`).evaluateAll(
    (as) => as.map((a) => a.getAttribute('href')),
  );
}

// The text of everything shown under clause `number` on a proposal page, up to the next
// clause: its tally and its comments.
function underClause(page, number) {
  return page.evaluate((n) => {
    const clause = document.getElementById(`clause-${n}`);
    let text = '';
    for (let el = clause.nextElementSibling; el && !el.matches('article.clause'); el = el.nextElementSibling) {
      text += `${el.textContent}\n`;
    }
    return text;
  }, number);
}

test('a visitor compares the two versions of a revised standard and sees what changed, character by character', async () => {
  const context = await (await demo.freshBrowser()).newContext();
  const page = await context.newPage();
  await page.goto(`${demo.base}/standards`);
  const hrefs = await page.locator('#standards-table tbody tr td.tag a').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href')),
  );
  // The first released standard that has an earlier version: it offers "compare versions".
  let found = false;
  for (const href of hrefs) {
    await page.goto(`${demo.base}${href}`);
    if ((await page.locator('#compare-link').count()) > 0) {
      found = true;
      break;
    }
  }
  assert.ok(found, 'a released standard with two versions offers "compare versions"');
  const current = (await page.textContent('#standard-version')).trim();
  assert.equal((await page.textContent('#versions-table tbody tr[data-stage="released"] td.tag')).trim(), current);
  const superseded = (await page.textContent('#versions-table tbody tr[data-stage="superseded"] td.tag')).trim();
  const supersededLabel = (await page.textContent('#versions-table tbody tr[data-stage="superseded"] .badge')).trim();

  await Promise.all([page.waitForURL(/\/diff\?/), page.click('#compare-link')]);
  await page.waitForSelector('#diff-summary');
  // The comparison runs from the superseded version to the current one, and says which is which.
  assert.equal(await page.inputValue('#from'), superseded);
  assert.equal(await page.inputValue('#to'), current);
  const fromLabel = await page.locator('#from option:checked').textContent();
  assert.ok(fromLabel.includes(supersededLabel), `the old version is marked superseded: ${fromLabel}`);
  assert.match(await page.textContent('#diff-summary'), new RegExp(`${superseded.replace('.', '\\.')}\\s*→\\s*${current.replace('.', '\\.')}`));
  const changed = Number(await page.getAttribute('#diff-summary', 'data-changed'));
  assert.ok(changed >= 1, `at least one clause changed, saw ${changed}`);
  const articles = page.locator('article.diff[data-change="changed"]');
  assert.equal(await articles.count(), changed, 'each changed clause is shown');
  // The changed characters of a changed clause are marked as deleted or inserted.
  const first = articles.first();
  const marks = await first.locator('dd.diff-text del, dd.diff-text ins').count();
  assert.ok(marks >= 1, 'the changed characters are marked with <del>/<ins>');
  const inserted = (await first.locator('dd.diff-text ins').allTextContents()).join('');
  const deleted = (await first.locator('dd.diff-text del').allTextContents()).join('');
  assert.ok(inserted.trim() || deleted.trim(), 'the marks hold the changed text');
  // Unchanged clauses are left out unless asked for.
  assert.equal(await page.locator('article.diff[data-change="unchanged"]').count(), 0);
  await context.close();
});

test('the secretariat cannot return a proposal without a note, then passes its formal check into expert review', async () => {
  const page = await pageAs('association');
  const links = await draftLinks(page, 'formal_check');
  assert.ok(links.length >= 1, 'a proposal awaits its formal check');
  await page.goto(`${demo.base}${links[0]}`);
  const url = page.url();
  assert.equal(await page.getAttribute('#draft-head', 'data-stage'), 'formal_check');
  const history = page.locator('#history-table tbody tr');
  const before = await history.count();

  // Returned without a note: refused with a message, nothing changes.
  await page.fill('#formal-note', '');
  await page.click('#formal-return');
  await page.waitForSelector('#errors');
  assert.ok((await page.locator('#errors li').count()) >= 1, 'the refusal says why');
  assert.ok((await page.textContent('#errors li')).trim().length > 0);
  assert.equal(await page.getAttribute('#draft-head', 'data-stage'), 'formal_check', 'the stage stays');
  assert.equal(await history.count(), before, 'the refusal leaves no history entry');
  await page.goto(url);
  assert.equal(await page.getAttribute('#draft-head', 'data-stage'), 'formal_check');

  // Passed: the proposal goes to expert review, and the history says so.
  await Promise.all([page.waitForURL(/done=formal-passed/), page.click('#formal-pass')]);
  assert.equal(await page.getAttribute('#draft-head', 'data-stage'), 'expert_review');
  assert.equal(await page.locator('#draft-head .badge.stage-expert_review').count(), 1);
  const stageLabel = (await page.textContent('#draft-head .badge')).trim();
  assert.equal((await page.textContent('ol.progress li[aria-current="step"]')).trim(), stageLabel);
  assert.ok(await page.isVisible('#notice'));
  assert.equal(await history.count(), before + 1, 'the history gains the step');
  assert.equal(await history.last().getAttribute('data-action'), 'formal_check_passed');
  assert.equal((await history.last().locator('td').nth(1).textContent()).trim(), await ownName(page));
  // The secretariat now assigns reviewers on the same page.
  assert.ok(await page.isVisible('#form-conclude'));
  // And the list shows the new stage.
  assert.ok((await draftLinks(page, 'expert_review')).includes(links[0]));
  await closeAll(page);
});

test('an assigned reviewer votes on the clauses left; a vote for changes without a comment is refused', async () => {
  const page = await pageAs('research');
  const me = await ownName(page);
  // The proposal in expert review whose panel the reviewer sits on shows them the vote form.
  let href = null;
  for (const h of await draftLinks(page, 'expert_review')) {
    await page.goto(`${demo.base}${h}`);
    if ((await page.locator('#form-votes').count()) > 0) {
      href = h;
      break;
    }
  }
  assert.ok(href, 'the research account reviews a proposal in expert review');
  const selects = page.locator('#form-votes select[id^="vote-"]');
  const left = [];
  for (const s of await selects.all()) {
    if ((await s.inputValue()) === '') left.push(await s.getAttribute('id'));
  }
  assert.ok(left.length >= 2, `clauses are left to vote, saw ${left.length}`);
  const clauseOf = async (id) => (await page.getAttribute(`#${id}`, 'name')).replace(/^vote\./, '');
  const withChanges = left[0];
  const withChangesClause = await clauseOf(withChanges);
  const commentId = withChanges.replace('vote-', 'vote-comment-');
  const mine = page.locator('#review-record table.votes tbody tr', { hasText: me });
  assert.equal(await mine.count(), 0, 'no votes of the reviewer yet');

  const fill = async (comment) => {
    for (const id of left) await page.selectOption(`#${id}`, id === withChanges ? 'approve_with_changes' : 'approve');
    await page.fill(`#${commentId}`, comment);
  };

  // "Approve with changes" without saying which changes: refused.
  await fill('');
  await page.click('#save-votes');
  await page.waitForSelector('#errors');
  assert.ok((await page.textContent('#errors li')).includes(withChangesClause), 'the refusal names the clause');
  assert.equal(await page.locator('#review-record table.votes tbody tr', { hasText: me }).count(), 0, 'nothing was recorded');

  // With the comment: accepted, and every vote is in the table.
  const comment = '浏览器测试：第一段宜注明取样频次及取样位置。';
  await fill(comment);
  await Promise.all([page.waitForURL(/done=votes-saved/), page.click('#save-votes')]);
  assert.ok(await page.isVisible('#notice'));
  assert.equal(await page.getAttribute('#draft-head', 'data-stage'), 'expert_review');
  assert.equal(await mine.count(), left.length, 'one row per vote given');
  const row = page.locator('#review-record table.votes tbody tr', { hasText: comment });
  assert.equal(await row.count(), 1);
  assert.equal((await row.locator('td').nth(0).textContent()).trim(), me);
  assert.equal((await row.locator('td').nth(1).textContent()).trim(), withChangesClause);
  assert.equal(await row.locator('.badge.vote-approve_with_changes').count(), 1);
  assert.equal(await mine.filter({ has: page.locator('.badge.vote-approve') }).count(), left.length - 1);
  // The form shows the votes as given.
  assert.equal(await page.inputValue(`#${withChanges}`), 'approve_with_changes');
  assert.equal(await page.inputValue(`#${commentId}`), comment);
  await closeAll(page);
});

test('an enterprise comments on a clause of a proposal in public consultation, and the comment shows under it', async () => {
  const page = await pageAs('enterprise');
  const links = await draftLinks(page, 'consultation');
  assert.ok(links.length >= 1, 'a proposal is in public consultation');
  await page.goto(`${demo.base}${links[0]}`);
  await page.waitForSelector('#form-comment');
  // The second clause offered (the first is "the whole proposal").
  const options = await page.locator('#comment-clause option').evaluateAll((os) => os.map((o) => o.value));
  const clause = options.find((v) => v !== '');
  assert.ok(clause, 'the clauses are offered');
  const beforeUnder = await underClause(page, clause);
  const text = `浏览器测试意见：第${clause}条宜给出测定方法的检出限。`;
  await page.selectOption('#comment-clause', clause);
  await page.fill('#comment-text', text);
  await Promise.all([page.waitForURL(/done=comment-added/), page.click('#send-comment')]);
  assert.ok(await page.isVisible('#notice'));
  const under = await underClause(page, clause);
  assert.ok(!beforeUnder.includes(text));
  assert.ok(under.includes(text), `the comment is shown under clause ${clause}`);
  const me = await ownName(page);
  const mine = page.locator('article.comment', { hasText: text });
  assert.equal(await mine.count(), 1, 'shown once, not also among the comments on the whole proposal');
  assert.match(await mine.locator('p.source').textContent(), new RegExp(me));
  assert.equal(await mine.locator('.badge.disposition-open').count(), 1, 'the comment awaits its disposition');
  await closeAll(page);
});

test('an enterprise adds a stricter local supplement to a platform clause, and an expert gives a verdict on it', async () => {
  const page = await pageAs('enterprise', { english: true });
  // T/TICORR 004-2026, operation: the research account's specialties cover its topic.
  await page.goto(`${demo.base}/standards?q=${encodeURIComponent('T/TICORR 004')}`);
  await page.click('#standards-table tbody tr:first-child td.tag a');
  await page.waitForSelector('article.clause');
  // A clause with an upper limit on the temperature.
  const clause = page.locator('article.clause', { has: page.locator('dd code', { hasText: /^temperature_c <=? / }) }).first();
  const number = (await clause.locator('.clause-number').textContent()).trim();
  const unified = (await clause.locator('dd code').textContent()).trim();
  const bound = Number(unified.split(' ')[2]);
  assert.ok(bound > 10, unified);
  await page.click(`a[data-supplement-for="${number}"]`);
  await page.waitForSelector('#supplement-form');
  assert.equal((await page.textContent('#supplement-form .clause-number')).trim(), number, 'the form is on that clause');

  const local = String(bound - 10);
  await page.fill('#number', `ZJ-${number}`);
  await page.fill('#text_zh', `盐水工况金属壁温应低于${local} °C（本地补充，浏览器测试）。`);
  await page.fill('#text_en', `In brine service the metal wall temperature shall stay below ${local} °C (local supplement, browser test).`);
  await page.fill('#justification', 'Crevice attack seen at the gasket seats of our brine exchangers well below the unified limit.');
  await page.selectOption('#limit-1-parameter', 'temperature_c');
  await page.selectOption('#limit-1-op', '<');
  await page.fill('#limit-1-value', 'sixty');
  await page.check('input[name="level"][value="industry"]');

  // A limit that is not a number: refused, and what was typed is still there.
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/standards/supplements/new') && r.request().method() === 'POST'),
    page.click('#supplement-create'),
  ]);
  assert.equal(refused.status(), 422);
  await page.waitForSelector('#errors');
  assert.equal(await page.locator('#errors a[href="#limits"]').count(), 1, 'the refusal points at the limits');
  assert.equal(await page.inputValue('#limit-1-value'), 'sixty');
  assert.equal(await page.inputValue('#limit-1-parameter'), 'temperature_c');
  assert.equal(await page.inputValue('#number'), `ZJ-${number}`);
  assert.match(await page.inputValue('#text_en'), /local supplement, browser test/);
  assert.ok(await page.isChecked('input[name="level"][value="industry"]'));
  assert.equal((await page.textContent('#supplement-form .clause-number')).trim(), number, 'still on the same clause');

  // A stricter limit at industry level: recorded, and compared with the unified one.
  await page.fill('#limit-1-value', local);
  await Promise.all([page.waitForURL(/\/standards\/supplements\/[^/?]+\?done=supplement-created/), page.click('#supplement-create')]);
  const href = new URL(page.url()).pathname;
  assert.equal(await page.getAttribute('#supplement-head', 'data-level'), 'industry');
  assert.equal(await page.getAttribute('#supplement-head', 'data-status'), 'verification');
  const row = page.locator('#comparison-table tbody tr', { hasText: unified });
  assert.equal(await row.count(), 1, 'the unified limit is compared');
  assert.equal(await row.getAttribute('data-verdict'), 'stricter');
  assert.equal((await row.locator('.badge').textContent()).trim(), 'stricter');
  assert.match(await row.textContent(), new RegExp(`temperature_c < ${local}`));
  assert.equal(await page.getAttribute('#group-verdict', 'data-given'), '0');
  await closeAll(page);

  // An expert of another organisation gives a verdict through the form.
  const expert = await pageAs('research');
  const me = await ownName(expert);
  await expert.goto(`${demo.base}${href}`);
  await expert.waitForSelector('#form-verdict');
  assert.equal(await expert.locator('#verdicts-table').count(), 0, 'no verdict yet');
  const reason = '浏览器测试：本地限值低于统一条款限值，属于更严要求。';
  await expert.selectOption('#verdict', 'stricter');
  await expert.fill('#reason', reason);
  await Promise.all([expert.waitForURL(/done=/), expert.click('#save-verdict')]);
  assert.ok(await expert.isVisible('#notice'));
  const verdict = expert.locator('#verdicts-table tbody tr', { hasText: reason });
  assert.equal(await verdict.count(), 1, 'the verdict is listed');
  assert.equal(await verdict.getAttribute('data-verdict'), 'stricter');
  assert.equal((await verdict.locator('td').first().textContent()).trim(), me);
  assert.equal(await expert.getAttribute('#group-verdict', 'data-given'), '1');
  await closeAll(expert);
});

test('a self-inspection report lists the mandatory gap first and takes a file as its evidence', async () => {
  const page = await pageAs('enterprise');
  await page.goto(`${demo.base}/standards/self-inspections`);
  await Promise.all([page.waitForURL(/\/standards\/self-inspections\/[^/]+$/), page.click('#start-all button')]);
  await page.waitForSelector('#inspection-form');
  const row = page.locator('#inspection-form fieldset.mandatory').first();
  const rowId = await row.getAttribute('id');
  const position = rowId.replace('row-', '');
  const note = '浏览器测试：垫片缝隙处壁温 85 °C，超过 70 °C 限值';
  await row.locator('input[value="not_conform"]').check();
  await row.locator('textarea').fill(note);
  await page.click('#inspection-save');
  await page.waitForSelector('.notice.ok');
  assert.equal(await page.getAttribute('#inspection-score', 'data-outcome'), 'critical');

  await Promise.all([page.waitForURL(/\/report$/), page.click('#report-link')]);
  await page.waitForSelector('#report-score');
  assert.equal(await page.getAttribute('#report-score', 'data-outcome'), 'critical');
  // The gap comes first, under the gaps heading, with its note and no evidence yet.
  const first = page.locator('main section.report-row').first();
  assert.equal(await first.getAttribute('id'), rowId, 'the gap is listed first');
  assert.equal(
    await page.evaluate((id) => document.getElementById(id).previousElementSibling.id, rowId),
    'gaps',
    'right under the gaps heading',
  );
  assert.match(await first.getAttribute('class'), /\bmandatory\b/);
  assert.match(await first.textContent(), new RegExp(note));
  assert.equal(await first.locator('a.evidence').count(), 0);

  // A small PDF attached through the row's own form.
  const pdf = Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
  await page.setInputFiles(`#evidence-${position}`, { name: '壁温记录.pdf', mimeType: 'application/pdf', buffer: pdf });
  await Promise.all([
    page.waitForURL(/done=evidence-added/),
    page.click(`#${rowId} form.evidence-form button[type="submit"]`),
  ]);
  assert.equal(new URL(page.url()).hash, `#${rowId}`, 'back at the row');
  const files = page.locator(`#${rowId} a.evidence`);
  assert.equal(await files.count(), 1, 'the file is listed under the row');
  assert.equal((await files.textContent()).trim(), '壁温记录.pdf');
  assert.equal(await page.locator('#evidence-error').count(), 0);
  // Only under that row.
  assert.equal(await page.locator('main a.evidence').count(), 1);
  // The file downloads as it was sent.
  const res = await page.request.get(`${demo.base}${await files.getAttribute('href')}`);
  assert.equal(res.status(), 200);
  assert.deepEqual(Buffer.from(await res.body()), pdf);

  // The printable report downloads as a PDF that reads the same: the gap with its note,
  // its evidence file, and lines to sign.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-pdf')]);
  assert.match(download.suggestedFilename(), /^self-inspection-.+\.pdf$/);
  const saved = join(await mkdtemp(join(tmpdir(), 'ticorr-report-')), 'report.pdf');
  await download.saveAs(saved);
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', saved, '-'], { encoding: 'utf8' });
  const squeezed = text.replace(/\s+/g, '');
  assert.match(text, /合规自查报告/);
  assert.ok(squeezed.includes(note.replace(/\s+/g, '')), text);
  assert.ok(squeezed.includes('壁温记录.pdf'), text);
  assert.match(text, /签字确认/);
  await closeAll(page);
});

test('an enterprise records its own specification from rows pasted out of a spreadsheet', async () => {
  const page = await pageAs('enterprise');
  await page.goto(`${demo.base}/standards`);
  await Promise.all([page.waitForURL(/\/standards\/own\/new$/), page.click('#own-link')]);
  const code = `Q/E2E ${Date.now()}`;
  await page.fill('#code', code);
  await page.fill('#title_zh', '浏览器测试：盐水加热器运行规程');
  await page.fill('#title_en', 'Browser test: brine heater operation');
  await page.fill('#scope_zh', '本厂盐水加热器。');
  await page.fill('#scope_en', "The plant's brine heaters.");
  await page.selectOption('#topic', 'operation');
  const header = ['number', 'kind', 'text_zh', 'text_en', 'grades', 'media', 'limit_parameter', 'limit_op', 'limit_value', 'limit_unit'].join('\t');
  const row = ['4.1', 'mandatory', '与盐水接触的 Gr2 钛材温度应不高于 60 °C。', 'Gr2 wetted by brine shall be kept at or below 60 °C.', '2', 'brine', 'temperature_c', '<=', '60', '°C'].join('\t');
  // A row with an unknown kind is named, and what was typed stays.
  await page.fill('#clauses', `${header}\n${row}\n${row.replace('4.1\tmandatory', '4.2\tshould')}`);
  await page.click('#own-record');
  await page.waitForSelector('#errors');
  assert.match(await page.textContent('#errors'), /第 3 行 `kind`/);
  assert.equal(await page.inputValue('#code'), code);
  await page.fill('#clauses', `${header}\n${row}`);
  await Promise.all([page.waitForURL(/done=own-recorded/), page.click('#own-record')]);
  assert.ok(await page.isVisible('#notice'));
  assert.match(await page.textContent('h1'), new RegExp(code.replace(/[/]/g, '\\/')));
  assert.match(await page.textContent('main'), /不高于 60 °C/);
  await closeAll(page);
});
