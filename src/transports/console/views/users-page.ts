import { CONSOLE_ROLES, type ConsoleRole } from '../../../core/access/console-roles';
import type { PresentedUser } from '../../presenters/users';
import { readableTime } from './fragments';
import { html, q, SafeHtml } from './html';
import { csrfField, layout, message, type PageContext, type ViewSession } from './layout';

/** Every console user, with what the last action said (a refused new user) when there is something to say. */
export interface UsersPageModel {
  users: PresentedUser[];
  notice?: { kind: 'error' | 'info'; text: string };
}

function roleOptions(current: ConsoleRole): SafeHtml[] {
  return CONSOLE_ROLES.map(
    (role) => html`<option value="${role}" ${role === current ? new SafeHtml('selected') : ''}>${role}</option>`,
  );
}

function userRow(session: ViewSession, user: PresentedUser): SafeHtml {
  const action = (name: string, label: string) =>
    html`<form class="inline" method="post" action="/console/users/${q(user.username)}/${name}">${csrfField(session)}\
<button type="submit">${label}</button></form>`;
  const status = user.disabled
    ? html`<span class="badge bad">disabled</span>`
    : html`<span class="badge ok">active</span>`;
  return html`<tr data-username="${user.username}">
      <td>${user.username}</td>
      <td>
        <form class="inline" method="post" action="/console/users/${q(user.username)}/role">${csrfField(session)}
          <select name="role" aria-label="role of ${user.username}">${roleOptions(user.role)}</select>
          <button type="submit">Change</button>
        </form>
      </td>
      <td>${status}</td>
      <td class="nowrap">${readableTime(user.createdAt)}</td>
      <td>${user.createdBy}</td>
      <td class="nowrap">
        ${user.disabled ? action('enable', 'Enable') : action('disable', 'Disable')}
        ${action('end-sessions', 'End sessions')}
      </td>
    </tr>`;
}

function newUserForm(session: ViewSession): SafeHtml {
  const password = html`<input type="password" name="password" required minlength="12" maxlength="256" \
autocomplete="new-password">`;
  return html`<section class="card">
      <h2>New user</h2>
      <form class="inline" method="post" action="/console/users" id="new-user" autocomplete="off">${csrfField(session)}
        <label>Username <input type="text" name="username" required maxlength="64"></label>
        <label>Password ${password}</label>
        <label>Role <select name="role">${roleOptions('viewer')}</select></label>
        <button type="submit" class="primary">Create</button>
      </form>
      <p class="muted">viewer: reads accounts and ledgers · finance: also runs reconciliation and matching, \
downloads, reads the audit log · admin: also manages users.</p>
    </section>`;
}

/** Console users (admins): create one, change a role, disable, end every session. */
export function usersPage(page: PageContext, { users, notice }: UsersPageModel): string {
  const session = page.session!;
  const rows = users.map((user) => userRow(session, user));
  const body = html`<h1>Users</h1>
    ${notice ? message(notice.kind, notice.text) : ''}
    ${newUserForm(session)}
    <table id="users"><thead><tr><th>Username</th><th>Role</th><th>Status</th><th>Created</th><th>By</th><th></th></tr>\
</thead><tbody>${rows}</tbody></table>`;
  return layout({ title: 'Users', page, active: 'users', body });
}
