#!/usr/bin/env node
// mock_api.mjs: a development stand-in for netiquetted's HTTP API
// (daemon/API.md), in memory, for working on daemon/ui/ without building
// the daemon.  Not used by the tests, which run against the real daemon.
//   node tests/browser/mock_api.mjs [--port 8090]
// Users: anna/editor, lea/legal, root/admin, all with password "geheim".
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const UI = process.env.NETIQUETTED_UI_DIR || path.join(here, '..', '..', 'daemon', 'ui');
const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 8090) || 8090;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const now = () => Math.floor(Date.now() / 1000);

const users = { anna: 'editor', lea: 'legal', root: 'admin' };
const sessions = new Map();
const fails = new Map();
const audit = [];
const streams = new Set();
let seq = 0;

const texts = [
	['Du bist ein Vollidiot, Herr Minister!', 'insult.vollidiot', 'insult', 12, 21],
	['Kauft jetzt billige Uhren unter www.example.com', 'commercial.shop', 'commercial', 25, 48],
	['Ruf mich an: 0171 1234567 😀 äöü', 'personal-data.phone', 'personal-data', 13, 25],
	['<img src=x onerror="window.__xss=1"> Idiot', 'insult.idiot', 'insult', 37, 42],
];
const items = [];
for (let i = 0; i < 30; i++) {
	const [text, rule, category, s, e] = texts[i % texts.length];
	items.push({
		id: i + 1, platform: 'mastodon', account: 'bmi', item_id: String(109000000000000100n + BigInt(i)),
		kind: 'comment', permalink: 'https://social.bund.de/@user' + i + '/' + (1000 + i),
		author: { id: String(40 + i), handle: 'user' + i + '@example.org', name: i % 4 === 3 ? '<b onmouseover=alert(1)>Troll</b>' : 'Nutzer ' + i },
		text, created_at: now() - 3600 + i * 60, fetched_at: now() - 3000 + i * 60,
		state: 'open', proposed: category === 'commercial' ? ['delete'] : ['hide'],
		categories: [category], rules: [rule], severity: 2, assignee: '',
		queued_at: now() - 3000 + i * 60, updated_at: now() - 3000 + i * 60,
		notes: [], decisions: [], span: [rule, category, s, e],
	});
}

function allowed(it, role) {
	const a = [];
	if (it.state === 'open' && role !== 'legal') a.push('approve', 'dismiss', 'escalate');
	if (it.state === 'escalated' && role !== 'editor') a.push('approve', 'dismiss', 'close');
	if (['approved', 'dismissed', 'closed'].includes(it.state)) a.push('restore');
	if (it.decisions.length && (it.state !== 'escalated' || role !== 'editor')) a.push('undo');
	return a;
}

function summary(it, role) {
	const { notes, decisions, span, ...s } = it;
	return { ...s, notes: notes.length, allowed: allowed(it, role) };
}

function byteSlice(text, a, b) {
	const buf = Buffer.from(text);
	return [buf.subarray(0, a).toString(), buf.subarray(a, b).toString(), buf.subarray(b).toString()];
}

function detail(it, role) {
	const [rule, category, s, e] = it.span;
	const bs = Buffer.from(it.text.slice(0, s)).length, be = Buffer.from(it.text.slice(0, e)).length;
	const [x, y, z] = byteSlice(it.text, bs, be);
	return {
		...summary(it, role),
		segments: [{ text: x, rules: [] }, { text: y, rules: [rule] }, { text: z, rules: [] }].filter(q => q.text),
		spans: [{ rule, category, severity: 2, start: bs, end: be, what: 'pattern 1' }],
		normalized: it.text.toLowerCase(),
		matched_rules: [{ id: rule, category, clause: 'Beleidigungen', severity: 2, description: 'Beschreibung der Regel' }],
		decision: { actions: it.proposed, mode: 'review', rule_ids: rule, clause: 'Beleidigungen', reason: 'Regel ' + rule + ' (Schwere 2)', created_at: it.queued_at },
		verdict: { ruleset: 'abc123', review: false, review_reason: '' },
		author_history: { strikes: 1, items: [] },
		thread: { parent_id: '1', parent: { id: null, text: 'Das BMI informiert: neue Regeln.', author: { name: 'BMI', handle: 'bmi' }, created_at: now() - 7200 }, replies: [] },
		evidence: it.evidence || null,
		notes: it.notes,
		outbox: it.decisions.length && it.state === 'approved' ? [{ id: 1, action: it.proposed[0], state: 'done', attempts: 1, last_error: '', updated_at: now() }] : [],
		history: audit.filter(a => a.item === it.id),
	};
}

function addAudit(actor, kind, item, d) {
	audit.push({ seq: ++seq, ts: now(), actor, kind, item, detail: d, prev_hash: 'x', hash: crypto.randomBytes(32).toString('hex') });
}

