import { html } from './html';
import { layout, message, type PageContext } from './layout';

/** The sign-in form: again with the name typed and why it failed, after a failed sign-in. */
export interface LoginPageModel {
  error?: string;
  username?: string;
}

export function loginPage(page: PageContext, model: LoginPageModel = {}): string {
  const username = html`<input type="text" name="username" id="username" required autofocus autocomplete="username" \
maxlength="64" value="${model.username ?? ''}">`;
  const password = html`<input type="password" name="password" id="password" required autocomplete="current-password" \
maxlength="256">`;
  const body = html`<section class="card login">
    <h1>Sign in</h1>
    ${message('error', model.error)}
    <form method="post" action="/console/login" autocomplete="off">
      <label>Username ${username}</label>
      <label>Password ${password}</label>
      <button type="submit" class="primary" id="sign-in">Sign in</button>
    </form>
  </section>`;
  return layout({ title: 'Sign in', page, body });
}
