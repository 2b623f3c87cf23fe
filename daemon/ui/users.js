// users.js: the administrators' user page (API.md "Users"): every user with
// role, last login and state, a form to add one, and per user the changes
// the API offers (role, disable/enable, new password, lift a login
// throttle), each with a reason that goes into the audit log.  Names come
// from the API and only ever become text.

import { api } from './api.js';
import { h, replace, when } from './dom.js';
import { ctx, ROLES, announce, showError } from './state.js';
import { lostIfUnauthorized } from './queue.js';

const ACTION_LABEL = {
	role: 'Rolle ändern',
	disable: 'Deaktivieren',
	enable: 'Aktivieren',
	password: 'Passwort setzen',
	unlock: 'Sperre aufheben',
};

const DONE_LABEL = {
	add: 'angelegt',
	role: 'hat eine neue Rolle',
	disable: 'ist deaktiviert',
	enable: 'ist aktiviert',
	password: 'hat ein neues Passwort; seine Sitzungen sind beendet',
	unlock: 'kann sich wieder anmelden',
};

function roleSelect(id, value) {
	return h('select', { id, name: 'role', required: true },
		Object.entries(ROLES).map(([k, label]) => h('option', { value: k, selected: k === value }, label)));
}

function field(id, label, input, hint) {
	return h('div', { class: 'field' }, h('label', { for: id }, label), input,
		hint ? h('p', { class: 'muted', id: id + '-hint' }, hint) : null);
}

function stateText(u) {
	const parts = [u.disabled ? 'deaktiviert' : 'aktiv'];
	if (u.locked_until > 0) parts.push('gesperrt bis ' + when(u.locked_until));
	return parts.join(', ');
}

