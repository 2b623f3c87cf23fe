// admin.js: the administrators' pages: rule quality (precision as judged by
// the editors, and the items behind each number) and the audit log with
// filters.  The user page is users.js.

import { api } from './api.js';
import { h, replace, when } from './dom.js';
import { ctx, STATES, showError, cat, st, authorNodes } from './state.js';
import { lostIfUnauthorized } from './queue.js';

const OUTCOMES = ['hits', 'open', 'approved', 'dismissed', 'escalated', 'closed'];
const OUTCOME_LABEL = { hits: 'Treffer', ...STATES };

function fail(root, e) {
	if (lostIfUnauthorized(e)) return;
	showError(e);
	root.appendChild(h('p', { class: 'msg error', role: 'alert' }, e.status === 403
		? 'Diese Seite ist Administratorinnen und Administratoren vorbehalten.' : String(e.message)));
}

function pct(p) {
	return p === null || p === undefined ? '–' : (Math.round(p * 1000) / 10).toLocaleString('de-DE') + ' %';
}

export function rulesView(root) {
	document.title = 'Regelqualität – netiquetted';
	replace(root, h('h1', { id: 'view-title' }, 'Regelqualität'),
		h('p', { class: 'muted' }, 'Präzision = bestätigt ÷ (bestätigt + verworfen), wie die Redaktion entschieden hat. ' +
			'Verworfene Einträge sind Kandidaten für nomatch-Beispiele der Regel.'),
		h('p', { id: 'status', class: 'msg', role: 'status' }));
	let destroyed = false;
	let sortKey = 'precision';

	async function load() {
		let r;
		try { r = await api.rules(); } catch (e) { fail(root, e); return; }
		if (destroyed) return;
		const rules = (r.rules || []).slice();
		const sorters = {
			precision: (a, b) => (a.precision ?? 2) - (b.precision ?? 2) || b.hits - a.hits,
			hits: (a, b) => b.hits - a.hits,
			id: (a, b) => String(a.id).localeCompare(String(b.id)),
		};
		rules.sort(sorters[sortKey]);
		const sortSel = h('select', { id: 'rules-sort' },
			h('option', { value: 'precision', selected: sortKey === 'precision' }, 'niedrigste Präzision zuerst'),
			h('option', { value: 'hits', selected: sortKey === 'hits' }, 'meiste Treffer zuerst'),
			h('option', { value: 'id', selected: sortKey === 'id' }, 'nach Name'));
		sortSel.addEventListener('change', () => { sortKey = sortSel.value; load(); });
		const count = (rule, o) => {
			const n = rule[o] ?? 0;
			return n ? h('a', { href: '#/rules/' + encodeURIComponent(rule.id) + '?outcome=' + o,
				'aria-label': n + ' ' + OUTCOME_LABEL[o] + ' für ' + rule.id }, String(n)) : '0';
		};
		const table = h('table', { id: 'rules-table' },
			h('caption', { class: 'visually-hidden' }, 'Regeln mit Treffern und Präzision'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col' }, 'Regel'),
				h('th', { scope: 'col' }, 'Kategorie / Klausel'),
				OUTCOMES.map(o => h('th', { scope: 'col', class: 'num' }, OUTCOME_LABEL[o])),
				h('th', { scope: 'col' }, 'Präzision'))),
			h('tbody', null, rules.length ? rules.map(rule => h('tr', { dataset: { rule: rule.id } },
				h('th', { scope: 'row' }, rule.id, rule.loaded === false ? h('span', { class: 'muted' }, ' (nicht mehr geladen)') : null),
				h('td', null, cat(rule.category), rule.clause ? h('div', { class: 'muted' }, rule.clause) : null),
				OUTCOMES.map(o => h('td', { class: 'num' }, count(rule, o))),
				h('td', { class: ['precision', rule.precision !== null && rule.precision !== undefined && rule.precision < 0.8 && 'low'] },
					rule.precision !== null && rule.precision !== undefined
						? [h('meter', { min: '0', max: '1', value: String(rule.precision), low: '0.8', high: '0.95', optimum: '1',
							'aria-label': 'Präzision ' + pct(rule.precision) }), ' ']
						: null,
					pct(rule.precision))))
				: h('tr', null, h('td', { colspan: '9', class: 'muted' }, 'Keine Regeln.'))));
		replace(root, h('h1', { id: 'view-title' }, 'Regelqualität'),
			h('p', { class: 'muted' }, 'Präzision = bestätigt ÷ (bestätigt + verworfen), wie die Redaktion entschieden hat. ' +
				'Verworfene Einträge sind Kandidaten für nomatch-Beispiele der Regel.'),
			h('p', null, 'Regelsatz ', h('code', null, String(r.ruleset || '–').slice(0, 16))),
			h('p', { id: 'status', class: 'msg', role: 'status' }),
			h('div', { class: 'toolbar' }, h('label', { for: 'rules-sort' }, 'Sortierung'), sortSel),
			table);
	}
	load();
	return { name: 'rules', destroy() { destroyed = true; }, onEvent() { load(); } };
}

