// harness.mjs: what the browser tests share: the fake Mastodon server and
// netiquetted on loopback with a temporary state directory and users, a
// small API client (cookie + CSRF), headless Debian chromium through
// playwright-core, and guards that catch any script a payload might run.
//
// Environment: NQ_BUILD_DIR (netiquetted, netiquettectl), NQ_SOURCE_DIR
// (fake server, rules, daemon/ui), NQ_CHROMIUM (default /usr/bin/chromium),
// NQ_KEEP=1 keeps the temporary directories.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC = path.resolve(process.env.NQ_SOURCE_DIR || path.join(here, '..', '..'));
export const BUILD = path.resolve(process.env.NQ_BUILD_DIR || path.join(SRC, 'build'));
export const DAEMON = path.join(BUILD, 'netiquetted');
export const CTL = path.join(BUILD, 'netiquettectl');
export const FAKE = path.join(SRC, 'tests', 'fake', 'fake_mastodon.py');
export const RULES = process.env.NQ_RULES_DIR || path.join(SRC, 'rules');
export const UI = path.join(SRC, 'daemon', 'ui');
export const CHROMIUM = process.env.NQ_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(here, 'artifacts');
export const PASSWORD = 'Korrekt-Pferd-Batterie-42';

const cleanups = [];

export async function cleanup() {
	while (cleanups.length) {
		const f = cleanups.pop();
		try { await f(); } catch (e) { console.error('cleanup:', e.message); }
	}
}

export function tmpdir(prefix) {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	if (!process.env.NQ_KEEP) cleanups.unshift(() => fs.rmSync(d, { recursive: true, force: true }));
	return d;
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

// Waits for a condition (tests wait for states, not for fixed times).
export async function waitFor(what, fn, timeout = 30000, interval = 100) {
	const deadline = Date.now() + timeout;
	let last;
	while (Date.now() < deadline) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			if (e.fatal) throw e;
			last = e;
		}
		await sleep(interval);
	}
	throw new Error('timed out after ' + timeout / 1000 + ' s waiting for ' + what + ' (last: ' +
		(last instanceof Error ? last.message : JSON.stringify(last)) + ')');
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

function stopProcess(proc, timeout = 20000) {
	return new Promise(resolve => {
		if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
		const t = setTimeout(() => proc.kill('SIGKILL'), timeout);
		proc.once('exit', code => { clearTimeout(t); resolve(code); });
		proc.kill('SIGTERM');
	});
}

// --- the fake Mastodon server --------------------------------------------