function emit(ev) {
	for (const s of streams) s.write('event: queue\nid: ' + seq + '\ndata: ' + JSON.stringify(ev) + '\n\n');
}

function send(res, status, obj, extra = {}) {
	res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...sec(), ...extra });
	res.end(JSON.stringify(obj));
}
const sec = () => ({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });

function session(req) {
	const m = /(?:^|;\s*)nq_session=([^;]+)/.exec(req.headers.cookie || '');
	return m ? sessions.get(m[1]) : null;
}

const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.json': 'application/json' };

function serveFile(res, name) {
	if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) return send(res, 404, { error: 'not found' });
	fs.readFile(path.join(UI, name), (err, data) => {
		if (err) return send(res, 404, { error: 'not found' });
		res.writeHead(200, { 'Content-Type': types[path.extname(name)] || 'application/octet-stream', 'Cache-Control': 'no-cache', ...sec() });
		res.end(data);
	});
}

async function body(req) {
	let s = '';
	for await (const c of req) s += c;
	try { return JSON.parse(s || '{}'); } catch { return null; }
}

function decide(it, d, user, reason) {
	const from = it.state;
	const to = { approve: 'approved', dismiss: 'dismissed', escalate: 'escalated', close: 'closed', restore: 'dismissed' }[d];
	it.decisions.push(from);
	it.state = to;
	it.updated_at = now();
	addAudit('editor:' + user.name, 'queue.' + d, it.id, { from, to, reason, actions: d === 'approve' ? it.proposed : [] });
	emit({ item: it.id, state: to, by: user.name });
	return { item: summary(it, user.role), queued: d === 'approve' ? it.proposed.map((a, i) => ({ action: a, outbox: i + 1 })) : [], withdrawn: [], irreversible: [] };
}

