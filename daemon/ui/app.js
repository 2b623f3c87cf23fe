// app.js: start-up, session, routing (#/queue, #/item/17, ...), global
// keyboard shortcuts, and the queue's live updates (server-sent events,
// polling as the fallback).

import { api, setCsrf } from './api.js';
import { h, $, $$, replace } from './dom.js';
import { ctx, ROLES, announce, showError, germanError, isTyping } from './state.js';
import { queueView } from './queue.js';
import { itemView } from './item.js';
import { rulesView, ruleItemsView, auditView } from './admin.js';
import { usersView } from './users.js';

const main = () => $('#main');

function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, query] = raw.split('?');
	const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
	return { parts, params: new URLSearchParams(query || '') };
}

export function go(hash) {
	if (location.hash === hash) route();
	else location.hash = hash;
}

function defaultRoute() {
	return ctx.user && ctx.user.role === 'legal' ? '#/escalations' : '#/queue';
}

function allowedRoles(name) {
	const a = $('#nav a[data-route="' + name + '"]');
	return a ? a.dataset.roles.split(' ') : ['editor', 'legal', 'admin'];
}

async function route() {
	if (ctx.view && ctx.view.destroy) ctx.view.destroy();
	ctx.view = null;
	if (!ctx.user) return loginView();
	const { parts, params } = parseHash();
	const name = parts[0] || '';
	$('#keyhint').classList.add('hidden');
	for (const a of $$('#nav a')) {
		if (a.dataset.route === name || (name === 'item' && a.dataset.route === ctx.listRoute.slice(2).split('?')[0]))
			a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	if (['queue', 'escalations', 'rules', 'audit', 'users'].includes(name) &&
	    !allowedRoles(name).includes(ctx.user.role)) {
		replace(main(), h('h1', null, 'Kein Zugriff'),
			h('p', null, 'Diese Seite ist Ihrer Rolle (' + (ROLES[ctx.user.role] || ctx.user.role) + ') nicht zugänglich.'));
		return;
	}
	switch (name) {
	case 'queue': ctx.view = queueView(main(), params, { escalations: false }); break;
	case 'escalations': ctx.view = queueView(main(), params, { escalations: true }); break;
	case 'item': ctx.view = itemView(main(), parts[1]); break;
	case 'rules':
		ctx.view = parts[1] ? ruleItemsView(main(), parts[1], params) : rulesView(main());
		break;
	case 'audit': ctx.view = auditView(main(), params); break;
	case 'users': ctx.view = usersView(main()); break;
	default: location.replace(defaultRoute()); return;
	}
}

// --- session ------------------------------------------------------------

function setSession(s) {
	ctx.user = s.user;
	setCsrf(s.csrf_token);
	$('#topbar').classList.remove('hidden');
	$('#whoami').textContent = s.user.name + ' (' + (ROLES[s.user.role] || s.user.role) + ')';
	for (const li of $$('#nav li')) {
		const a = li.querySelector('a');
		li.hidden = !a.dataset.roles.split(' ').includes(s.user.role);
	}
	startEvents();
}

function clearSession() {
	ctx.user = null;
	setCsrf('');
	ctx.undo = [];
	ctx.selected.clear();
	stopEvents();
	$('#topbar').classList.add('hidden');
	$('#keyhint').classList.add('hidden');
}

// Any 401 from a view ends the session in the UI and shows the login.
export function sessionLost(err) {
	clearSession();
	loginView(germanError(err));
}

function loginView(message) {
	if (ctx.view && ctx.view.destroy) ctx.view.destroy();
	ctx.view = { name: 'login' };
	document.title = 'Anmelden – netiquetted';
	const user = h('input', { type: 'text', id: 'login-user', name: 'username', autocomplete: 'username',
		required: true, autocapitalize: 'none', spellcheck: 'false' });
	const pass = h('input', { type: 'password', id: 'login-pass', name: 'password',
		autocomplete: 'current-password', required: true });
	const err = h('p', { class: 'msg error', id: 'login-error', role: 'alert' }, message || '');
	const btn = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Anmelden');
	let timer = null;
	const form = h('form', { class: 'login', id: 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
		h('h1', { id: 'login-title' }, 'Anmelden'),
		h('p', { class: 'muted' }, 'Moderation der Social-Media-Kanäle'),
		h('div', { class: 'field' }, h('label', { for: 'login-user' }, 'Benutzername'), user),
		h('div', { class: 'field' }, h('label', { for: 'login-pass' }, 'Passwort'), pass),
		err, btn);
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		if (!user.value || !pass.value) {
			err.textContent = 'Bitte Benutzername und Passwort eingeben.';
			(user.value ? pass : user).focus();
			return;
		}
		btn.disabled = true;
		err.textContent = '';
		try {
			const s = await api.login(user.value, pass.value);
			pass.value = '';
			setSession(s);
			if (!location.hash || location.hash === '#/login' || location.hash === '#/') location.hash = defaultRoute();
			else route();
			announce('Angemeldet als ' + s.user.name + '.');
		} catch (e) {
			pass.value = '';
			if (e.status === 429) {
				let left = e.retryAfter ?? 1;
				const tick = () => {
					err.textContent = 'Zu viele Fehlversuche. Bitte warten Sie ' + left + ' s, bevor Sie es erneut versuchen.';
					if (left <= 0) { btn.disabled = false; err.textContent = 'Sie können es jetzt erneut versuchen.'; clearInterval(timer); timer = null; }
					left--;
				};
				clearInterval(timer);
				tick();
				timer = setInterval(tick, 1000);
				pass.focus();
				return;
			}
			err.textContent = e.status === 401 ? 'Benutzername oder Passwort ist falsch.' : germanError(e);
			btn.disabled = false;
			pass.focus();
		}
	});
	ctx.view.destroy = () => clearInterval(timer);
	replace(main(), form);
	user.focus();
}

