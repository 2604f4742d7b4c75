import { roleAllows, type ConsolePermission, type ConsoleRole } from '../../../core/access/console-roles';
import { consoleHref, pageScript, STYLESHEET_ROUTE, type PageScript } from '../console-assets';
import { html, SafeHtml } from './html';

export type NavItem = 'dashboard' | 'accounts' | 'reconciliation' | 'match' | 'runs' | 'users' | 'audit';

/** Who is signed in, as a page shows it: their name and role, their links, their CSRF token. */
export interface ViewSession {
  username: string;
  role: ConsoleRole;
  csrfToken: string;
}

/** What every page needs: the CSP nonce of its scripts and stylesheet, and the session (none on the login page). */
export interface PageContext {
  nonce: string;
  session?: ViewSession;
}

export interface LayoutOptions {
  title: string;
  page: PageContext;
  active?: NavItem;
  body: SafeHtml;
  /** Scripts the console serves itself (under /console/assets), loaded before the page's own. */
  libraries?: string[];
  /** The page's own script (a file of assets/), inlined under the nonce. */
  script?: PageScript;
}

/** The navigation, in order: each link with the permission that shows it. */
const NAV: ReadonlyArray<{ item: NavItem; href: string; label: string; permission: ConsolePermission }> = [
  { item: 'dashboard', href: '/console/dashboard', label: 'Dashboard', permission: 'read' },
  { item: 'accounts', href: '/console/accounts', label: 'Accounts', permission: 'read' },
  { item: 'reconciliation', href: '/console/reconciliation', label: 'Reconciliation', permission: 'reconcile' },
  { item: 'match', href: '/console/match', label: 'Match', permission: 'reconcile' },
  { item: 'runs', href: '/console/runs', label: 'History', permission: 'reconcile' },
  { item: 'audit', href: '/console/audit', label: 'Audit log', permission: 'audit' },
  { item: 'users', href: '/console/users', label: 'Users', permission: 'manage-users' },
];

function nav(session: ViewSession | undefined, active: NavItem | undefined): SafeHtml {
  if (!session) return html``;
  const links = NAV.filter((link) => roleAllows(session.role, link.permission)).map(
    (link) => html`
        <a href="${link.href}" class="${active === link.item ? 'active' : ''}">${link.label}</a>`,
  );
  const logout = html`<form method="post" action="/console/logout">${csrfField(session)}\
<button type="submit" id="logout">Log out</button></form>`;
  return html`<nav>${links}
        <span class="who" id="who">${session.username} · ${session.role}</span>
        ${logout}
      </nav>`;
}

export function layout(options: LayoutOptions): string {
  const { nonce, session } = options.page;
  const libraries = (options.libraries ?? []).map((src) => html`<script nonce="${nonce}" src="${src}"></script>`);
  const script =
    options.script === undefined
      ? html``
      : html`<script nonce="${nonce}">${new SafeHtml(pageScript(options.script))}</script>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${options.title} · Wallet console</title>
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : ''}
<link rel="stylesheet" nonce="${nonce}" href="${consoleHref(STYLESHEET_ROUTE)}">
</head>
<body>
<header><div class="bar"><span class="brand">Wallet console</span>${nav(session, options.active)}</div></header>
<main>
${options.body}
</main>
${libraries}
${script}
</body>
</html>
`.text;
}

/** The hidden field every form that POSTs carries: the session's CSRF token. */
export function csrfField(session: ViewSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
}

export function message(kind: 'error' | 'info', text: string | undefined): SafeHtml {
  return text
    ? html`<div class="message ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`
    : html``;
}
