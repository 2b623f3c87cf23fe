// queue.js: the queue list (editors) and the escalation list (legal
// reviewers): filters, paging, a roving cursor driven by j/k, decisions by
// a/d/e and u, bulk selection, and live updates.

import { api } from './api.js';
import { h, $, $$, replace, when } from './dom.js';
import {
	ctx, STATES, CATEGORIES, DECISIONS, announce, showError, cat, act,
	stateBadge, authorNodes, tag,
} from './state.js';

const PAGES = [25, 50, 100, 200];
const EXCERPT = 400;

export function lostIfUnauthorized(e) {
	if (e && e.status === 401) {
		window.dispatchEvent(new CustomEvent('nq-session-lost', { detail: e }));
		return true;
	}
	return false;
}

function excerpt(s) {
	s = String(s ?? '');
	return s.length > EXCERPT ? s.slice(0, EXCERPT) + ' …' : s;
}

// Decides one item; returns the response or null (error shown).  Records
// it for undo.
export async function decideItem(item, decision, reason) {
	const d = DECISIONS[decision];
	if (!item) return null;
	if (!(item.allowed || []).includes(decision)) {
		announce('Nicht möglich: „' + d.label + '“ ist für Eintrag ' + item.id + ' im Zustand ' +
			(STATES[item.state] || item.state) + ' nicht erlaubt.');
		return null;
	}
	try {
		const r = decision === 'undo'
			? await api.undo(item.id, reason || d.reason)
			: await api.decide(item.id, decision, reason || d.reason);
		if (decision === 'undo') {
			const i = ctx.undo.lastIndexOf(item.id);
			if (i >= 0) ctx.undo.splice(i, 1);
		} else {
			ctx.undo.push(item.id);
		}
		announce(describeResult(item.id, d.done, r));
		return r;
	} catch (e) {
		if (!lostIfUnauthorized(e)) showError(e);
		return null;
	}
}

export function describeResult(id, done, r) {
	let s = 'Eintrag ' + id + ' ' + done + '.';
	const q = (r && r.queued) || [], w = (r && r.withdrawn) || [], irr = (r && r.irreversible) || [];
	if (q.length) s += ' Veranlasst: ' + q.map(x => act(x.action)).join(', ') + '.';
	if (w.length) s += ' Zurückgezogen: ' + w.map(x => act(x.action)).join(', ') + '.';
	if (irr.length) s += ' Nicht umkehrbar: ' + irr.map(x => act(x.action || x)).join(', ') + '.';
	return s;
}

// Undo of the newest decision taken in this tab, else of `fallback`.
export async function undoLast(fallback) {
	let id = ctx.undo.length ? ctx.undo[ctx.undo.length - 1] : null;
	let item = null;
	try {
		if (id !== null) item = await api.item(id);
		else if (fallback) item = fallback;
	} catch (e) {
		if (lostIfUnauthorized(e)) return null;
		ctx.undo.pop();
		item = fallback;
	}
	if (!item) {
		announce('Nichts rückgängig zu machen.');
		return null;
	}
	if (!(item.allowed || []).includes('undo')) {
		if (id !== null) ctx.undo.pop();
		announce('Eintrag ' + item.id + ' kann nicht rückgängig gemacht werden.');
		return null;
	}
	return decideItem(item, 'undo');
}