async function logout() {
	try { await api.logout(); } catch (e) { /* the session is gone either way */ }
	clearSession();
	history.replaceState(null, '', '#/login');
	loginView();
	announce('Abgemeldet.');
}

// --- live updates -------------------------------------------------------

let es = null, pollTimer = null, esFailures = 0;

function dispatchEvent(data) {
	if (ctx.view && ctx.view.onEvent) ctx.view.onEvent(data);
}

function startEvents() {
	stopEvents();
	esFailures = 0;
	if (!('EventSource' in window)) return startPolling();
	es = new EventSource('/api/events');
	es.addEventListener('queue', ev => {
		esFailures = 0;
		let data = {};
		try { data = JSON.parse(ev.data); } catch { /* ignore */ }
		dispatchEvent(data);
	});
	es.addEventListener('open', () => { esFailures = 0; });
	es.addEventListener('error', () => {
		// EventSource reconnects by itself; when the server refuses the
		// stream (closed), or keeps failing, poll instead.
		esFailures++;
		if (es.readyState === EventSource.CLOSED || esFailures > 3) {
			es.close();
			es = null;
			startPolling();
		}
	});
}

function startPolling() {
	clearInterval(pollTimer);
	pollTimer = setInterval(() => dispatchEvent({ poll: true }), 15000);
}

function stopEvents() {
	if (es) es.close();
	es = null;
	clearInterval(pollTimer);
	pollTimer = null;
}

// --- keyboard -----------------------------------------------------------

let gPending = 0;

function onKey(ev) {
	if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
	const help = $('#help');
	if (help.open) return;
	if (isTyping(ev.target)) {
		if (ev.key === 'Escape') ev.target.blur();
		return;
	}
	if (!ctx.user) return;
	const key = ev.key;
	if (key === '?') {
		ev.preventDefault();
		help.showModal();
		$('#help-close').focus();
		return;
	}
	if (gPending && Date.now() - gPending < 1500) {
		gPending = 0;
		const dest = { q: '#/queue', e: '#/escalations', r: '#/rules', l: '#/audit' }[key];
		if (dest) { ev.preventDefault(); go(dest); }
		return;
	}
	gPending = 0;
	if (key === 'g') { gPending = Date.now(); return; }
	if (ctx.view && ctx.view.onKey && ctx.view.onKey(key, ev)) ev.preventDefault();
}

// --- start --------------------------------------------------------------

async function start() {
	document.addEventListener('keydown', onKey);
	window.addEventListener('hashchange', () => { if (ctx.user) route(); });
	$('#logout').addEventListener('click', logout);
	window.addEventListener('nq-session-lost', ev => sessionLost(ev.detail));
	try {
		setSession(await api.session());
		route();
	} catch (e) {
		clearSession();
		if (e.status === 401) loginView();
		else loginView(germanError(e));
	}
}

start().catch(showError);
