// users.test.mjs: the administrators' user page in the browser: an
// administrator adds an editor by keyboard and mouse, the editor logs in
// with the initial password, the administrator disables and re-enables
// the editor; an editor sees neither the page nor the users API (403); a
// hostile-looking reason and a refused name stay text.  Screenshot:
// artifacts/users.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, Client, launch, newPage, login, cleanup, screenshot, insults } from './harness.mjs';

let fake, daemon, browser;

before(async () => {
	fake = await Fake.start(insults(1, 'users'));
	daemon = await Daemon.start(fake, { mode: 'review', users: { root: 'admin', anna: 'editor' } });
	browser = await launch();
});

after(cleanup);

function guardsClean(page) {
	assert.deepEqual(page.guard.errors, []);
	assert.deepEqual(page.guard.csp, []);
	assert.deepEqual(page.guard.foreign, []);
	assert.deepEqual(page.guard.dialogs, []);
}

test('an administrator adds an editor, who can then log in', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'root');
	await page.click('#nav a[data-route="users"]');
	await page.waitForSelector('#users-table tbody tr[data-user="anna"]');
	assert.equal(await page.textContent('h1#view-title'), 'Benutzer');
	// labelled fields, in German
	for (const [id, label] of [['user-add-name', 'Benutzername'], ['user-add-role', 'Rolle'],
		['user-add-password', 'Anfangspasswort'], ['user-add-reason', 'Begründung (für das Audit-Protokoll)']])
		assert.equal(await page.textContent('label[for="' + id + '"]'), label);
	// the table shows what the API has, and never a hash
	const row = await page.textContent('#users-table tr[data-user="anna"]');
	assert.match(row, /Redaktion/);
	assert.match(row, /aktiv/);
	assert.doesNotMatch(await page.content(), /argon2/);

	// a refused name: the daemon's message is shown as text
	await page.fill('#user-add-name', '<img src=x onerror=alert(1)>');
	await page.fill('#user-add-password', 'paula-passwort');
	await page.fill('#user-add-reason', 'Test');
	await page.click('#user-add-submit');
	await page.waitForSelector('#status.error');
	assert.match(await page.textContent('#status'), /name must be/);
	assert.equal(await page.locator('#main img').count(), 0);

	// by keyboard: tab order runs name, role, password, reason, submit
	await page.fill('#user-add-name', 'paula');
	await page.focus('#user-add-name');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'user-add-role');
	await page.selectOption('#user-add-role', 'editor');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'user-add-password');
	await page.keyboard.type('paula-passwort-1');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'user-add-reason');
	await page.keyboard.type('Verstärkung am Wochenende <b>fett</b>');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'user-add-submit');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#users-table tr[data-user="paula"]');
	assert.match(await page.textContent('#status'), /Benutzer paula angelegt \(Redaktion\)/);
	assert.match(await page.textContent('#users-table tr[data-user="paula"]'), /nie/);
	assert.equal(await page.inputValue('#user-add-password'), '', 'the password field is emptied');
	await screenshot(page, 'users');

	// the new editor logs in with the initial password
	const p2 = await newPage(browser, daemon.url);
	await login(p2, 'paula', 'paula-passwort-1');
	assert.match(await p2.textContent('#whoami'), /paula \(Redaktion\)/);
	await p2.waitForSelector('#queue-rows');

	// disabled: the editor's session ends; re-enabled: the editor logs in again
	await page.click('#users-table button[data-user="paula"][data-action="disable"]');
	await page.waitForSelector('#user-edit');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'user-edit-reason');
	await page.keyboard.type('Vertretung beendet');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#users-table button[data-user="paula"][data-action="enable"]');
	assert.match(await page.textContent('#users-table tr[data-user="paula"]'), /deaktiviert/);
	assert.equal(await p2.evaluate(async () => (await fetch('/api/session')).status), 401);
	await page.click('#users-table button[data-user="paula"][data-action="enable"]');
	await page.fill('#user-edit-reason', 'wieder da');
	await page.click('#user-edit-submit');
	await page.waitForSelector('#users-table button[data-user="paula"][data-action="disable"]');
	const p3 = await newPage(browser, daemon.url);
	await login(p3, 'paula', 'paula-passwort-1');

	// the administrator cannot disable themself: no such button
	assert.equal(await page.locator('#users-table button[data-user="root"][data-action="disable"]').count(), 0);

	// every change is in the audit log with the administrator as actor
	const admin = await daemon.client('root');
	const audit = await admin.get('/api/audit?kind=user.*&limit=100');
	const mine = audit.entries.filter(e => e.actor === 'editor:root' && e.detail.user === 'paula');
	assert.deepEqual(mine.map(e => e.kind), ['user.add', 'user.disable', 'user.enable']);
	assert.equal(mine[0].detail.reason, 'Verstärkung am Wochenende <b>fett</b>');
	for (const p of [page, p2, p3]) {
		guardsClean(p);
		await p.context().close();
	}
});

test('an editor cannot reach the user page or the users API', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	assert.equal(await page.isVisible('#nav a[data-route="users"]'), false, 'no menu entry');
	await page.goto('/#/users');
	await page.waitForSelector('h1:has-text("Kein Zugriff")');
	const r = await page.evaluate(async () => {
		const list = await fetch('/api/users');
		return { status: list.status, body: await list.json() };
	});
	assert.equal(r.status, 403);
	assert.match(r.body.error, /role editor may not/);
	assert.ok(!('users' in r.body));
	// the API refuses changes too, with a valid CSRF token
	const anna = await daemon.client('anna');
	const add = await anna.request('POST', '/api/users', { name: 'evil', role: 'admin', password: 'evil-passwort', reason: 'x' });
	assert.equal(add.status, 403);
	const ch = await anna.request('POST', '/api/users/anna', { action: 'role', role: 'admin', reason: 'x' });
	assert.equal(ch.status, 403);
	const root = new Client(daemon.url);
	await root.login('root', 'Korrekt-Pferd-Batterie-42');
	assert.equal((await root.get('/api/users')).users.find(u => u.name === 'anna').role, 'editor');
	guardsClean(page);
	await page.context().close();
});