export function queueView(root, params, { escalations }) {
	const role = ctx.user.role;
	const p = {
		state: params.get('state') || (escalations ? 'escalated' : 'open'),
		platform: params.get('platform') || '',
		account: params.get('account') || '',
		category: params.get('category') || '',
		assignee: params.get('assignee') || '',
		since: params.get('since') || '',
		offset: Math.max(0, parseInt(params.get('offset') || '0', 10) || 0),
	};
	const PAGE = PAGES.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : PAGES[0];
	const base = escalations ? '#/escalations' : '#/queue';
	ctx.listRoute = base + '?' + params.toString();
	let items = [], total = 0, cursor = 0, loading = false, again = false, destroyed = false;
	let lastIds = null;

	const title = escalations ? 'Eskalationen' : 'Warteschlange';
	document.title = title + ' – netiquetted';

	// filters
	const fState = h('select', { id: 'f-state', name: 'state' },
		Object.entries(STATES).map(([v, l]) => h('option', { value: v, selected: v === p.state }, l)));
	const fCat = h('select', { id: 'f-category', name: 'category' },
		h('option', { value: '' }, 'alle'),
		Object.entries(CATEGORIES).map(([v, l]) => h('option', { value: v, selected: v === p.category }, l)));
	const fPlatform = h('select', { id: 'f-platform', name: 'platform' },
		['', 'mastodon', 'youtube', 'facebook', 'instagram', 'x'].map(v =>
			h('option', { value: v, selected: v === p.platform }, v || 'alle')));
	const fAccount = h('input', { type: 'text', id: 'f-account', name: 'account', value: p.account, size: 10 });
	const fAssignee = h('input', { type: 'text', id: 'f-assignee', name: 'assignee', value: p.assignee, size: 10,
		'aria-describedby': 'f-assignee-hint' });
	const fLimit = h('select', { id: 'f-limit', name: 'limit' },
		PAGES.map(n => h('option', { value: String(n), selected: n === PAGE }, String(n))));
	const fSince = h('input', { type: 'date', id: 'f-since', name: 'since',
		value: p.since ? isoDate(Number(p.since)) : '' });
	const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter', id: 'filters' },
		field('f-state', 'Status', fState),
		field('f-platform', 'Plattform', fPlatform),
		field('f-account', 'Konto', fAccount),
		field('f-category', 'Kategorie', fCat),
		h('div', { class: 'field' }, h('label', { for: 'f-assignee' }, 'Zuständig'), fAssignee,
			h('span', { class: 'visually-hidden', id: 'f-assignee-hint' }, 'Benutzername, oder ein Minuszeichen für nicht zugewiesene')),
		field('f-since', 'Seit', fSince),
		field('f-limit', 'pro Seite', fLimit),
		h('button', { type: 'submit', class: 'primary' }, 'Filtern'),
		h('button', { type: 'button', id: 'f-reset', on: { click: () => { location.hash = base; } } }, 'Zurücksetzen'),
		h('button', { type: 'button', id: 'f-mine', on: { click: () => { fAssignee.value = ctx.user.name; filters.requestSubmit(); } } }, 'Mir zugewiesen'));
	filters.addEventListener('submit', ev => {
		ev.preventDefault();
		const q = new URLSearchParams();
		if (fState.value) q.set('state', fState.value);
		for (const [k, el] of [['platform', fPlatform], ['account', fAccount], ['category', fCat], ['assignee', fAssignee]])
			if (el.value.trim()) q.set(k, el.value.trim());
		if (Number(fLimit.value) !== PAGES[0]) q.set('limit', fLimit.value);
		if (fSince.value) q.set('since', String(Math.floor(new Date(fSince.value + 'T00:00:00').getTime() / 1000)));
		location.hash = base + '?' + q.toString();
	});

	// bulk bar
	const selCount = h('span', { id: 'sel-count', 'aria-live': 'polite' }, '0 ausgewählt');
	const bulkReason = h('input', { type: 'text', id: 'bulk-reason', size: 28, maxlength: 1000,
		placeholder: 'Standardbegründung' });
	const bulkSet = role === 'legal' ? ['approve', 'dismiss', 'close']
		: role === 'admin' ? ['approve', 'dismiss', 'escalate', 'close'] : ['approve', 'dismiss', 'escalate'];
	const bulkButtons = bulkSet.map(d =>
		h('button', { type: 'button', class: DECISIONS[d].cls, dataset: { bulk: d }, on: { click: () => bulk(d) } },
			DECISIONS[d].label));
	const bulkAssign = h('button', { type: 'button', dataset: { bulk: 'assign' }, on: { click: () => bulk('assign') } }, 'Mir zuweisen');
	const bulkBar = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Sammelentscheidung' },
		selCount,
		h('label', { for: 'bulk-reason' }, 'Begründung'), bulkReason,
		bulkButtons, bulkAssign,
		h('button', { type: 'button', id: 'sel-none', on: { click: () => { ctx.selected.clear(); render(); } } }, 'Auswahl aufheben'));

	const status = h('p', { id: 'status', class: 'msg', role: 'status' });
	const count = h('p', { id: 'queue-count', class: 'muted' }, 'Wird geladen …');
	const selAll = h('input', { type: 'checkbox', id: 'sel-all', 'aria-label': 'Alle Einträge dieser Seite auswählen' });
	selAll.addEventListener('change', () => {
		for (const it of items) selAll.checked ? ctx.selected.add(it.id) : ctx.selected.delete(it.id);
		render();
	});
	const tbody = h('tbody', { id: 'queue-rows' });
	const table = h('table', { class: 'queue', id: 'queue-table' },
		h('caption', { class: 'visually-hidden' }, title + ': Einträge, mit j und k wählen, Enter öffnet'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, selAll),
			h('th', { scope: 'col' }, 'Nr.'),
			h('th', { scope: 'col' }, 'Eingang'),
			h('th', { scope: 'col' }, 'Autor'),
			h('th', { scope: 'col' }, 'Text'),
			h('th', { scope: 'col' }, 'Kategorie'),
			h('th', { scope: 'col' }, 'Vorschlag'),
			h('th', { scope: 'col' }, 'Status'),
			h('th', { scope: 'col' }, 'Zuständig'))),
		tbody);
	const prev = h('button', { type: 'button', id: 'page-prev', on: { click: () => page(-1) } }, '‹ Zurück');
	const next = h('button', { type: 'button', id: 'page-next', on: { click: () => page(1) } }, 'Weiter ›');
	const pageInfo = h('span', { id: 'page-info' });
	const pager = h('nav', { class: 'pager', 'aria-label': 'Seiten' }, prev, pageInfo, next);

	replace(root,
		h('h1', { id: 'view-title' }, title),
		escalations ? h('p', { class: 'muted' }, 'Zur rechtlichen Prüfung eskalierte Einträge. Öffnen Sie einen Eintrag, um die Beweissicherung zu exportieren.') : null,
		filters, status, bulkBar, count, table, pager);
	$('#keyhint').classList.remove('hidden');

	function field(id, label, el) {
		return h('div', { class: 'field' }, h('label', { for: id }, label), el);
	}

	function page(dir) {
		const q = new URLSearchParams(params);
		q.set('offset', String(Math.max(0, p.offset + dir * PAGE)));
		location.hash = base + '?' + q.toString();
	}

	// Fetches the page again.  The cursor stays on keepId if given, else on
	// the item it is on when the answer arrives, else at the same index.
	// Calls while a fetch runs are merged into one more fetch.
	let pendingKeep = null, pendingAnnounce = false;
	async function load(keepId, announceNew) {
		if (loading) {
			again = true;
			if (keepId !== undefined && keepId !== null) pendingKeep = keepId;
			pendingAnnounce = pendingAnnounce || !!announceNew;
			return;
		}
		loading = true;
		try {
			const r = await api.queue({ ...p, limit: PAGE });
			if (destroyed) return;
			const fresh = (r.items || []);
			const keep = keepId ?? currentId();
			if (lastIds && announceNew) {
				const n = fresh.filter(i => !lastIds.has(i.id)).length;
				if (n) announce(n === 1 ? '1 neuer Eintrag in der Liste.' : n + ' neue Einträge in der Liste.');
			}
			lastIds = new Set(fresh.map(i => i.id));
			items = fresh;
			total = r.total ?? items.length;
			ctx.list = items.map(i => i.id);
			if (keep !== undefined && keep !== null) {
				const i = items.findIndex(x => x.id === keep);
				if (i >= 0) cursor = i;
			}
			cursor = Math.max(0, Math.min(cursor, items.length - 1));
			render();
		} catch (e) {
			if (!lostIfUnauthorized(e)) showError(e);
		} finally {
			loading = false;
			if (again && !destroyed) {
				const k = pendingKeep, a = pendingAnnounce;
				again = false;
				pendingKeep = null;
				pendingAnnounce = false;
				load(k, a);
			}
		}
	}

	function currentId() {
		return items[cursor] ? items[cursor].id : undefined;
	}

	function render() {
		const focusedRow = document.activeElement && document.activeElement.closest &&
			document.activeElement.closest('#queue-rows tr');
		const rows = items.map((it, i) => {
			const cb = h('input', { type: 'checkbox', class: 'sel', checked: ctx.selected.has(it.id),
				'aria-label': 'Eintrag ' + it.id + ' auswählen', tabindex: '-1' });
			cb.addEventListener('change', () => {
				cb.checked ? ctx.selected.add(it.id) : ctx.selected.delete(it.id);
				updateSel();
			});
			const link = h('a', { href: '#/item/' + it.id, tabindex: '-1' }, String(it.id));
			const tr = h('tr', {
				tabindex: i === cursor ? '0' : '-1',
				class: [i === cursor && 'current', it.state !== 'open' && it.state !== 'escalated' && 'decided'],
				dataset: { id: it.id, index: i },
				'aria-selected': i === cursor ? 'true' : 'false',
			},
			h('td', null, cb),
			h('td', null, link),
			h('td', null, when(it.queued_at || it.created_at)),
			h('td', { class: 'author' }, authorNodes(it.author)),
			h('td', { class: 'text' }, excerpt(it.text)),
			h('td', null, (it.categories || []).map(c => tag(cat(c)))),
			h('td', null, (it.proposed || []).map(a => act(a)).join(', ') || '–'),
			h('td', null, stateBadge(it.state)),
			h('td', { class: 'cell-wrap' }, it.assignee || '–'));
			tr.addEventListener('click', ev => {
				if (ev.target.closest('input, a')) return;
				setCursor(i, true);
			});
			tr.addEventListener('dblclick', () => open());
			tr.addEventListener('focus', () => { if (cursor !== i) setCursor(i, false); });
			return tr;
		});
		if (!rows.length)
			rows.push(h('tr', null, h('td', { colspan: '9', class: 'muted' },
				escalations ? 'Keine eskalierten Einträge.' : 'Keine Einträge – die Warteschlange ist leer.')));
		replace(tbody, rows);
		const from = items.length ? p.offset + 1 : 0;
		count.textContent = total + (total === 1 ? ' Eintrag' : ' Einträge') +
			(items.length ? ', angezeigt ' + from + '–' + (p.offset + items.length) : '') + '.';
		pageInfo.textContent = 'Seite ' + (Math.floor(p.offset / PAGE) + 1) + ' von ' + Math.max(1, Math.ceil(total / PAGE));
		prev.disabled = p.offset <= 0;
		next.disabled = p.offset + items.length >= total;
		updateSel();
		if (focusedRow || document.activeElement === document.body || document.activeElement === root) focusCursor();
	}

	function updateSel() {
		const n = ctx.selected.size;
		selCount.textContent = n + ' ausgewählt';
		for (const b of [...bulkButtons, bulkAssign]) b.disabled = n === 0;
		selAll.checked = items.length > 0 && items.every(i => ctx.selected.has(i.id));
	}

	function rowEl(i) {
		return tbody.querySelector('tr[data-index="' + i + '"]');
	}

	function setCursor(i, focus) {
		if (!items.length) return;
		i = Math.max(0, Math.min(i, items.length - 1));
		const old = rowEl(cursor);
		if (old) { old.classList.remove('current'); old.tabIndex = -1; old.setAttribute('aria-selected', 'false'); }
		cursor = i;
		const tr = rowEl(cursor);
		if (tr) {
			tr.classList.add('current');
			tr.tabIndex = 0;
			tr.setAttribute('aria-selected', 'true');
			if (focus) focusCursor();
		}
	}

	function focusCursor() {
		const tr = rowEl(cursor);
		if (tr) {
			tr.focus({ preventScroll: true });
			tr.scrollIntoView({ block: 'nearest' });
		}
	}

	function open() {
		const it = items[cursor];
		if (it) location.hash = '#/item/' + it.id;
	}

	async function decide(decision) {
		const it = items[cursor];
		if (!it) { announce('Kein Eintrag ausgewählt.'); return; }
		const nextId = items[cursor + 1] ? items[cursor + 1].id : undefined;
		const r = await decideItem(it, decision);
		if (!r || destroyed) return;
		// The cursor moves on to the item after the decided one (which
		// leaves a list filtered by state).
		await reload(nextId ?? null);
	}

	async function reload(keepId) {
		await load(keepId);
		focusCursor();
	}

	async function bulk(decision) {
		const ids = Array.from(ctx.selected);
		if (!ids.length) return;
		const reason = bulkReason.value.trim() || (DECISIONS[decision] ? DECISIONS[decision].reason : '');
		try {
			const r = decision === 'assign'
				? await api.bulk(ids, 'assign', undefined, ctx.user.name)
				: await api.bulk(ids, decision, reason);
			const res = r.results || [];
			const ok = res.filter(x => x.ok), bad = res.filter(x => !x.ok);
			if (decision !== 'assign') for (const x of ok) ctx.undo.push(x.id);
			ctx.selected.clear();
			const label = decision === 'assign' ? 'zugewiesen' : DECISIONS[decision].done;
			let msg = ok.length + ' von ' + res.length + ' Einträgen ' + label + '.';
			if (bad.length) msg += ' Fehlgeschlagen: ' + bad.map(x => x.id + ' (' + (x.error || x.status) + ')').join('; ');
			announce(msg);
			await reload(currentId());
		} catch (e) {
			if (!lostIfUnauthorized(e)) showError(e);
		}
	}

	function toggleSel() {
		const it = items[cursor];
		if (!it) return;
		ctx.selected.has(it.id) ? ctx.selected.delete(it.id) : ctx.selected.add(it.id);
		const cb = rowEl(cursor)?.querySelector('input.sel');
		if (cb) cb.checked = ctx.selected.has(it.id);
		updateSel();
	}

	load();

	return {
		name: escalations ? 'escalations' : 'queue',
		destroy() { destroyed = true; },
		// Announce new items only when the daemon queued them, not when
		// an editor's decision or undo brought one back.
		onEvent(ev) { load(undefined, !!(ev && (ev.poll || ev.by === 'daemon'))); },
		onKey(key) {
			switch (key) {
			case 'j': case 'ArrowDown': setCursor(cursor + 1, true); return true;
			case 'k': case 'ArrowUp': setCursor(cursor - 1, true); return true;
			case 'Enter': case 'o':
				if (document.activeElement && document.activeElement.closest('button, a, summary')) return false;
				open(); return true;
			case 'x': case ' ':
				if (key === ' ' && !(document.activeElement && document.activeElement.closest('#queue-rows tr'))) return false;
				toggleSel(); return true;
			case 'a': decide('approve'); return true;
			case 'd': decide('dismiss'); return true;
			case 'e': decide('escalate'); return true;
			case 'u': undoLast(items[cursor]).then(r => { if (r) reload(r.item ? r.item.id : currentId()); }); return true;
			case 'r': bulkReason.focus(); return true;
			case '/': fState.focus(); return true;
			case 'n': if (!next.disabled) page(1); return true;
			case 'p': if (!prev.disabled) page(-1); return true;
			default: return false;
			}
		},
	};
}

function isoDate(secs) {
	const d = new Date(secs * 1000);
	const pad = n => String(n).padStart(2, '0');
	return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}