export function ruleItemsView(root, rule, params) {
	const outcome = OUTCOMES.includes(params.get('outcome')) ? params.get('outcome') : 'dismissed';
	const offset = Math.max(0, parseInt(params.get('offset') || '0', 10) || 0);
	const LIMIT = 50;
	document.title = rule + ' – Regelqualität – netiquetted';
	let destroyed = false;
	async function load() {
		let r;
		try { r = await api.ruleItems(rule, outcome, LIMIT, offset); } catch (e) { fail(root, e); return; }
		if (destroyed) return;
		const items = r.items || [];
		ctx.list = items.map(i => i.id);
		ctx.listRoute = location.hash;
		const tabs = h('nav', { class: 'toolbar', 'aria-label': 'Ergebnis' }, OUTCOMES.map(o =>
			h('a', { href: '#/rules/' + encodeURIComponent(rule) + '?outcome=' + o, 'aria-current': o === outcome ? 'page' : null },
				OUTCOME_LABEL[o])));
		replace(root,
			h('p', null, h('a', { href: '#/rules' }, '← Regelqualität')),
			h('h1', { id: 'view-title' }, 'Regel ', h('code', null, rule), ': ', OUTCOME_LABEL[outcome]),
			tabs,
			h('p', { class: 'muted' }, (r.total ?? items.length) + ' Einträge.' +
				(outcome === 'dismissed' ? ' Jede Zeile lässt sich als nomatch-Beispiel in die Regeldatei übernehmen.' : '')),
			h('table', { id: 'rule-items' },
				h('thead', null, h('tr', null,
					h('th', { scope: 'col' }, 'Nr.'), h('th', { scope: 'col' }, 'Autor'),
					h('th', { scope: 'col' }, 'Text'), h('th', { scope: 'col' }, 'Status'),
					outcome === 'dismissed' ? h('th', { scope: 'col' }, 'nomatch-Zeile') : null)),
				h('tbody', null, items.map(it => h('tr', null,
					h('td', null, h('a', { href: '#/item/' + it.id }, String(it.id))),
					h('td', { class: 'cell-wrap' }, authorNodes(it.author)),
					h('td', { class: 'context-item' }, it.text ?? ''),
					h('td', null, st(it.state)),
					outcome === 'dismissed' ? h('td', null, h('code', { class: 'normalized' },
						'nomatch = ' + String(it.text ?? '').replace(/\s+/g, ' ').trim())) : null)))),
			h('nav', { class: 'pager', 'aria-label': 'Seiten' },
				offset > 0 ? h('a', { href: '#/rules/' + encodeURIComponent(rule) + '?outcome=' + outcome + '&offset=' + Math.max(0, offset - LIMIT) }, '‹ Zurück') : null,
				offset + items.length < (r.total ?? 0) ? h('a', { href: '#/rules/' + encodeURIComponent(rule) + '?outcome=' + outcome + '&offset=' + (offset + LIMIT) }, 'Weiter ›') : null));
	}
	load();
	return { name: 'rule-items', destroy() { destroyed = true; } };
}