http.createServer(async (req, res) => {
	const u = new URL(req.url, 'http://x');
	const p = u.pathname;
	if (req.method === 'GET' && p === '/') return serveFile(res, 'index.html');
	if (req.method === 'GET' && p.startsWith('/ui/')) return serveFile(res, p.slice(4));
	if (!p.startsWith('/api/')) return send(res, 404, { error: 'no such route' });
	const s = session(req);
	if (req.method === 'POST') {
		if (req.headers['sec-fetch-site'] && !['same-origin', 'none'].includes(req.headers['sec-fetch-site']))
			return send(res, 403, { error: 'cross-site request refused' });
		if (p !== '/api/login') {
			if (!s) return send(res, 401, { error: 'not logged in' });
			if (req.headers['x-csrf-token'] !== s.csrf) return send(res, 403, { error: 'CSRF token missing or wrong' });
		}
		if (!(req.headers['content-type'] || '').startsWith('application/json')) return send(res, 415, { error: 'body must be application/json' });
	}
	const b = req.method === 'POST' ? await body(req) : null;
	if (req.method === 'POST' && b === null) return send(res, 400, { error: 'malformed JSON' });
	if (p === '/api/login' && req.method === 'POST') {
		const ip = req.socket.remoteAddress;
		const f = fails.get(ip) || { n: 0, until: 0 };
		if (f.until > Date.now()) {
			const n = Math.ceil((f.until - Date.now()) / 1000);
			return send(res, 429, { error: 'too many failed logins; try again in ' + n + ' s' }, { 'Retry-After': String(n) });
		}
		if (!users[b.username] || b.password !== 'geheim') {
			f.n++;
			if (f.n >= 3) f.until = Date.now() + 1000 * Math.min(900, 2 ** (f.n - 3));
			fails.set(ip, f);
			return send(res, 401, { error: 'wrong user name or password' });
		}
		fails.delete(ip);
		const id = crypto.randomBytes(32).toString('base64url');
		const sess = { user: { name: b.username, role: users[b.username] }, csrf: crypto.randomBytes(16).toString('hex') };
		sessions.set(id, sess);
		return send(res, 200, { user: sess.user, csrf_token: sess.csrf, idle_timeout: 1800, expires_at: now() + 43200 },
			{ 'Set-Cookie': 'nq_session=' + id + '; Path=/; HttpOnly; SameSite=Strict' });
	}
	if (!s) return send(res, 401, { error: 'not logged in' });
	const user = s.user;
	if (p === '/api/session') return send(res, 200, { user, csrf_token: s.csrf, idle_timeout: 1800, expires_at: now() + 43200 });
	if (p === '/api/logout') {
		for (const [k, v] of sessions) if (v === s) sessions.delete(k);
		return send(res, 200, { ok: true }, { 'Set-Cookie': 'nq_session=; Path=/; Max-Age=0' });
	}
	if (p === '/api/events') {
		res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', ...sec() });
		res.write('retry: 5000\n\n');
		streams.add(res);
		req.on('close', () => streams.delete(res));
		return;
	}
	if (p === '/api/queue') {
		const q = Object.fromEntries(u.searchParams);
		const state = q.state || 'open';
		let list = items.filter(it => state === 'all' || it.state === state);
		if (q.category) list = list.filter(it => it.categories.includes(q.category));
		if (q.assignee) list = list.filter(it => (q.assignee === '-' ? '' : q.assignee) === it.assignee);
		const off = Number(q.offset || 0), lim = Number(q.limit || 50);
		return send(res, 200, { items: list.slice(off, off + lim).map(it => summary(it, user.role)), total: list.length, limit: lim, offset: off });
	}
	let m;
	if ((m = /^\/api\/items\/(\d+)(?:\/(\w+))?$/.exec(p))) {
		const it = items.find(x => x.id === Number(m[1]));
		if (!it) return send(res, 404, { error: 'no such item' });
		if (!m[2]) return send(res, 200, detail(it, user.role));
		if (m[2] === 'decide') {
			if (!b.reason) return send(res, 400, { error: 'reason missing' });
			if (!allowed(it, user.role).includes(b.decision)) return send(res, 409, { error: 'item ' + it.id + ' is ' + it.state });
			return send(res, 200, decide(it, b.decision, user, b.reason));
		}
		if (m[2] === 'undo') {
			if (!it.decisions.length) return send(res, 409, { error: 'nothing to undo' });
			const from = it.state;
			it.state = it.decisions.pop();
			addAudit('editor:' + user.name, 'queue.undo', it.id, { from, to: it.state, reason: b.reason });
			emit({ item: it.id, state: it.state, by: user.name });
			return send(res, 200, { item: summary(it, user.role), queued: [], withdrawn: [], irreversible: [] });
		}
		if (m[2] === 'assign') { it.assignee = b.assignee || ''; emit({ item: it.id }); return send(res, 200, { item: summary(it, user.role) }); }
		if (m[2] === 'notes') { const n = { author: user.name, text: b.text, created_at: now() }; it.notes.push(n); return send(res, 200, { note: n }); }
		if (m[2] === 'evidence') {
			if (user.role === 'editor') return send(res, 403, { error: 'legal or admin only' });
			it.evidence = { sha256: crypto.createHash('sha256').update(it.text).digest('hex'), created_at: now() };
			addAudit('editor:' + user.name, 'evidence.export', it.id, {});
			return send(res, 200, { format: 'netiquetted-evidence-export-1', record: { text: it.text }, sha256: it.evidence.sha256 },
				{ 'Content-Disposition': 'attachment; filename="evidence-' + it.id + '.json"' });
		}
	}
	if (p === '/api/queue/bulk') {
		const results = (b.ids || []).map(id => {
			const it = items.find(x => x.id === id);
			if (!it) return { id, ok: false, status: 404, error: 'no such item' };
			if (b.decision === 'assign') { it.assignee = b.assignee; return { id, ok: true }; }
			if (!allowed(it, user.role).includes(b.decision)) return { id, ok: false, status: 409, error: 'item ' + id + ' is ' + it.state };
			decide(it, b.decision, user, b.reason);
			return { id, ok: true };
		});
		return send(res, 200, { results });
	}
	if (user.role !== 'admin' && /^\/api\/(rules|audit|users)/.test(p)) return send(res, 403, { error: 'admin only' });
	if (p === '/api/rules') {
		const rules = texts.map(([, id, category]) => {
			const mine = items.filter(i => i.rules.includes(id));
			const c = st => mine.filter(i => i.state === st).length;
			const a = c('approved'), d = c('dismissed');
			return { id, category, clause: 'Beleidigungen', loaded: true, hits: mine.length, open: c('open'), approved: a, dismissed: d, escalated: c('escalated'), closed: c('closed'), precision: a + d ? a / (a + d) : null };
		});
		return send(res, 200, { ruleset: 'abc123def456', rules });
	}
	if ((m = /^\/api\/rules\/([^/]+)\/items$/.exec(p))) {
		const o = u.searchParams.get('outcome') || 'hits';
		const list = items.filter(i => i.rules.includes(decodeURIComponent(m[1])) && (o === 'hits' || i.state === o));
		return send(res, 200, { rule: m[1], outcome: o, items: list.map(i => summary(i, user.role)), total: list.length });
	}
	if (p === '/api/audit') return send(res, 200, { entries: audit.slice(-100), chain: { ok: true, head_seq: seq, head_hash: 'ab'.repeat(32) } });
	if (p === '/api/users') return send(res, 200, { users: Object.entries(users).map(([name, role]) => ({ name, role, created_at: now(), last_login: now() })) });
	return send(res, 404, { error: 'no such route' });
}).listen(port, '127.0.0.1', () => console.log('LISTENING ' + port));
