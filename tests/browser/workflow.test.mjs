// workflow.test.mjs: the editors' and legal reviewers' workflow against the
// daemon in review mode (nothing is sent before an editor decides): the
// queue shows what the fake platform delivered; approve sends exactly the
// proposed actions; escalate hands the item to legal, who export the
// evidence; screenshots of the queue and the item view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Fake, Daemon, launch, newPage, login, cleanup, waitFor, insults, HARMLESS, screenshot, sleep, MENTION } from './harness.mjs';

const FLAGGED = insults(8, 'wf');
let fake, daemon, browser, anna, admin;

before(async () => {
	fake = await Fake.start([...FLAGGED, ...HARMLESS]);
	daemon = await Daemon.start(fake, { mode: 'review', users: { anna: 'editor', lea: 'legal', root: 'admin' } });
	browser = await launch();
	anna = await daemon.client('anna');
	admin = await daemon.client('root');
	await waitFor('flagged items queued', async () => (await anna.queue({ state: 'all' })).total >= FLAGGED.length, 60000);
});

after(cleanup);

function guardClean(page) {
	assert.deepEqual(page.guard.dialogs, [], 'no dialogs');
	assert.deepEqual(page.guard.csp, [], 'no CSP violations');
	assert.deepEqual(page.guard.errors, [], 'no page errors');
	assert.deepEqual(page.guard.foreign, [], 'nothing from another host');
}

test('the queue shows the items the fake platform delivered', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.waitForSelector('#queue-rows tr[data-id]');
	// wait for a quiet queue (the poller may still be delivering)
	await waitFor('all flagged rows', async () => (await page.$$('#queue-rows tr[data-id]')).length === FLAGGED.length, 30000);
	const texts = await page.$$eval('#queue-rows td.text', tds => tds.map(td => td.textContent));
	const names = await page.$$eval('#queue-rows .author-name', els => els.map(e => e.textContent));
	for (const r of FLAGGED) {
		assert.ok(texts.includes(MENTION + r.text), 'queue lacks ' + r.text + ': ' + JSON.stringify(texts));
		assert.ok(names.includes(r.display_name), 'queue lacks author ' + r.display_name);
	}
	for (const r of HARMLESS) assert.ok(!texts.some(t => t.includes(r.text)), 'harmless criticism was queued: ' + r.text);
	assert.match(await page.textContent('#queue-count'), new RegExp('^' + FLAGGED.length + ' Einträge'));
	// filters: category insult keeps them, another category shows none
	await page.selectOption('#f-category', 'insult');
	await page.click('#filters button[type="submit"]');
	await page.waitForFunction(() => location.hash.includes('category=insult'));
	await waitFor('insult filter', async () => (await page.$$('#queue-rows tr[data-id]')).length === FLAGGED.length);
	await page.selectOption('#f-category', 'commercial');
	await page.click('#filters button[type="submit"]');
	await page.waitForSelector('#queue-rows td:has-text("Keine Einträge")');
	await page.click('#f-reset');
	await page.waitForSelector('#queue-rows tr[data-id]');
	// paging: 8 items, pages of 25 -> one page, both buttons off
	assert.equal(await page.isDisabled('#page-next'), true);
	assert.equal(await page.isDisabled('#page-prev'), true);
	await screenshot(page, 'queue');
	guardClean(page);
	await page.context().close();
});

test('approve: the fake platform receives exactly the proposed actions', async () => {
	assert.deepEqual(await fake.actions(), [], 'review mode sends nothing before a decision');
	const { items } = await anna.queue();
	const target = items[0];
	assert.ok(target.proposed.length, 'a proposal: ' + JSON.stringify(target));
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.click('#queue-rows tr[data-id="' + target.id + '"] a');
	await page.waitForSelector('#original mark');
	// the matched span is marked in the original text
	assert.equal(await page.textContent('#original'), target.text);
	const marked = await page.$$eval('#original mark', ms => ms.map(m => m.textContent));
	assert.ok(marked.length >= 1 && marked.every(m => target.text.includes(m)), 'marks: ' + marked);
	assert.ok(await page.isVisible('#matched-rules li'), 'rules listed');
	await screenshot(page, 'item');
	await page.fill('#reason', 'Beleidigung, Netiquette Abschnitt Beleidigungen');
	await page.click('#decide-approve');
	await page.waitForFunction(id => document.querySelector('#live').textContent.includes('Eintrag ' + id + ' bestätigt'), target.id);
	const detail = await anna.get('/api/items/' + target.id);
	assert.equal(detail.state, 'approved');
	const want = detail.outbox.map(o => o.action).sort();
	assert.ok(want.length, 'outbox rows after approve');
	await waitFor('actions at the fake', async () => {
		const acts = await fake.actions();
		return acts.filter(a => a.applied).length >= want.length;
	}, 30000);
	await sleep(3000); // nothing more may follow
	const acts = await fake.actions();
	const applied = acts.filter(a => a.applied && !a.replay);
	assert.deepEqual(applied.map(a => a.kind).sort(), want, 'exactly the outbox actions: ' + JSON.stringify(acts));
	for (const a of applied) {
		assert.equal(String(a.target), String(target.author.id), 'action against the author: ' + JSON.stringify(a));
		if (a.kind === 'report') assert.deepEqual(a.status_ids, [target.item_id], 'the report names the comment');
	}
	const audit = await admin.get('/api/audit?item=' + target.id);
	const entry = audit.entries.find(e => e.kind === 'queue.approve');
	assert.ok(entry, 'audit entry');
	assert.equal(entry.actor, 'editor:anna');
	assert.equal(entry.detail.reason, 'Beleidigung, Netiquette Abschnitt Beleidigungen');
	guardClean(page);
	await page.context().close();
});

