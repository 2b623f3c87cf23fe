// api.js: the daemon's JSON API (daemon/API.md).  Every POST carries the
// session's CSRF token in X-CSRF-Token; the session cookie is HttpOnly and
// sent by the browser (same origin).

let csrf = '';

export function setCsrf(token) {
	csrf = token || '';
}

export class ApiError extends Error {
	constructor(status, message, retryAfter) {
		super(message);
		this.status = status;
		this.retryAfter = retryAfter;
	}
}

// The daemon's answer when the token is not the session's: behind an
// authenticating proxy, an expired session is replaced by a new one (with a
// new token) on the next request, so the page asks for the token again and
// retries once.
const CSRF_REFUSED = 'CSRF token missing or wrong';

async function request(method, path, body, retried = false) {
	const headers = { 'Accept': 'application/json' };
	const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
	if (method !== 'GET') {
		headers['X-CSRF-Token'] = csrf;
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body ?? {});
	}
	let r;
	try {
		r = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'Der Server ist nicht erreichbar.');
	}
	let data = null;
	const type = r.headers.get('Content-Type') || '';
	if (type.includes('json')) {
		try { data = await r.json(); } catch { data = null; }
	}
	if (r.status === 403 && method !== 'GET' && !retried && data && data.error === CSRF_REFUSED) {
		const s = await request('GET', '/api/session', undefined, true);
		if (s.data && s.data.csrf_token) {
			setCsrf(s.data.csrf_token);
			return request(method, path, body, true);
		}
	}
	if (!r.ok) {
		const msg = data && typeof data.error === 'string' ? data.error : r.status + ' ' + r.statusText;
		const ra = parseInt(r.headers.get('Retry-After') || '', 10);
		throw new ApiError(r.status, msg, isNaN(ra) ? undefined : ra);
	}
	return { data, headers: r.headers };
}

const get = async path => (await request('GET', path)).data;
const post = async (path, body) => (await request('POST', path, body)).data;

function qs(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {}))
		if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
	const s = u.toString();
	return s ? '?' + s : '';
}

const enc = encodeURIComponent;

export const api = {
	session: () => get('/api/session'),
	login: (username, password) => post('/api/login', { username, password }),
	logout: () => post('/api/logout', {}),
	queue: params => get('/api/queue' + qs(params)),
	item: id => get('/api/items/' + enc(id)),
	decide: (id, decision, reason) => post('/api/items/' + enc(id) + '/decide', { decision, reason }),
	undo: (id, reason) => post('/api/items/' + enc(id) + '/undo', { reason }),
	assign: (id, assignee) => post('/api/items/' + enc(id) + '/assign', { assignee }),
	note: (id, text) => post('/api/items/' + enc(id) + '/notes', { text }),
	evidence: async id => {
		const { data, headers } = await request('POST', '/api/items/' + enc(id) + '/evidence', {});
		const cd = headers.get('Content-Disposition') || '';
		const m = /filename="([A-Za-z0-9._-]+)"/.exec(cd);
		return { data, filename: m ? m[1] : 'evidence-' + id + '.json' };
	},
	bulk: (ids, decision, reason, assignee) => post('/api/queue/bulk', { ids, decision, reason, assignee }),
	rules: () => get('/api/rules'),
	ruleItems: (rule, outcome, limit, offset) =>
		get('/api/rules/' + enc(rule) + '/items' + qs({ outcome, limit, offset })),
	users: () => get('/api/users'),
	userAdd: body => post('/api/users', body),
	userChange: (name, body) => post('/api/users/' + enc(name), body),
	audit: params => get('/api/audit' + qs(params)),
	healthz: () => get('/healthz'),
};