export function auditView(root, params) {
	document.title = 'Audit-Protokoll – netiquetted';
	const f = {};
	for (const k of ['item', 'kind', 'author', 'since', 'until', 'limit']) f[k] = params.get(k) || '';
	let destroyed = false;
	const inp = (k, type, label, extra) => {
		const el = h('input', { type, id: 'a-' + k, name: k, value: type === 'date' && f[k] ? dateOf(f[k]) : f[k], ...extra });
		return [h('div', { class: 'field' }, h('label', { for: 'a-' + k }, label), el), el];
	};
	const [fItem, iItem] = inp('item', 'number', 'Eintrag Nr.', { min: '1', size: 6 });
	const [fKind, iKind] = inp('kind', 'text', 'Art (z. B. queue.*)', { size: 14, list: 'audit-kinds' });
	const [fAuthor, iAuthor] = inp('author', 'text', 'Akteur', { size: 14 });
	const [fSince, iSince] = inp('since', 'date', 'von');
	const [fUntil, iUntil] = inp('until', 'date', 'bis');
	const [fLimit, iLimit] = inp('limit', 'number', 'Anzahl', { min: '1', max: '1000', size: 5 });
	const kinds = h('datalist', { id: 'audit-kinds' },
		['queue.*', 'queue.approve', 'queue.dismiss', 'queue.escalate', 'queue.close', 'queue.restore',
			'queue.undo', 'queue.assign', 'queue.note', 'action.*', 'evidence.*', 'rules.*', 'auth.*'].map(k => h('option', { value: k })));
	const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Audit-Filter', id: 'audit-filters' },
		fItem, fKind, kinds, fAuthor, fSince, fUntil, fLimit,
		h('button', { type: 'submit', class: 'primary' }, 'Filtern'),
		h('button', { type: 'button', on: { click: () => { location.hash = '#/audit'; } } }, 'Zurücksetzen'));
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		const q = new URLSearchParams();
		if (iItem.value) q.set('item', iItem.value);
		if (iKind.value.trim()) q.set('kind', iKind.value.trim());
		if (iAuthor.value.trim()) q.set('author', iAuthor.value.trim());
		if (iSince.value) q.set('since', String(secs(iSince.value, false)));
		if (iUntil.value) q.set('until', String(secs(iUntil.value, true)));
		if (iLimit.value) q.set('limit', iLimit.value);
		location.hash = '#/audit?' + q.toString();
	});
	const chain = h('p', { id: 'chain', role: 'status' });
	const tbody = h('tbody', { id: 'audit-rows' });
	replace(root, h('h1', { id: 'view-title' }, 'Audit-Protokoll'), form, chain,
		h('p', { id: 'status', class: 'msg', role: 'status' }),
		h('table', { id: 'audit-table' },
			h('caption', { class: 'visually-hidden' }, 'Audit-Einträge'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col', class: 'num' }, 'Nr.'), h('th', { scope: 'col' }, 'Zeit'),
				h('th', { scope: 'col' }, 'Akteur'), h('th', { scope: 'col' }, 'Art'),
				h('th', { scope: 'col' }, 'Eintrag'), h('th', { scope: 'col' }, 'Details'),
				h('th', { scope: 'col' }, 'Hash'))),
			tbody));

	async function load() {
		let r;
		try { r = await api.audit(f); } catch (e) { fail(root, e); return; }
		if (destroyed) return;
		const c = r.chain || {};
		chain.className = c.ok ? 'msg ok' : 'msg error';
		chain.textContent = c.ok
			? 'Hash-Kette intakt bis Nr. ' + (c.head_seq ?? '–') + ' (' + String(c.head_hash || '').slice(0, 16) + '…).'
			: 'Hash-Kette BESCHÄDIGT' + (c.error ? ': ' + c.error : '') + ' – bitte „netiquettectl audit verify“ ausführen.';
		const entries = r.entries || [];
		replace(tbody, entries.length ? entries.map(e => h('tr', null,
			h('td', { class: 'num' }, String(e.seq)),
			h('td', null, when(e.ts)),
			h('td', { class: 'cell-wrap' }, e.actor ?? ''),
			h('td', null, e.kind ?? ''),
			h('td', null, e.item ? h('a', { href: '#/item/' + e.item }, String(e.item)) : '–'),
			h('td', { class: 'cell-wrap' }, detailText(e.detail)),
			h('td', null, h('code', { title: String(e.hash || '') }, String(e.hash || '').slice(0, 10)))))
			: h('tr', null, h('td', { colspan: '7', class: 'muted' }, 'Keine Einträge für diese Filter.')));
	}
	load();
	return { name: 'audit', destroy() { destroyed = true; } };
}

function detailText(d) {
	if (d === null || d === undefined) return '';
	if (typeof d !== 'object') return String(d);
	const parts = [];
	if (d.from || d.to) parts.push((d.from ? st(d.from) : '?') + ' → ' + (d.to ? st(d.to) : '?'));
	if (d.reason) parts.push('„' + d.reason + '“');
	if (Array.isArray(d.actions) && d.actions.length)
		parts.push('Maßnahmen: ' + d.actions.map(a => typeof a === 'string' ? a : (a.action || JSON.stringify(a))).join(', '));
	const rest = Object.fromEntries(Object.entries(d).filter(([k]) => !['from', 'to', 'reason', 'actions'].includes(k)));
	if (Object.keys(rest).length) parts.push(JSON.stringify(rest));
	return parts.join(' · ');
}

function dateOf(s) {
	const d = new Date(Number(s) * 1000);
	const pad = n => String(n).padStart(2, '0');
	return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}

function secs(date, end) {
	return Math.floor(new Date(date + (end ? 'T23:59:59' : 'T00:00:00')).getTime() / 1000);
}
