// dismiss.test.mjs: in auto mode the daemon acts at once (Mastodon cannot
// hide, so it falls back) and queues the item for review.  An editor who
// dismisses it as a false positive gets what was done undone on the
// platform, and the rule's precision as judged by the editors drops on the
// administrators' rule-quality page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, launch, newPage, login, cleanup, waitFor, insults, sleep } from './harness.mjs';

const INVERSE = { mute: 'unmute', block: 'unblock', hide: 'unhide' };
let fake, daemon, browser, anna, admin;

before(async () => {
	fake = await Fake.start(insults(8, 'dm'));
	daemon = await Daemon.start(fake, { mode: 'auto', users: { anna: 'editor', root: 'admin' } });
	browser = await launch();
	anna = await daemon.client('anna');
	admin = await daemon.client('root');
	await waitFor('items queued', async () => (await anna.queue()).total >= 8, 60000);
	// the automatic actions have reached the platform
	await waitFor('outbox drained', async () => {
		const m = await (await fetch(daemon.url + '/metrics')).text();
		return /^netiquetted_outbox_pending 0$/m.test(m);
	}, 60000);
});

after(cleanup);

async function precisionCell(page, rule) {
	await page.goto('/#/rules');
	await page.reload();
	const sel = '#rules-table tr[data-rule="' + rule + '"] td.precision';
	await page.waitForSelector(sel);
	return (await page.textContent(sel)).trim();
}

test('dismiss restores the item and lowers the rule precision', async () => {
	const { items } = await anna.queue();
	const byRule = new Map();
	for (const it of items) for (const r of it.rules) byRule.set(r, [...(byRule.get(r) || []), it]);
	const [rule, pair] = [...byRule.entries()].find(([, v]) => v.length >= 2) || [];
	assert.ok(rule, 'two items of one rule: ' + JSON.stringify(items.map(i => i.rules)));
	const [good, bad] = pair;

	// one approval first: precision 100 %
	await anna.post('/api/items/' + good.id + '/decide', { decision: 'approve', reason: 'zutreffend' });
	const adminPage = await newPage(browser, daemon.url);
	await login(adminPage, 'root');
	assert.equal(await precisionCell(adminPage, rule), '100 %');

	// what the daemon did on its own to the second item's author
	const done = (await fake.actions()).filter(a => a.applied && !a.replay && String(a.target) === String(bad.author.id));
	const reversible = done.filter(a => INVERSE[a.kind]).map(a => a.kind);
	assert.ok(reversible.length, 'auto mode acted reversibly on the author: ' + JSON.stringify(done));

	// the editor dismisses it in the browser
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.click('#queue-rows tr[data-id="' + bad.id + '"] a');
	await page.waitForSelector('#decide-dismiss');
	await page.fill('#reason', 'Zitat, keine Beleidigung');
	await page.click('#decide-dismiss');
	await page.waitForFunction(id => document.querySelector('#live').textContent.includes('Eintrag ' + id + ' verworfen'), bad.id);

	// restored on the platform: each reversible action is inverted, once
	await waitFor('restores at the fake', async () => {
		const acts = (await fake.actions()).filter(a => a.applied && !a.replay && String(a.target) === String(bad.author.id));
		return reversible.every(k => acts.some(a => a.kind === INVERSE[k]));
	}, 30000);
	await sleep(2000);
	const after = (await fake.actions()).filter(a => a.applied && !a.replay && String(a.target) === String(bad.author.id));
	for (const k of reversible)
		assert.equal(after.filter(a => a.kind === INVERSE[k]).length, 1, INVERSE[k] + ' exactly once');
	const detail = await anna.get('/api/items/' + bad.id);
	assert.equal(detail.state, 'dismissed');

	// precision as judged by the editors drops: 1 approved, 1 dismissed
	assert.equal(await precisionCell(adminPage, rule), '50 %');
	const row = await admin.get('/api/rules');
	const r = row.rules.find(x => x.id === rule);
	assert.equal(r.dismissed, 1);
	assert.equal(r.precision, 0.5);
	// the dismissed item is listed as a nomatch candidate
	await adminPage.click('#rules-table tr[data-rule="' + rule + '"] a[href$="outcome=dismissed"]');
	await adminPage.waitForSelector('#rule-items code:has-text("nomatch = ")');
	assert.equal(await adminPage.textContent('#rule-items tbody tr td:nth-child(3)'), bad.text);
	for (const p of [page, adminPage]) {
		assert.deepEqual(p.guard.errors, []);
		assert.deepEqual(p.guard.csp, []);
	}
	await page.context().close();
	await adminPage.context().close();
});