test('escalate: a legal reviewer sees it and exports the evidence', async () => {
	const { items } = await anna.queue();
	const target = items[0];
	const before = (await fake.actions()).length;
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.click('#queue-rows tr[data-id="' + target.id + '"] a');
	await page.waitForSelector('#decide-escalate');
	assert.equal(await page.$('#export-evidence'), null, 'editors do not export evidence');
	await page.click('#decide-escalate');
	await page.waitForFunction(id => document.querySelector('#live').textContent.includes('Eintrag ' + id + ' eskaliert'), target.id);
	assert.equal((await anna.get('/api/items/' + target.id)).state, 'escalated');
	await page.context().close();

	const legal = await newPage(browser, daemon.url);
	await login(legal, 'lea');
	// legal reviewers land on the escalations
	await legal.waitForFunction(() => location.hash.startsWith('#/escalations'));
	await legal.waitForSelector('#queue-rows tr[data-id="' + target.id + '"]');
	assert.equal(await legal.textContent('#queue-rows tr[data-id="' + target.id + '"] td.text'), target.text);
	assert.equal(await legal.isVisible('#nav a[data-route="rules"]'), false, 'no rule quality for legal');
	await legal.click('#queue-rows tr[data-id="' + target.id + '"] a');
	await legal.waitForSelector('#export-evidence');
	const [download] = await Promise.all([legal.waitForEvent('download'), legal.click('#export-evidence')]);
	assert.equal(download.suggestedFilename(), 'evidence-' + target.id + '.json');
	const file = await download.path();
	const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
	assert.equal(pkg.format, 'netiquetted-evidence-export-1');
	assert.ok(JSON.stringify(pkg).includes(JSON.stringify(target.text).slice(1, -1)), 'the package holds the comment text');
	await legal.waitForFunction(() => document.querySelector('#live').textContent.includes('Beweissicherung exportiert'));
	// the evidence snapshot is shown, and the export is in the audit chain
	await legal.waitForSelector('#evidence-sha');
	const audit = await admin.get('/api/audit?item=' + target.id);
	assert.ok(audit.entries.some(e => /evidence/.test(e.kind)), 'export audited: ' + audit.entries.map(e => e.kind));
	assert.equal(audit.chain.ok, true);
	// legal closes it
	await legal.fill('#reason', 'Strafanzeige erstattet');
	await legal.click('#decide-close');
	await waitFor('closed', async () => (await anna.get('/api/items/' + target.id)).state === 'closed');
	assert.equal((await fake.actions()).length, before, 'escalation and export send nothing to the platform');
	guardClean(legal);
	await legal.context().close();
});

test('admin pages: rule quality and audit view with filters', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'root');
	await page.click('#nav a[data-route="rules"]');
	await page.waitForSelector('#rules-table tbody tr[data-rule]');
	await screenshot(page, 'rules');
	await page.click('#nav a[data-route="audit"]');
	await page.waitForSelector('#audit-rows tr');
	await page.fill('#a-kind', 'queue.*');
	await page.click('#audit-filters button[type="submit"]');
	await page.waitForFunction(() => location.hash.includes('kind=queue'));
	await waitFor('filtered audit', async () => {
		const kinds = await page.$$eval('#audit-rows tr td:nth-child(4)', tds => tds.map(t => t.textContent));
		return kinds.length > 0 && kinds.every(k => k.startsWith('queue.'));
	});
	assert.match(await page.textContent('#chain'), /intakt/);
	await screenshot(page, 'audit');
	guardClean(page);
	await page.context().close();
});
