// auth.test.mjs: login and logout in the browser, the session cookie's
// attributes, CSRF protection (missing, wrong, cross-origin), and login
// throttling after wrong passwords.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fake, Daemon, Client, launch, newPage, login, cleanup, waitFor, insults, PASSWORD } from './harness.mjs';

let fake, daemon, browser;

before(async () => {
	fake = await Fake.start(insults(3, 'auth'));
	daemon = await Daemon.start(fake, { mode: 'review', users: { anna: 'editor', otto: 'editor' } });
	browser = await launch();
	const c = await daemon.client('anna');
	await waitFor('3 items queued', async () => (await c.queue()).total === 3, 60000);
});

after(cleanup);

test('login and logout', async () => {
	const page = await newPage(browser, daemon.url);
	await page.goto('/');
	// the login page, in German, labelled
	await page.waitForSelector('#login-form');
	assert.equal(await page.textContent('label[for="login-user"]'), 'Benutzername');
	assert.equal(await page.textContent('label[for="login-pass"]'), 'Passwort');
	await login(page, 'anna');
	assert.match(await page.textContent('#whoami'), /anna \(Redaktion\)/);
	await page.waitForSelector('#queue-rows tr[data-id]');
	const cookies = await page.context().cookies();
	const sess = cookies.find(c => c.name === 'nq_session');
	assert.ok(sess, 'session cookie set');
	assert.equal(sess.httpOnly, true, 'HttpOnly');
	assert.equal(sess.sameSite, 'Strict', 'SameSite=Strict');
	assert.equal(await page.evaluate(() => document.cookie), '', 'cookie not readable by script');
	// a reload keeps the session
	await page.reload();
	await page.waitForSelector('#queue-rows tr[data-id]');
	await page.click('#logout');
	await page.waitForSelector('#login-form');
	assert.equal(await page.evaluate(async () => (await fetch('/api/session')).status), 401, 'session ends on logout');
	await page.reload();
	await page.waitForSelector('#login-form');
	assert.equal(await page.isVisible('#topbar'), false);
	assert.deepEqual(page.guard.errors, []);
	assert.deepEqual(page.guard.csp, []);
	assert.deepEqual(page.guard.foreign, []);
	await page.context().close();
});

test('security headers on the page, the UI files and the API', async () => {
	for (const p of ['/', '/ui/app.js', '/ui/app.css', '/api/session']) {
		const r = await fetch(daemon.url + p);
		const csp = r.headers.get('content-security-policy') || '';
		assert.match(csp, /default-src 'self'/, p + ' CSP');
		assert.match(csp, /script-src 'self'/, p + ' CSP script-src');
		assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p + ' CSP without unsafe-*');
		assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
		assert.ok(r.headers.get('referrer-policy'), p + ' Referrer-Policy');
		assert.ok(/DENY/i.test(r.headers.get('x-frame-options') || '') || /frame-ancestors 'none'/.test(csp), p + ' frame denial');
	}
	const js = await fetch(daemon.url + '/ui/app.js');
	assert.match(js.headers.get('content-type') || '', /javascript/);
});

