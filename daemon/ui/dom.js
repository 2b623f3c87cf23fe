// dom.js: the only way this UI builds DOM.  Data (comment text, author and
// display names, notes, rule names, anything from the API) is attacker
// controlled, so it only ever becomes text: textContent or text nodes.
// Nothing here parses HTML, and no attribute that could run or load
// something (on*, style, src, srcdoc, formaction) can be set from here.

const BLOCKED_ATTR = /^(on|style$|src$|srcdoc$|formaction$|action$|xlink:|is$)/i;

// h('tag', {attrs}, children...): children are nodes, strings (text nodes),
// numbers, arrays of those, or null/false (skipped).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
			else if (k === 'text') el.textContent = String(v);
			else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
			else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
			else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = v;
			else if (k === 'href') el.setAttribute('href', safeHref(v));
			else if (BLOCKED_ATTR.test(k)) throw new Error('dom.h: attribute not allowed: ' + k);
			else el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
	return el;
}

// Only same-origin paths and fragments: a link never carries a scheme that
// could run script (javascript:, data:) even if a value came from data.
export function safeHref(v) {
	const s = String(v);
	if (s.startsWith('#') || (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\')))
		return s;
	return '#';
}

export function clear(el) {
	while (el.firstChild) el.removeChild(el.firstChild);
	return el;
}

export function replace(el, ...children) {
	clear(el);
	return append(el, children);
}

export function $(sel, root = document) {
	return root.querySelector(sel);
}

export function $$(sel, root = document) {
	return Array.from(root.querySelectorAll(sel));
}

// Splits text into segments by spans so that the matched parts can be
// wrapped in <mark>.  Offsets are UTF-8 byte offsets into text (as the
// daemon's rule engine reports them) when unit is 'byte', UTF-16 code
// units when 'utf16', code points when 'codepoint'.  Overlapping spans are
// merged into one segment that lists every rule.  Returns
// [{text, spans: [span...] }] in order; spans empty for unmatched text.
export function segments(text, spans, unit = 'byte') {
	text = String(text ?? '');
	const toIdx = indexMapper(text, unit);
	const cuts = new Set([0, text.length]);
	const ranges = [];
	for (const s of spans || []) {
		let a = toIdx(Number(s.start)), b = toIdx(Number(s.end));
		if (!(a >= 0) || !(b >= 0)) continue;
		a = Math.max(0, Math.min(a, text.length));
		b = Math.max(0, Math.min(b, text.length));
		if (b <= a) continue;
		ranges.push({ a, b, span: s });
		cuts.add(a);
		cuts.add(b);
	}
	const points = Array.from(cuts).sort((x, y) => x - y);
	const out = [];
	for (let i = 0; i + 1 < points.length; i++) {
		const a = points[i], b = points[i + 1];
		const covering = ranges.filter(r => r.a <= a && r.b >= b).map(r => r.span);
		const prev = out[out.length - 1];
		if (prev && !covering.length && !prev.spans.length) prev.text += text.slice(a, b);
		else out.push({ text: text.slice(a, b), spans: covering });
	}
	return out;
}

function indexMapper(text, unit) {
	if (unit === 'utf16') return n => n;
	// Tables from byte offset / code point index to UTF-16 index.
	const byByte = new Map(), byCp = [];
	let bytes = 0, i = 0;
	for (const ch of text) {
		byByte.set(bytes, i);
		byCp.push(i);
		const cp = ch.codePointAt(0);
		bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		i += ch.length;
	}
	byByte.set(bytes, i);
	byCp.push(i);
	if (unit === 'codepoint') return n => (n >= 0 && n < byCp.length ? byCp[n] : -1);
	return n => {
		// A byte offset inside a character snaps back to its start.
		for (let k = n; k >= 0 && k > n - 4; k--) if (byByte.has(k)) return byByte.get(k);
		return -1;
	};
}

// German date and time, Europe/Berlin, for ISO strings or unix seconds.
const fmt = new Intl.DateTimeFormat('de-DE', {
	dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Berlin'
});
export function when(v) {
	if (v === null || v === undefined || v === '') return '–';
	const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
	return isNaN(d) ? String(v) : fmt.format(d);
}
