// keyboard.test.mjs: the whole workflow without a mouse: log in, move with
// j/k, approve, dismiss, escalate, undo, open an item and decide there,
// help with ?, through ten items, each decision landing on the item the
// cursor was on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, launch, newPage, cleanup, waitFor, insults, PASSWORD } from './harness.mjs';

let fake, daemon, browser, anna;

before(async () => {
	fake = await Fake.start(insults(10, 'kb'));
	daemon = await Daemon.start(fake, { mode: 'review', users: { anna: 'editor' } });
	browser = await launch();
	anna = await daemon.client('anna');
	await waitFor('10 items queued', async () => (await anna.queue()).total === 10, 60000);
});

after(cleanup);

const current = page => page.evaluate(() => {
	const tr = document.querySelector('#queue-rows tr.current');
	return tr ? Number(tr.dataset.id) : null;
});
const focusedRow = page => page.evaluate(() => {
	const tr = document.activeElement && document.activeElement.closest('#queue-rows tr');
	return tr ? Number(tr.dataset.id) : null;
});

test('keyboard-only workflow through ten items', async () => {
	const page = await newPage(browser, daemon.url);
	const kb = page.keyboard;
	await page.goto('/');
	await page.waitForSelector('#login-form');
	// the user name field has the focus; type, Tab, type, Enter
	assert.equal(await page.evaluate(() => document.activeElement.id), 'login-user');
	await kb.type('anna');
	await kb.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'login-pass');
	await kb.type(PASSWORD);
	await kb.press('Enter');
	await page.waitForSelector('#queue-rows tr[data-id]');
	await waitFor('10 rows', async () => (await page.$$('#queue-rows tr[data-id]')).length === 10);
	assert.ok(await page.isVisible('#keyhint'), 'the shortcut hint is visible');
	assert.match(await page.textContent('#keyhint'), /a.*bestätigen.*d.*verwerfen.*e.*eskalieren.*u.*rückgängig/s);

	// ? shows the help, Escape closes it
	await kb.press('?');
	await page.waitForSelector('#help[open]');
	assert.match(await page.textContent('#help'), /Tastenkürzel/);
	await kb.press('Escape');
	await page.waitForSelector('#help:not([open])', { state: 'hidden' });

	// A refresh that was already on its way when a decision was sent can
	// redraw the list once more; keys pressed during that redraw land on
	// a moving cursor.  Wait until the rows stop changing.
	const settle = async () => {
		let prev = null;
		for (let i = 0; i < 40; i++) {
			const now = await page.$$eval('#queue-rows tr[data-id]',
				rs => rs.map(r => r.dataset.id + (r.classList.contains('current') ? '*' : '')).join(','));
			if (now === prev) return;
			prev = now;
			await page.waitForTimeout(250);
		}
	};
	const ids = (await anna.queue()).items.map(i => i.id);
	const expect = {};
	const decide = async (key, state) => {
		const id = await current(page);
		assert.ok(id, 'a current row');
		assert.equal(await focusedRow(page), id, 'the current row has the focus');
		await kb.press(key);
		// the live region announces the decision, but a queue refresh
		// may replace that text within a frame on a busy machine: the
		// row leaving the queue is the condition, the announcement is
		// checked where nothing else is announced (see below)
		await page.waitForFunction(id => !document.querySelector('#queue-rows tr[data-id="' + id + '"]'), id);
		await settle();
		expect[id] = state;
		return id;
	};

	// j j k: the cursor is on the second item
	assert.equal(await current(page), ids[0]);
	await kb.press('j');
	await kb.press('j');
	await kb.press('k');
	assert.equal(await current(page), ids[1]);
	// the row is visibly focused
	const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
	assert.notEqual(outline, 'none', 'visible focus');
	await decide('a', 'approved');                 // item 2
	assert.equal(await current(page), ids[2], 'the cursor moved on');
	await decide('d', 'dismissed');                // item 3
	await decide('a', 'approved');                 // item 4
	// u: undo that approval; item 4 is open again and current.  (An
	// escalation is with legal at once: editors cannot undo it.)
	await kb.press('u');
	// decisions and undos are announced to screen readers
	assert.match(await page.getAttribute('#live', 'aria-live') || '', /polite|assertive/);
	await page.waitForSelector('#queue-rows tr[data-id="' + ids[3] + '"]');
	delete expect[ids[3]];
	assert.equal((await anna.get('/api/items/' + ids[3])).state, 'open');
	await page.waitForFunction(id => document.querySelector('#queue-rows tr.current')?.dataset.id === String(id), ids[3]);
	await settle();
	await decide('e', 'escalated');                // item 4
	// back to the top: k until the first item
	for (let i = 0; i < 5; i++) await kb.press('k');
	assert.equal(await current(page), ids[0]);
	await decide('d', 'dismissed');                // item 1
	// x selects for a bulk decision
	await kb.press('x');
	assert.match(await page.textContent('#sel-count'), /^1 ausgewählt/);
	await kb.press('x');
	assert.match(await page.textContent('#sel-count'), /^0 ausgewählt/);

	// Enter opens the item view; a decides there and moves to the next item
	let id = await current(page);
	await kb.press('Enter');
	await page.waitForSelector('#original');
	assert.equal(await page.evaluate(() => location.hash), '#/item/' + id);
	await kb.press('a');
	expect[id] = 'approved';
	await page.waitForFunction(id => location.hash.startsWith('#/item/') && location.hash !== '#/item/' + id, id);
	// r focuses the reason, type one, Escape leaves the field, d dismisses
	id = Number((await page.evaluate(() => location.hash)).split('/').pop());
	await page.waitForSelector('#reason');
	await kb.press('r');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'reason');
	await kb.type('Ironie, kein Angriff');
	await kb.press('Escape');
	await kb.press('d');
	expect[id] = 'dismissed';
	const typedReason = id;
	await page.waitForFunction(id => location.hash !== '#/item/' + id, id);
	// Escape goes back to the list
	await page.waitForSelector('#original');
	await kb.press('Escape');
	await page.waitForSelector('#queue-rows tr[data-id]');

	// the rest from the list: a, e, a, d
	for (const [key, state] of [['a', 'approved'], ['e', 'escalated'], ['a', 'approved'], ['d', 'dismissed']])
		await decide(key, state);
	await page.waitForSelector('#queue-rows td:has-text("Keine Einträge")');

	// every decision landed where the cursor was
	assert.equal(Object.keys(expect).length, 10, JSON.stringify(expect));
	for (const [id, state] of Object.entries(expect))
		assert.equal((await anna.get('/api/items/' + id)).state, state, 'item ' + id);
	const hist = (await anna.get('/api/items/' + typedReason)).history;
	assert.ok(hist.some(e => e.kind === 'queue.dismiss' && e.detail.reason === 'Ironie, kein Angriff'),
		'the typed reason is in the audit: ' + JSON.stringify(hist));
	assert.deepEqual(page.guard.errors, []);
	assert.deepEqual(page.guard.csp, []);
	await page.context().close();
});
