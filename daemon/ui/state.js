// state.js: what the views share: the logged-in user, the list the editor
// is working through, the undo stack, messages for screen readers, and the
// German names of states, actions, categories and decisions.

import { h, $ } from './dom.js';

export const ctx = {
	user: null,          // {name, role}
	view: null,          // the current view: {name, onKey?, onEvent?, destroy?}
	list: [],            // ids of the last queue list shown, in order
	listRoute: '#/queue',// where Esc from an item goes back to
	undo: [],            // ids decided in this browser tab, newest last
	selected: new Set(), // ids selected for a bulk decision
};

export const STATES = {
	open: 'offen', approved: 'bestätigt', dismissed: 'verworfen',
	escalated: 'eskaliert', closed: 'abgeschlossen', all: 'alle',
};

export const ACTIONS = {
	hide: 'verbergen', unhide: 'wieder anzeigen', delete: 'löschen', block: 'blockieren',
	unblock: 'Blockierung aufheben', mute: 'stummschalten', unmute: 'Stummschaltung aufheben',
	report: 'melden', escalate: 'eskalieren', review: 'prüfen', notify: 'benachrichtigen',
};

export const CATEGORIES = {
	insult: 'Beleidigung', defamation: 'Verleumdung', provocation: 'Provokation',
	vulgar: 'vulgär', violence: 'Gewalt', discrimination: 'Diskriminierung',
	racism: 'Rassismus', sexism: 'Sexismus', hate: 'Hass', illegal: 'gesetzeswidrig',
	commercial: 'kommerziell', offtopic: 'themenfremd', 'personal-data': 'persönliche Daten',
};

export const DECISIONS = {
	approve: { label: 'Bestätigen', key: 'a', done: 'bestätigt', cls: 'approve',
		reason: 'Vorschlag bestätigt: Verstoß gegen die Netiquette' },
	dismiss: { label: 'Verwerfen', key: 'd', done: 'verworfen', cls: 'dismiss',
		reason: 'Kein Verstoß gegen die Netiquette (Fehltreffer)' },
	escalate: { label: 'Eskalieren', key: 'e', done: 'eskaliert', cls: 'escalate',
		reason: 'Zur rechtlichen Prüfung' },
	close: { label: 'Abschließen', key: null, done: 'abgeschlossen', cls: '',
		reason: 'Rechtlich erledigt' },
	restore: { label: 'Wiederherstellen', key: null, done: 'wiederhergestellt', cls: '',
		reason: 'Wiederhergestellt' },
	undo: { label: 'Rückgängig', key: 'u', done: 'rückgängig gemacht', cls: '',
		reason: 'Entscheidung rückgängig gemacht' },
};

export const ROLES = { editor: 'Redaktion', legal: 'Rechtsprüfung', admin: 'Administration' };

export const cat = c => CATEGORIES[c] || c;
export const act = a => ACTIONS[a] || a;
export const st = s => STATES[s] || s;

// Polite announcement for screen readers (and tests); also shown visually
// in the view's status line when there is one.
export function announce(text) {
	const live = $('#live');
	// Clear first so that the same text twice is announced twice.
	live.textContent = '';
	setTimeout(() => { live.textContent = text; }, 30);
	const status = $('#status');
	if (status) {
		status.className = 'msg ok';
		status.textContent = text;
	}
}

export function showError(err) {
	const text = typeof err === 'string' ? err : germanError(err);
	$('#alert').textContent = text;
	const status = $('#status');
	if (status) {
		status.className = 'msg error';
		status.textContent = text;
	}
}

export function germanError(err) {
	if (!err) return 'Unbekannter Fehler.';
	const m = err.message || String(err);
	switch (err.status) {
	case 0: return 'Der Server ist nicht erreichbar.';
	case 401: return 'Nicht angemeldet oder Sitzung abgelaufen (' + m + ').';
	case 403: return 'Nicht erlaubt: ' + m;
	case 404: return 'Nicht gefunden: ' + m;
	case 409: return 'Nicht möglich im aktuellen Zustand: ' + m;
	case 429: return 'Zu viele Versuche: ' + m;
	default: return 'Fehler' + (err.status ? ' ' + err.status : '') + ': ' + m;
	}
}

export function tag(text, cls) {
	return h('span', { class: ['tag', cls] }, text);
}

export function stateBadge(s) {
	return h('span', { class: 'state-' + s }, st(s));
}

// An outbound link to the platform, only for http(s) URLs.
export function extLink(url, text) {
	let u;
	try { u = new URL(String(url)); } catch { return null; }
	if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
	const a = h('a', { rel: 'noopener noreferrer', target: '_blank' }, text);
	a.href = u.href;
	return a;
}

export function authorNodes(author) {
	const a = author || {};
	return [
		h('span', { class: 'author-name' }, a.name || a.handle || '–'),
		a.handle ? h('br') : null,
		a.handle ? h('span', { class: 'author-handle muted' }, '@' + a.handle) : null,
	];
}

export function isTyping(el) {
	if (!el) return false;
	if (el.isContentEditable) return true;
	const t = el.tagName;
	if (t === 'TEXTAREA' || t === 'SELECT') return true;
	if (t === 'INPUT') {
		const ty = (el.type || 'text').toLowerCase();
		return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(ty);
	}
	return false;
}
