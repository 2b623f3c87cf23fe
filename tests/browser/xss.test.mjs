// xss.test.mjs: 105 hostile payloads delivered through the fake platform as
// comment text and as the author's display name.  A rule that flags every
// comment puts them all in the queue.  The queue list, every item view, the
// legal and admin views show each payload verbatim (textContent equals the
// payload, after the mention Mastodon puts in front of a reply's text) and
// no script runs: no dialog, window.__xss never set, no CSP
// violation reported, no request to another host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, launch, newPage, login, cleanup, waitFor, catchAllRules, screenshot, MENTION } from './harness.mjs';
import { payloads } from './payloads.mjs';

const P = payloads();
let fake, daemon, browser, anna;
const byText = new Map();     // stored text -> item summary
const byId = new Map();

before(async () => {
	assert.ok(P.length >= 100, P.length + ' payloads');
	fake = await Fake.start(P.map((p, i) => ({ author: 'xss' + i + '@evil.example', display_name: p, text: p })));
	daemon = await Daemon.start(fake, { mode: 'review', rules: catchAllRules(), users: { anna: 'editor', lea: 'legal', root: 'admin' } });
	browser = await launch();
	anna = await daemon.client('anna');
	await waitFor('all payloads queued', async () => (await anna.queue()).total >= P.length, 120000, 250);
	for (const it of (await anna.queue()).items) {
		byText.set(it.text, it);
		byId.set(it.id, it);
	}
});

after(cleanup);

function noScriptRan(page, where) {
	assert.deepEqual(page.guard.dialogs, [], where + ': dialogs');
	assert.deepEqual(page.guard.csp, [], where + ': CSP violations');
	assert.deepEqual(page.guard.errors, [], where + ': page errors');
	assert.deepEqual(page.guard.foreign, [], where + ': requests to other hosts');
}

const xssFlag = page => page.evaluate(() => window.__xss);
// Payloads with a URL in them: Mastodon turns the URL into a link, and the
// daemon's HTML-to-text step must give back the same text.
const hasUrl = p => /https?:\/\//.test(p);

test('every payload arrives in the queue with its display name', () => {
	assert.equal(byId.size, P.length);
	const names = new Set([...byId.values()].map(i => i.author.name));
	for (const p of P) assert.ok(names.has(p), 'display name not stored verbatim: ' + p);
	const missing = P.filter(p => !hasUrl(p) && !byText.has(MENTION + p));
	assert.deepEqual(missing, [], 'payloads not stored verbatim as comment text');
});

test('payloads with a URL survive the HTML round trip', () => {
	const missing = P.filter(p => hasUrl(p) && !byText.has(MENTION + p));
	assert.deepEqual(missing, []);
});

test('the queue list shows every payload as text and runs none', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.goto('/#/queue?limit=200');
	await waitFor('all rows', async () => (await page.$$('#queue-rows tr[data-id]')).length === P.length, 30000);
	const rows = await page.$$eval('#queue-rows tr[data-id]', trs => trs.map(tr => ({
		id: Number(tr.dataset.id),
		text: tr.querySelector('td.text').textContent,
		name: tr.querySelector('.author-name').textContent,
		elements: tr.querySelectorAll('td.text *, .author-name *').length,
	})));
	for (const r of rows) {
		const it = byId.get(r.id);
		const expectText = it.text.length > 400 ? it.text.slice(0, 400) + ' …' : it.text;
		assert.equal(r.text, expectText, 'row ' + r.id + ' text');
		assert.equal(r.name, it.author.name, 'row ' + r.id + ' author');
		assert.equal(r.elements, 0, 'row ' + r.id + ': payload became elements');
	}
	// hovering and focusing rows must not trigger handlers either
	for (const tr of (await page.$$('#queue-rows tr[data-id]')).slice(0, 20)) await tr.hover();
	await screenshot(page, 'xss-queue');
	assert.equal(await xssFlag(page), undefined, 'window.__xss set');
	noScriptRan(page, 'queue');
	await page.context().close();
});