export class Fake {
	static async start(records = [], token = 'test-token') {
		const dir = tmpdir('nq-browser-fake-');
		const seed = path.join(dir, 'seed.jsonl');
		fs.writeFileSync(seed, records.map(r => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
		const proc = spawn('python3', [FAKE, '--port', '0', '--token', token, '--seed', seed],
			{ stdio: ['ignore', 'pipe', 'inherit'] });
		const rl = readline.createInterface({ input: proc.stdout });
		const line = await new Promise((resolve, reject) => {
			rl.once('line', resolve);
			proc.once('exit', c => reject(new Error('fake server exited: ' + c)));
		});
		rl.close();
		proc.stdout.resume();
		if (!line.startsWith('LISTENING ')) throw new Error('fake server did not start: ' + line);
		const f = new Fake();
		f.proc = proc;
		f.token = token;
		f.url = 'http://127.0.0.1:' + Number(line.split(' ')[1]);
		cleanups.push(() => stopProcess(proc, 5000));
		return f;
	}

	async get(p) {
		const r = await fetch(this.url + p);
		if (r.status !== 200) throw new Error('fake GET ' + p + ': ' + r.status);
		return r.json();
	}

	async post(p, obj) {
		const r = await fetch(this.url + p, { method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(obj) });
		if (r.status >= 300) throw new Error('fake POST ' + p + ': ' + r.status);
		const t = await r.text();
		return t ? JSON.parse(t) : null;
	}

	async actions() {
		return (await this.get('/_fake/actions')).actions;
	}
}

// --- netiquetted --------------------------------------------------------

export class Daemon {
	// users: {name: role}; all get PASSWORD.
	static async start(fake, { mode = 'review', rules = RULES, users = {}, extra = '' } = {}) {
		for (const f of [DAEMON, CTL])
			if (!fs.existsSync(f)) throw new Error(f + ' not found: build first (NQ_BUILD_DIR=' + BUILD + ')');
		const d = new Daemon();
		d.dir = tmpdir('nq-browser-');
		d.state = path.join(d.dir, 'state');
		fs.mkdirSync(d.state, { mode: 0o700 });
		d.port = await freePort();
		d.url = 'http://127.0.0.1:' + d.port;
		d.conf = path.join(d.dir, 'netiquetted.conf');
		const tokenFile = path.join(d.dir, 'mastodon.token');
		fs.writeFileSync(tokenFile, fake.token + '\n', { mode: 0o600 });
		fs.writeFileSync(d.conf,
			'state-dir = ' + d.state + '\nrules-dir = ' + rules + '\nlisten = 127.0.0.1:' + d.port + '\n' +
			'poll-interval = 5s\nbackoff-base = 1s\nbackoff-max = 4s\nmax-tries = 30\n' + extra + '\n' +
			'[account bmi]\nplatform = mastodon\nbase-url = ' + fake.url + '\n' +
			'token-file = ' + tokenFile + '\nmode = ' + mode + '\n' +
			// the first poll walks everything seeded, not only the newest page
			'backfill = yes\n');
		for (const [name, role] of Object.entries(users)) d.addUser(name, role);
		d.log = path.join(d.dir, 'daemon.log');
		const logfd = fs.openSync(d.log, 'a');
		const env = { ...process.env, NETIQUETTED_UI_DIR: UI };
		delete env.CREDENTIALS_DIRECTORY;
		d.proc = spawn(DAEMON, ['-f', d.conf], { stdio: ['ignore', logfd, logfd], env });
		fs.closeSync(logfd);
		cleanups.push(() => stopProcess(d.proc));
		await waitFor('daemon /healthz', async () => {
			if (d.proc.exitCode !== null)
				throw Object.assign(new Error('daemon exited ' + d.proc.exitCode + ': ' + d.readLog().slice(-2000)), { fatal: true });
			const r = await fetch(d.url + '/healthz');
			return r.status === 200;
		}, 30000);
		return d;
	}

	addUser(name, role, password = PASSWORD) {
		const r = spawnSync(CTL, ['user', 'add', name, '--role', role, '--state', this.state, '--password-stdin'],
			{ input: password + '\n', encoding: 'utf8' });
		if (r.status !== 0) throw new Error('netiquettectl user add ' + name + ': ' + r.status + ' ' + r.stderr);
	}

	readLog() {
		try { return fs.readFileSync(this.log, 'utf8'); } catch { return ''; }
	}

	stop() {
		return stopProcess(this.proc);
	}

	async client(name, password = PASSWORD) {
		const c = new Client(this.url);
		await c.login(name, password);
		return c;
	}
}

// A cookie + CSRF client, as a browser would be, for setting up and
// checking state around the browser steps.
export class Client {
	constructor(url) {
		this.url = url;
		this.cookie = '';
		this.csrf = '';
	}

	async request(method, p, body, headers = {}) {
		const h = { Accept: 'application/json', ...headers };
		if (this.cookie) h.Cookie = this.cookie;
		if (method !== 'GET' && !('X-CSRF-Token' in headers) && this.csrf) h['X-CSRF-Token'] = this.csrf;
		if (body !== undefined) h['Content-Type'] = 'application/json';
		for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
		const r = await fetch(this.url + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
		const sc = r.headers.get('set-cookie');
		if (sc) {
			const m = /nq_session=([^;]*)/.exec(sc);
			if (m) this.cookie = m[1] ? 'nq_session=' + m[1] : '';
		}
		const text = await r.text();
		let data = null;
		try { data = text ? JSON.parse(text) : null; } catch { data = text; }
		return { status: r.status, data, headers: r.headers };
	}

	async login(username, password) {
		const r = await this.request('POST', '/api/login', { username, password });
		if (r.status !== 200) throw new Error('login ' + username + ': ' + r.status + ' ' + JSON.stringify(r.data));
		this.csrf = r.data.csrf_token;
		return r.data;
	}

	async get(p) {
		const r = await this.request('GET', p);
		if (r.status !== 200) throw new Error('GET ' + p + ': ' + r.status + ' ' + JSON.stringify(r.data));
		return r.data;
	}

	async post(p, body) {
		const r = await this.request('POST', p, body);
		if (r.status !== 200) throw new Error('POST ' + p + ': ' + r.status + ' ' + JSON.stringify(r.data));
		return r.data;
	}

	async queue(params = {}) {
		return this.get('/api/queue?' + new URLSearchParams({ limit: '200', ...params }));
	}
}

// --- the browser --------------------------------------------------------

export async function launch() {
	if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' not found: install Debian chromium (scripts/deps.sh browser)');
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		// playwright gives each launch a new, empty --user-data-dir
		args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	cleanups.push(() => browser.close());
	return browser;
}

// A fresh browser context (its own cookies) and page, with guards: every
// dialog, every CSP violation, every page error and every request to
// another host is recorded in page.guard.
export async function newPage(browser, baseURL) {
	const context = await browser.newContext({
		baseURL, locale: 'de-DE', timezoneId: 'Europe/Berlin',
		viewport: { width: 1280, height: 900 }, acceptDownloads: true,
	});
	const page = await context.newPage();
	const guard = { dialogs: [], csp: [], errors: [], foreign: [], console: [] };
	page.guard = guard;
	page.on('dialog', d => { guard.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
	page.on('console', m => {
		const t = m.text();
		guard.console.push(m.type() + ': ' + t);
		if (/Content Security Policy|Content-Security-Policy/i.test(t)) guard.csp.push(t);
	});
	page.on('pageerror', e => guard.errors.push(String(e && e.message)));
	page.on('request', r => {
		const u = new URL(r.url());
		if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:', 'about:'].includes(u.protocol))
			guard.foreign.push(r.url());
	});
	return page;
}

export async function login(page, name, password = PASSWORD) {
	await page.goto('/');
	await page.fill('#login-user', name);
	await page.fill('#login-pass', password);
	await page.click('#login-submit');
	await page.waitForSelector('#whoami:has-text("' + name + '")');
}

export async function screenshot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const p = path.join(ARTIFACTS, name + '.png');
	await page.screenshot({ path: p, fullPage: true });
	return p;
}

// A rules directory with one rule that flags every comment into the review
// queue, so that arbitrary texts (XSS payloads) reach the editors.
export function catchAllRules() {
	const dir = tmpdir('nq-rules-');
	fs.writeFileSync(path.join(dir, 'all.rules'),
		'[rule offtopic.all]\ncategory = offtopic\nseverity = 1\n' +
		'description = Jeder Beitrag (Browser-Test)\npattern = [\\s\\S]\nmatch = x\n');
	return dir;
}

// Mastodon puts the mention of the account a reply is addressed to in
// front of the text (the fake does so as Mastodon does): what the platform
// delivers, and the daemon stores, is this prefix and the comment.
export const MENTION = '@bmi ';

// Comments the shipped rules flag (from their match examples), made unique,
// and harmless criticism they must leave alone.
const INSULTS = ['Du bist ein Arschloch', 'Du Vollidiot', 'Die Staatsidioten in Berlin', 'Du Trottel',
	'Alles Vollpfosten', 'Ihr Schwachmaten', 'Halt die Klappe, du Hurensohn', 'Was für ein hirnamputierter Typ'];
export function insults(n, prefix = 'troll') {
	return Array.from({ length: n }, (_, i) => ({
		author: prefix + i + '@example.org', display_name: 'Nutzer ' + prefix + ' ' + i,
		text: INSULTS[i % INSULTS.length] + ' (Beitrag ' + prefix + '-' + i + ')',
	}));
}
export const HARMLESS = [
	{ author: 'buerger1', display_name: 'Bürger Eins', text: 'Der Minister hat keine Ahnung' },
	{ author: 'buerger2', display_name: 'Bürgerin Zwei', text: 'Die Regierung versagt komplett' },
	{ author: 'buerger3', display_name: 'Bürger Drei', text: 'Wann kommt der neue Ausweis?' },
];