test('a request without or with a wrong CSRF token is rejected', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.waitForSelector('#queue-rows tr[data-id]');
	const id = Number(await page.getAttribute('#queue-rows tr[data-id]', 'data-id'));
	const post = (headers, body) => page.evaluate(async ([id, headers, body]) => {
		const r = await fetch('/api/items/' + id + '/decide', {
			method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
		});
		return { status: r.status, body: await r.json().catch(() => null) };
	}, [id, headers, body]);
	const decision = { decision: 'approve', reason: 'CSRF-Test' };
	const none = await post({}, decision);
	assert.equal(none.status, 403, 'no token: ' + JSON.stringify(none));
	assert.match(none.body.error, /CSRF/);
	const wrong = await post({ 'X-CSRF-Token': 'x'.repeat(43) }, decision);
	assert.equal(wrong.status, 403, 'wrong token: ' + JSON.stringify(wrong));
	const empty = await post({ 'X-CSRF-Token': '' }, decision);
	assert.equal(empty.status, 403, 'empty token');
	// another user's token does not fit this session
	const otto = await daemon.client('otto');
	const foreign = await post({ 'X-CSRF-Token': otto.csrf }, decision);
	assert.equal(foreign.status, 403, "another session's token");
	// logout is state-changing too
	const lo = await page.evaluate(async () => (await fetch('/api/logout', {
		method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
	assert.equal(lo, 403, 'logout without token');
	// cookie + right token, but from another origin / another site
	const anna = await daemon.client('anna');
	let r = await anna.request('POST', '/api/items/' + id + '/decide', decision, { Origin: 'http://evil.example' });
	assert.equal(r.status, 403, 'foreign Origin: ' + JSON.stringify(r.data));
	r = await anna.request('POST', '/api/items/' + id + '/decide', decision, { 'Sec-Fetch-Site': 'cross-site' });
	assert.equal(r.status, 403, 'Sec-Fetch-Site cross-site');
	// nothing of that changed the item
	const it = await anna.get('/api/items/' + id);
	assert.equal(it.state, 'open');
	const acts = await fake.actions();
	assert.equal(acts.length, 0, 'no platform action: ' + JSON.stringify(acts));
	// the UI's own request carries the token and works
	await page.click('#queue-rows tr[data-id="' + id + '"] a');
	await page.waitForSelector('#original');
	await page.fill('#note-text', 'Notiz mit CSRF-Token');
	await page.click('text=Notiz speichern');
	await page.waitForSelector('#notes li:has-text("Notiz mit CSRF-Token")');
	await page.context().close();
});

// Last: throttling counts per client IP too, and every test here comes from
// 127.0.0.1.
test('a session replaced under the page (as an authenticating proxy does) costs the page one retry, not the action', async () => {
	const page = await newPage(browser, daemon.url);
	await login(page, 'anna');
	await page.waitForSelector('#queue-rows tr[data-id]');
	const id = await page.getAttribute('#queue-rows tr[data-id]', 'data-id');
	await page.click('#queue-rows tr[data-id="' + id + '"] a');
	await page.waitForSelector('#original');
	// another session of the same user takes the cookie's place: the page
	// still holds the old session's CSRF token
	const other = await daemon.client('anna');
	const u = new URL(daemon.url);
	await page.context().addCookies([{ name: 'nq_session', value: other.cookie.split('=')[1],
		domain: u.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
	const statuses = [];
	page.on('response', r => { if (r.url().includes('/notes')) statuses.push(r.status()); });
	await page.fill('#note-text', 'Notiz nach Sitzungswechsel');
	await page.click('text=Notiz speichern');
	await page.waitForSelector('#notes li:has-text("Notiz nach Sitzungswechsel")');
	assert.deepEqual(statuses, [403, 200], 'refused once with the old token, then sent with the new one');
	const notes = (await other.get('/api/items/' + id)).notes.map(n => n.text);
	assert.equal(notes.filter(t => t === 'Notiz nach Sitzungswechsel').length, 1, 'one note: ' + JSON.stringify(notes));
	await page.context().close();
});

test('wrong passwords are throttled', async () => {
	const page = await newPage(browser, daemon.url);
	await page.goto('/');
	await page.waitForSelector('#login-form');
	for (let i = 0; i < 3; i++) {
		await page.fill('#login-user', 'anna');
		await page.fill('#login-pass', 'falsch-' + i);
		await page.click('#login-submit');
		await page.waitForFunction(n => document.querySelector('#login-error').textContent.includes('falsch') &&
			!document.querySelector('#login-submit').disabled, i);
		await page.evaluate(() => { document.querySelector('#login-error').textContent = ''; });
	}
	// The wait doubles with each further failure: two more wrong ones
	// (each after its wait) make it 4 s, long enough to look at.
	const c = new Client(daemon.url);
	// (on a slow machine the first wait may be over before we ask: a wrong
	// password then counts once more)
	let r;
	for (let i = 0; i < 6; i++) {
		r = await c.request('POST', '/api/login', { username: 'anna', password: 'noch-falsch' });
		if (r.status === 429) break;
		assert.equal(r.status, 401);
	}
	assert.equal(r.status, 429, 'throttled after 3 failures');
	assert.match(r.data.error, /too many failed logins/);
	for (let i = 0; i < 2; i++) {
		const waited = Date.now();
		do {
			await new Promise(res => setTimeout(res, Number(r.headers.get('retry-after') || 1) * 1000 + 100));
			r = await c.request('POST', '/api/login', { username: 'anna', password: 'wieder-falsch' });
		} while (r.status === 429 && Date.now() - waited < 20000);
		assert.equal(r.status, 401, 'after the wait, a wrong password is checked again');
		r = await c.request('POST', '/api/login', { username: 'anna', password: PASSWORD });
		assert.equal(r.status, 429);
		assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After: ' + r.headers.get('retry-after'));
	}
	// the browser is refused too, whatever the password, and the UI says so
	await page.fill('#login-user', 'anna');
	await page.fill('#login-pass', PASSWORD);
	await page.click('#login-submit');
	await page.waitForFunction(() => /Fehlversuche/.test(document.querySelector('#login-error').textContent));
	assert.match(await page.textContent('#login-error'), /Bitte warten Sie \d+ s/);
	assert.equal(await page.isDisabled('#login-submit'), true, 'the button waits for Retry-After');
	assert.equal(await page.isVisible('#topbar'), false, 'not logged in');
	// after the wait, the right password works (and resets the counters)
	await page.waitForFunction(() => !document.querySelector('#login-submit').disabled, null, { timeout: 40000 });
	await page.fill('#login-user', 'anna');
	await page.fill('#login-pass', PASSWORD);
	await page.click('#login-submit');
	await page.waitForSelector('#whoami:has-text("anna")');
	const m = await (await fetch(daemon.url + '/metrics')).text();
	assert.match(m, /netiquetted_logins_total\{result="throttled"\} [1-9]/);
	assert.match(m, /netiquetted_logins_total\{result="failed"\} [3-9]/);
	await page.context().close();
});