test('every item view shows the payload verbatim and runs none', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	let first = true;
	for (const it of byId.values()) {
		await page.goto('/#/item/' + it.id);
		await page.waitForFunction(id => {
			const h = document.querySelector('#view-title');
			return h && h.textContent.startsWith('Eintrag ' + id + ' ') && document.querySelector('#original');
		}, it.id);
		const got = await page.evaluate(() => ({
			text: document.querySelector('#original').textContent,
			name: document.querySelector('#author-name').textContent,
			elements: document.querySelectorAll('#original *:not(mark), #author-name *, #author-handle *').length,
		}));
		// verbatim: what the platform delivered, as the daemon stored it
		assert.equal(got.text, it.text, 'item ' + it.id + ' text');
		assert.equal(got.name, it.author.name, 'item ' + it.id + ' display name');
		assert.ok(P.includes(got.name), 'item ' + it.id + ': the display name is a payload');
		if (byText.has(it.text) && P.includes(it.text.slice(MENTION.length)))
			assert.equal(got.text, MENTION + got.name, 'text and name are the same payload');
		assert.equal(got.elements, 0, 'item ' + it.id + ': payload became elements');
		if (first) { await screenshot(page, 'xss-item'); first = false; }
	}
	assert.equal(await xssFlag(page), undefined, 'window.__xss set');
	noScriptRan(page, 'item views');
	await page.context().close();
});

test('legal and admin views show payloads as text too', async () => {
	// escalate a few, approve and dismiss a few, so that they show up in
	// escalations, rule quality and audit views
	const ids = [...byId.keys()];
	await anna.post('/api/queue/bulk', { ids: ids.slice(0, 10), decision: 'escalate', reason: '<img src=x onerror=window.__xss=9001>' });
	await anna.post('/api/queue/bulk', { ids: ids.slice(10, 20), decision: 'dismiss', reason: '<script>window.__xss=9002</script>' });
	await anna.post('/api/items/' + ids[20] + '/notes', { text: '<svg onload=window.__xss=9003>' });
	await anna.post('/api/items/' + ids[20] + '/assign', { assignee: 'anna' });

	const legal = await newPage(browser, daemon.url);
	await login(legal, 'lea');
	await legal.waitForSelector('#queue-rows tr[data-id]');
	const texts = await legal.$$eval('#queue-rows td.text', tds => tds.map(t => t.textContent));
	assert.equal(texts.length, 10);
	for (const t of texts) assert.ok(byText.has(t) || t.endsWith(' …'), 'escalated text as stored: ' + t);
	await legal.goto('/#/item/' + ids[0]);
	await legal.waitForSelector('#export-evidence');
	const [dl] = await Promise.all([legal.waitForEvent('download'), legal.click('#export-evidence')]);
	assert.ok(dl.suggestedFilename().startsWith('evidence-'));
	assert.equal(await xssFlag(legal), undefined);
	noScriptRan(legal, 'legal');
	await legal.context().close();

	const admin = await newPage(browser, daemon.url);
	await login(admin, 'root');
	await admin.goto('/#/rules/offtopic.all?outcome=dismissed');
	await admin.waitForSelector('#rule-items tbody tr');
	const cells = await admin.$$eval('#rule-items tbody td:nth-child(3)', tds => tds.map(t => t.textContent));
	assert.equal(cells.length, 10);
	for (const c of cells) assert.ok(byText.has(c), 'rule item text as stored');
	await admin.goto('/#/audit?kind=queue.*');
	await admin.waitForSelector('#audit-rows tr td');
	const details = await admin.$$eval('#audit-rows td:nth-child(6)', tds => tds.map(t => t.textContent).join('\n'));
	assert.match(details, /<img src=x onerror=window.__xss=9001>/);
	await admin.goto('/#/item/' + ids[20]);
	await admin.waitForSelector('#notes li');
	assert.match(await admin.textContent('#notes'), /<svg onload=window.__xss=9003>/);
	await admin.goto('/#/item/' + ids[10]);
	await admin.waitForSelector('#history li');
	assert.match(await admin.textContent('#history'), /<script>window.__xss=9002<\/script>/);
	assert.equal(await xssFlag(admin), undefined);
	noScriptRan(admin, 'admin');
	await admin.context().close();
});