export function usersView(root) {
	document.title = 'Benutzer – netiquetted';
	let destroyed = false;
	let passwordLogin = true;
	const status = h('p', { id: 'status', class: 'msg', role: 'status' });
	const tableBox = h('div', { id: 'users-box' });
	const editBox = h('div', { id: 'user-edit-box' });

	const name = h('input', { type: 'text', id: 'user-add-name', name: 'name', required: true,
		autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: 32,
		'aria-describedby': 'user-add-name-hint' });
	const role = roleSelect('user-add-role', 'editor');
	const pass = h('input', { type: 'password', id: 'user-add-password', name: 'password',
		autocomplete: 'new-password', minlength: 8, maxlength: 1024, 'aria-describedby': 'user-add-password-hint' });
	const reason = h('input', { type: 'text', id: 'user-add-reason', name: 'reason', required: true, maxlength: 1000 });
	const passHint = h('p', { class: 'muted', id: 'user-add-password-hint' }, 'Mindestens 8 Zeichen. Teilen Sie es der Person auf sicherem Weg mit.');
	const addBtn = h('button', { type: 'submit', class: 'primary', id: 'user-add-submit' }, 'Anlegen');
	const addForm = h('form', { id: 'user-add', class: 'filters', 'aria-labelledby': 'user-add-title', novalidate: true },
		h('h2', { id: 'user-add-title' }, 'Benutzer anlegen'),
		field('user-add-name', 'Benutzername', name, '1–32 Zeichen: Buchstaben, Ziffern, Punkt, Unterstrich, Bindestrich.'),
		field('user-add-role', 'Rolle', role),
		h('div', { class: 'field' }, h('label', { for: 'user-add-password' }, 'Anfangspasswort'), pass, passHint),
		field('user-add-reason', 'Begründung (für das Audit-Protokoll)', reason),
		addBtn);

	addForm.addEventListener('submit', async ev => {
		ev.preventDefault();
		if (!name.value || !reason.value || (passwordLogin && pass.value.length < 8)) {
			showError(!name.value ? 'Bitte einen Benutzernamen eingeben.' :
				!reason.value ? 'Bitte eine Begründung eingeben.' : 'Das Passwort braucht mindestens 8 Zeichen.');
			(!name.value ? name : !reason.value ? reason : pass).focus();
			return;
		}
		addBtn.disabled = true;
		try {
			const body = { name: name.value, role: role.value, reason: reason.value };
			if (pass.value) body.password = pass.value;
			const r = await api.userAdd(body);
			pass.value = '';
			name.value = '';
			reason.value = '';
			await load();
			announce('Benutzer ' + r.user.name + ' ' + DONE_LABEL.add + ' (' + (ROLES[r.user.role] || r.user.role) + ').');
			name.focus();
		} catch (e) {
			pass.value = '';
			if (!lostIfUnauthorized(e)) showError(e);
		} finally {
			addBtn.disabled = false;
		}
	});

	// One change form at a time, below the table; focus goes to it and back.
	function editForm(u, action, opener) {
		const id = 'user-edit';
		const inputs = [];
		let input = null;
		if (action === 'role') input = roleSelect(id + '-role', u.role);
		if (action === 'password')
			input = h('input', { type: 'password', id: id + '-password', name: 'password', required: true,
				autocomplete: 'new-password', minlength: 8, maxlength: 1024 });
		if (input) inputs.push(field(input.id, action === 'role' ? 'Neue Rolle' : 'Neues Passwort', input));
		const why = h('input', { type: 'text', id: id + '-reason', name: 'reason', required: true, maxlength: 1000 });
		const ok = h('button', { type: 'submit', class: 'primary', id: id + '-submit' }, ACTION_LABEL[action]);
		const cancel = h('button', { type: 'button', id: id + '-cancel' }, 'Abbrechen');
		const title = h('h2', { id: id + '-title' });
		title.textContent = ACTION_LABEL[action] + ': ' + u.name;
		const form = h('form', { id, class: 'filters', 'aria-labelledby': id + '-title', novalidate: true },
			title, inputs, field(why.id, 'Begründung (für das Audit-Protokoll)', why), ok, cancel);
		const close = () => { replace(editBox); if (opener && opener.isConnected) opener.focus(); };
		cancel.addEventListener('click', close);
		form.addEventListener('keydown', ev => { if (ev.key === 'Escape') { ev.preventDefault(); close(); } });
		form.addEventListener('submit', async ev => {
			ev.preventDefault();
			if (!why.value) { showError('Bitte eine Begründung eingeben.'); why.focus(); return; }
			if (action === 'password' && input.value.length < 8) {
				showError('Das Passwort braucht mindestens 8 Zeichen.');
				input.focus();
				return;
			}
			const body = { action, reason: why.value };
			if (action === 'role') body.role = input.value;
			if (action === 'password') body.password = input.value;
			ok.disabled = true;
			try {
				await api.userChange(u.name, body);
				if (input && action === 'password') input.value = '';
				replace(editBox);
				await load();
				announce('Benutzer ' + u.name + ' ' + DONE_LABEL[action] + '.');
				const again = tableBox.querySelector('button[data-user="' + CSS.escape(u.name) + '"]');
				(again || tableBox.querySelector('button') || name).focus();
			} catch (e) {
				if (action === 'password') input.value = '';
				if (!lostIfUnauthorized(e)) showError(e);
				ok.disabled = false;
			}
		});
		replace(editBox, form);
		(input || why).focus();
	}

	function actionsFor(u) {
		const list = ['role', u.disabled ? 'enable' : 'disable'];
		if (passwordLogin) list.push('password');
		if (u.locked_until > 0) list.push('unlock');
		return list.filter(a => !(a === 'disable' && u.name === ctx.user.name)).map(a => {
			const b = h('button', { type: 'button', dataset: { user: u.name, action: a } }, ACTION_LABEL[a]);
			// the visible label says what, the accessible name also whom
			b.setAttribute('aria-label', ACTION_LABEL[a] + ': ' + u.name);
			b.addEventListener('click', () => editForm(u, a, b));
			return b;
		});
	}

	async function load() {
		const r = await api.users();
		if (destroyed) return;
		passwordLogin = r.password_login !== false;
		pass.required = passwordLogin;
		passHint.textContent = passwordLogin
			? 'Mindestens 8 Zeichen. Teilen Sie es der Person auf sicherem Weg mit.'
			: 'Anmeldung über den Single-Sign-on-Proxy: ein Passwort ist nicht nötig.';
		replace(tableBox, h('table', { id: 'users-table' },
			h('caption', { class: 'visually-hidden' }, 'Alle Benutzer mit Rolle und Zustand'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Rolle'),
				h('th', { scope: 'col' }, 'angelegt'), h('th', { scope: 'col' }, 'letzte Anmeldung'),
				h('th', { scope: 'col' }, 'Zustand'), h('th', { scope: 'col' }, 'Aktionen'))),
			h('tbody', null, (r.users || []).map(u => h('tr', { dataset: { user: u.name } },
				h('th', { scope: 'row' }, u.name), h('td', null, ROLES[u.role] || u.role),
				h('td', null, when(u.created_at)), h('td', null, u.last_login ? when(u.last_login) : 'nie'),
				h('td', null, stateText(u)), h('td', { class: 'buttons' }, actionsFor(u)))))));
	}

	replace(root, h('h1', { id: 'view-title' }, 'Benutzer'), status, tableBox, editBox, addForm);
	load().catch(e => { if (!lostIfUnauthorized(e)) showError(e); });
	return { name: 'users', destroy: () => { destroyed = true; } };
}
