// item.js: one queue item: the original text with the matched spans
// marked, the rules and netiquette clauses behind them, the proposed action
// and why, author history, thread, evidence, notes, outbox and audit
// history; decisions, assignment, notes and (legal) the evidence export.

import { api } from './api.js';
import { h, $, replace, segments, when } from './dom.js';
import {
	ctx, DECISIONS, announce, showError, cat, act, st, stateBadge, tag, extLink,
} from './state.js';
import { decideItem, undoLast, lostIfUnauthorized, describeResult } from './queue.js';

const ORDER = ['approve', 'dismiss', 'escalate', 'close', 'restore', 'undo'];

export function itemView(root, idText) {
	const id = parseInt(idText, 10);
	let item = null, destroyed = false;
	document.title = 'Eintrag ' + id + ' – netiquetted';
	replace(root, h('h1', { id: 'view-title' }, 'Eintrag ' + id), h('p', { id: 'status', class: 'msg', role: 'status' }),
		h('p', { class: 'muted' }, 'Wird geladen …'));
	$('#keyhint').classList.remove('hidden');

	async function load(focusTitle) {
		try {
			item = await api.item(id);
		} catch (e) {
			if (lostIfUnauthorized(e)) return;
			replace(root, h('h1', { id: 'view-title' }, 'Eintrag ' + id),
				h('p', { class: 'msg error', role: 'alert' }, e.status === 404 ? 'Diesen Eintrag gibt es nicht.' : String(e.message)),
				h('p', null, h('a', { href: ctx.listRoute }, 'Zurück zur Liste')));
			return;
		}
		if (destroyed) return;
		const keepStatus = $('#status');
		render(keepStatus);
		if (focusTitle) $('#view-title').focus();
	}

	function render(oldStatus) {
		const it = item;
		const reason = h('textarea', { id: 'reason', rows: '2', maxlength: '1000',
			'aria-describedby': 'reason-hint' });
		const buttons = ORDER.filter(d => (it.allowed || []).includes(d)).map(d =>
			h('button', { type: 'button', class: DECISIONS[d].cls, id: 'decide-' + d,
				on: { click: () => decide(d) },
				'aria-keyshortcuts': DECISIONS[d].key || null },
			DECISIONS[d].label, DECISIONS[d].key ? [' ', h('kbd', { 'aria-hidden': 'true' }, DECISIONS[d].key)] : null));
		const status = oldStatus || h('p', { id: 'status', class: 'msg', role: 'status' });

		const idx = ctx.list.indexOf(it.id);
		const nav = h('nav', { class: 'toolbar', 'aria-label': 'Eintragsnavigation' },
			h('a', { href: ctx.listRoute, id: 'back' }, '← Zurück zur Liste'),
			h('span', { class: 'spacer' }),
			idx > 0 ? h('a', { href: '#/item/' + ctx.list[idx - 1], id: 'prev-item' }, '‹ vorheriger (k)') : null,
			idx >= 0 && idx + 1 < ctx.list.length ? h('a', { href: '#/item/' + ctx.list[idx + 1], id: 'next-item' }, 'nächster (j) ›') : null);

		const left = h('div', null,
			h('section', { class: 'panel', 'aria-labelledby': 'h-original' },
				h('h2', { id: 'h-original' }, 'Originaltext'),
				h('p', { class: 'muted' }, 'Gelb markiert: Stellen, die eine Regel getroffen haben.'),
				originalText(it),
				h('details', null, h('summary', null, 'Normalisierter Text (wie die Regeln ihn sehen)'),
					h('p', { class: 'normalized', id: 'normalized' }, it.normalized ?? '–'))),
			h('section', { class: 'panel', 'aria-labelledby': 'h-rules' },
				h('h2', { id: 'h-rules' }, 'Regeln und Netiquette'),
				rulesList(it),
				it.verdict && it.verdict.review ? h('p', null, 'Prüfhinweis: ', it.verdict.review_reason || 'manuelle Prüfung verlangt') : null),
			h('section', { class: 'panel', 'aria-labelledby': 'h-proposal' },
				h('h2', { id: 'h-proposal' }, 'Vorgeschlagene Maßnahme'),
				proposal(it)),
			threadPanel(it),
			historyPanel(it));

		const right = h('div', null,
			h('section', { class: 'panel decide', 'aria-labelledby': 'h-decide' },
				h('h2', { id: 'h-decide' }, 'Entscheidung'),
				h('p', null, 'Status: ', stateBadge(it.state), it.assignee ? [' · zuständig: ', h('span', { id: 'assignee' }, it.assignee)] : null),
				h('label', { for: 'reason' }, 'Begründung'),
				reason,
				h('p', { id: 'reason-hint', class: 'muted' }, 'Ohne Eingabe wird eine Standardbegründung verwendet.'),
				buttons.length ? h('div', { class: 'buttons' }, buttons) : h('p', { class: 'muted' }, 'Keine Entscheidung möglich.')),
			assignPanel(it),
			authorPanel(it),
			evidencePanel(it),
			outboxPanel(it),
			notesPanel(it));

		replace(root,
			nav,
			h('h1', { id: 'view-title', tabindex: '-1' }, 'Eintrag ' + it.id + ' ', stateBadge(it.state)),
			h('p', { class: 'muted' }, it.platform + ' · Konto ' + it.account + ' · ' + (it.kind === 'dm' ? 'Direktnachricht' : 'Kommentar') +
				' · verfasst ' + when(it.created_at) + ' · erfasst ' + when(it.queued_at || it.fetched_at) + ' · ',
				extLink(it.permalink, 'auf der Plattform ansehen') || 'kein Link'),
			status,
			h('div', { class: 'item-grid' }, left, right));
	}

	function originalText(it) {
		const segs = Array.isArray(it.segments) && it.segments.length
			? it.segments.map(s => ({ text: String(s.text ?? ''), rules: s.rules || [] }))
			: segments(it.text, it.spans, 'byte').map(s => ({ text: s.text, rules: s.spans.map(x => x.rule) }));
		return h('p', { class: 'original', id: 'original', lang: '' },
			segs.map(s => s.rules.length
				? h('mark', { title: 'Regel: ' + s.rules.join(', ') }, s.text)
				: document.createTextNode(s.text)));
	}

	function rulesList(it) {
		const rules = it.matched_rules || [];
		if (!rules.length) return h('p', { class: 'muted' }, 'Mit dem aktuellen Regelsatz trifft keine Regel mehr zu.');
		return h('ul', { class: 'plain', id: 'matched-rules' }, rules.map(r => h('li', null,
			h('strong', null, r.id), ' – ', tag(cat(r.category)), ' ', r.clause || '',
			' · Schwere ' + (r.severity ?? '–'),
			r.description ? h('div', { class: 'muted' }, r.description) : null)));
	}

	function proposal(it) {
		const d = it.decision || {};
		return h('dl', { class: 'kv' },
			h('dt', null, 'Maßnahmen'), h('dd', { id: 'proposed' }, (it.proposed || d.actions || []).map(act).join(', ') || '–'),
			h('dt', null, 'Modus'), h('dd', null, d.mode || '–'),
			h('dt', null, 'Klausel'), h('dd', null, d.clause || '–'),
			h('dt', null, 'Regeln'), h('dd', null, d.rule_ids || (it.rules || []).join(', ') || '–'),
			h('dt', null, 'Warum'), h('dd', null, d.reason || '–'));
	}

	function threadPanel(it) {
		const t = it.thread;
		if (!t || (!t.parent && !(t.replies || []).length)) return null;
		const line = (x, self) => h('li', { class: ['context-item', self && 'self'] },
			h('span', { class: 'muted' }, (x.author && (x.author.name || x.author.handle)) || '–', ' · ', when(x.created_at), ': '),
			x.text ?? '',
			x.id && !self ? [' ', h('a', { href: '#/item/' + x.id }, 'öffnen')] : null);
		return h('section', { class: 'panel', 'aria-labelledby': 'h-thread' },
			h('h2', { id: 'h-thread' }, 'Gesprächsverlauf'),
			h('ul', { class: 'plain' },
				t.parent ? line(t.parent, false) : null,
				line(it, true),
				(t.replies || []).map(x => line(x, false))));
	}

	function historyPanel(it) {
		const hist = it.history || [];
		return h('section', { class: 'panel', 'aria-labelledby': 'h-history' },
			h('h2', { id: 'h-history' }, 'Verlauf (Audit-Protokoll)'),
			hist.length ? h('ul', { class: 'plain', id: 'history' }, hist.map(e => h('li', null,
				when(e.ts), ' · ', e.actor, ' · ', e.kind,
				e.detail && e.detail.reason ? [' · „', e.detail.reason, '“'] : null)))
				: h('p', { class: 'muted' }, 'Noch keine Einträge.'));
	}

	function assignPanel(it) {
		const input = h('input', { type: 'text', id: 'assignee-input', value: it.assignee || '', size: 14 });
		const form = h('form', { class: 'toolbar', 'aria-labelledby': 'h-assign' },
			h('label', { for: 'assignee-input' }, 'Zuständig'), input,
			h('button', { type: 'submit' }, 'Zuweisen'),
			h('button', { type: 'button', on: { click: () => { input.value = ctx.user.name; form.requestSubmit(); } } }, 'Mir'));
		form.addEventListener('submit', async ev => {
			ev.preventDefault();
			try {
				await api.assign(it.id, input.value.trim());
				announce(input.value.trim() ? 'Eintrag ' + it.id + ' ist ' + input.value.trim() + ' zugewiesen.' : 'Zuweisung aufgehoben.');
				load();
			} catch (e) { if (!lostIfUnauthorized(e)) showError(e); }
		});
		return h('section', { class: 'panel' }, h('h2', { id: 'h-assign' }, 'Zuweisung'), form);
	}

	function authorPanel(it) {
		const a = it.author || {};
		const hist = it.author_history || {};
		return h('section', { class: 'panel', 'aria-labelledby': 'h-author' },
			h('h2', { id: 'h-author' }, 'Autor'),
			h('dl', { class: 'kv' },
				h('dt', null, 'Anzeigename'), h('dd', { id: 'author-name' }, a.name ?? ''),
				h('dt', null, 'Konto'), h('dd', { id: 'author-handle' }, a.handle ?? ''),
				h('dt', null, 'Verwarnungen'), h('dd', null, String(hist.strikes ?? 0))),
			(hist.items || []).length ? [h('h3', null, 'Frühere Beiträge'),
				h('ul', { class: 'plain' }, hist.items.map(x => h('li', null,
					h('a', { href: '#/item/' + x.id }, 'Nr. ' + x.id), ' · ', when(x.created_at), ' · ', st(x.state),
					(x.categories || []).length ? [' · ', x.categories.map(cat).join(', ')] : null,
					h('div', { class: 'context-item' }, x.text ?? ''))))] : null);
	}

	function evidencePanel(it) {
		const ev = it.evidence;
		const mayExport = ctx.user.role === 'legal' || ctx.user.role === 'admin';
		return h('section', { class: 'panel', 'aria-labelledby': 'h-evidence' },
			h('h2', { id: 'h-evidence' }, 'Beweissicherung'),
			ev ? h('dl', { class: 'kv' },
				h('dt', null, 'gesichert'), h('dd', null, when(ev.created_at)),
				h('dt', null, 'SHA-256'), h('dd', { class: 'normalized', id: 'evidence-sha' }, ev.sha256 || '–'))
				: h('p', { class: 'muted' }, 'Noch kein Beweis-Schnappschuss.'),
			mayExport ? h('button', { type: 'button', id: 'export-evidence', class: 'primary',
				on: { click: () => exportEvidence(it) } }, 'Beweissicherung exportieren') : null);
	}

	function outboxPanel(it) {
		const ob = it.outbox || [];
		if (!ob.length) return null;
		return h('section', { class: 'panel', 'aria-labelledby': 'h-outbox' },
			h('h2', { id: 'h-outbox' }, 'Maßnahmen auf der Plattform'),
			h('ul', { class: 'plain', id: 'outbox' }, ob.map(o => h('li', { 'data-outbox': String(o.id) },
				act(o.action), ': ', o.state, o.attempts > 1 ? ' (' + o.attempts + ' Versuche)' : '',
				o.last_error ? [' – ', h('span', { class: 'low' }, o.last_error)] : null,
				' · ', when(o.updated_at),
				o.outcome_unknown
					? h('p', { class: 'msg error outcome-unknown' },
						'Ob die Plattform diese Maßnahme erhalten hat, ist unbekannt (die Antwort ging verloren). ' +
						'Sie wurde nicht erneut gesendet, weil die Plattform sie sonst doppelt erhielte. ' +
						'Bitte auf der Plattform prüfen, ob sie angekommen ist; falls nicht, den Eintrag erneut bestätigen.')
					: null))));
	}

	function notesPanel(it) {
		const notes = Array.isArray(it.notes) ? it.notes : [];
		const text = h('textarea', { id: 'note-text', rows: '2', maxlength: '4000' });
		const form = h('form', { class: 'decide' },
			h('label', { for: 'note-text' }, 'Neue Notiz'), text,
			h('div', null, h('button', { type: 'submit' }, 'Notiz speichern')));
		form.addEventListener('submit', async ev => {
			ev.preventDefault();
			if (!text.value.trim()) return;
			try {
				await api.note(it.id, text.value);
				announce('Notiz gespeichert.');
				load();
			} catch (e) { if (!lostIfUnauthorized(e)) showError(e); }
		});
		return h('section', { class: 'panel', 'aria-labelledby': 'h-notes' },
			h('h2', { id: 'h-notes' }, 'Notizen'),
			notes.length ? h('ul', { class: 'plain', id: 'notes' }, notes.map(n => h('li', null,
				h('span', { class: 'muted' }, n.author, ' · ', when(n.created_at), ': '), n.text)))
				: h('p', { class: 'muted' }, 'Keine Notizen.'),
			form);
	}

	async function exportEvidence(it) {
		try {
			const { data, filename } = await api.evidence(it.id);
			const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
			const url = URL.createObjectURL(blob);
			const a = document.createElement('a');
			a.href = url;
			a.download = filename;
			a.className = 'hidden';
			document.body.appendChild(a);
			a.click();
			a.remove();
			setTimeout(() => URL.revokeObjectURL(url), 60000);
			announce('Beweissicherung exportiert: ' + filename + (data && data.sha256 ? ' (SHA-256 ' + data.sha256 + ')' : '') + '.');
			load();
		} catch (e) { if (!lostIfUnauthorized(e)) showError(e); }
	}

	function nextId() {
		const i = ctx.list.indexOf(id);
		return i >= 0 && i + 1 < ctx.list.length ? ctx.list[i + 1] : null;
	}

	async function decide(d) {
		const reasonEl = $('#reason');
		const reason = reasonEl && reasonEl.value.trim();
		const r = await decideItem(item, d, reason);
		if (!r || destroyed) return;
		if (d === 'undo') { load(); return; }
		// Move on to the next item of the list, as in the list itself.
		const n = nextId();
		const i = ctx.list.indexOf(id);
		if (i >= 0) ctx.list.splice(i, 1);
		const msg = describeResult(id, DECISIONS[d].done, r);
		if (n !== null) location.hash = '#/item/' + n;
		else location.hash = ctx.listRoute;
		setTimeout(() => announce(msg), 50);
	}

	load(true);

	return {
		name: 'item',
		destroy() { destroyed = true; },
		onEvent(ev) { if (!ev || ev.poll || ev.item === id) load(); },
		onKey(key) {
			if (!item) return false;
			switch (key) {
			case 'j': { const i = ctx.list.indexOf(id); if (i >= 0 && i + 1 < ctx.list.length) location.hash = '#/item/' + ctx.list[i + 1]; return true; }
			case 'k': { const i = ctx.list.indexOf(id); if (i > 0) location.hash = '#/item/' + ctx.list[i - 1]; return true; }
			case 'Escape': location.hash = ctx.listRoute; return true;
			case 'a': decide('approve'); return true;
			case 'd': decide('dismiss'); return true;
			case 'e': decide('escalate'); return true;
			case 'u':
				undoLast(item).then(r => { if (r && !destroyed) load(); });
				return true;
			case 'r': $('#reason')?.focus(); return true;
			default: return false;
			}
		},
	};
}
