// outcome.test.mjs: the platform files every action, then a gateway answers
// 502, so the daemon cannot know what happened.  A mute may be sent again
// (muting twice is muting); a report may not (Mastodon would file it twice).
// The report fails, its item comes back to the editors, the item view
// tells them what to check, and approving it again sends a new report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, launch, newPage, login, cleanup, waitFor, insults, sleep, screenshot } from './harness.mjs';

const ITEMS = insults(2, 'lost');
let fake, daemon, browser, anna;

async function faults(method, body) {
	const r = await fetch(fake.url + '/_fake/faults', { method, headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body) });
	assert.ok(r.status < 300, 'fake faults: ' + r.status);
}

before(async () => {
	fake = await Fake.start(ITEMS);
	await faults('POST', { post_apply_5xx_rate: 1.0 });
	daemon = await Daemon.start(fake, { mode: 'auto', users: { anna: 'editor' } });
	browser = await launch();
	anna = await daemon.client('anna');
});

after(cleanup);

async function outbox(id) {
	return (await anna.get('/api/items/' + id)).outbox;
}

test('a report whose answer was lost is not sent again, and the item view says so', async () => {
	const items = await waitFor('both items queued', async () => {
		const q = await anna.queue({ state: 'all' });
		return q.total >= ITEMS.length ? q.items : null;
	}, 60000);
	for (const it of items) {
		await waitFor('report of item ' + it.id + ' failed as unknown', async () =>
			(await outbox(it.id)).some(o => o.action === 'report' && o.state === 'failed' &&
				o.last_error.startsWith('outcome unknown, not sent again')), 60000);
	}
	await faults('DELETE');
	for (const it of items)
		await waitFor('mute of item ' + it.id + ' done', async () =>
			(await outbox(it.id)).some(o => o.action === 'mute' && o.state === 'done'), 60000);
	await sleep(2000);
	const reports = (await fake.actions()).filter(a => a.kind === 'report');
	assert.equal(reports.length, ITEMS.length, 'one report per item reached the platform: ' + JSON.stringify(reports));
	assert.ok(reports.every(a => a.applied), 'each was filed');

	const target = items[0];
	assert.equal((await anna.get('/api/items/' + target.id)).state, 'open', 'back before the editors');
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.waitForSelector('#queue-rows tr[data-id="' + target.id + '"] a');
	await page.click('#queue-rows tr[data-id="' + target.id + '"] a');
	await page.waitForSelector('#outbox li');
	const report = (await outbox(target.id)).find(o => o.action === 'report');
	const li = '#outbox li[data-outbox="' + report.id + '"]';
	await page.waitForSelector(li + ' .outcome-unknown');
	assert.match(await page.textContent(li + ' .outcome-unknown'), /unbekannt.*nicht erneut gesendet.*prüfen/s);
	// the mute was sent again and confirmed: no such hint
	const mute = (await outbox(target.id)).find(o => o.action === 'mute');
	assert.equal(await page.$('#outbox li[data-outbox="' + mute.id + '"] .outcome-unknown'), null);
	await screenshot(page, 'outcome-unknown');
	// the editor found no report on the platform: approving sends it again
	await page.fill('#reason', 'Meldung fehlt auf der Plattform');
	await page.click('#decide-approve');
	await page.waitForFunction(id => document.querySelector('#live').textContent.includes('Eintrag ' + id + ' bestätigt'), target.id);
	const mine = async () => (await fake.actions()).filter(a => a.kind === 'report' && a.applied &&
		a.status_ids.includes(target.item_id));
	await waitFor('the report sent again on the editor\'s word', async () => (await mine()).length === 2, 30000);
	await sleep(1000);
	assert.equal((await mine()).length, 2, 'one report more, no other');
	assert.deepEqual(page.guard.errors, [], 'no page errors');
	assert.deepEqual(page.guard.csp, [], 'no CSP violations');
	await page.context().close();
});
