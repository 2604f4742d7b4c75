import { html } from './html';
import { layout, message, type PageContext } from './layout';

/** A refusal or a failure: its HTTP status and what the console says of it. */
export interface ErrorPageModel {
  status: number;
  text: string;
}

function heading(status: number): string {
  if (status === 404) return 'Not found';
  return status >= 500 ? 'Something went wrong' : 'Cannot do that';
}

export function errorPage(page: PageContext, { status, text }: ErrorPageModel): string {
  const body = html`<h1>${heading(status)}</h1>
    ${message('error', text)}
    <p><a href="/console/dashboard">Back to the dashboard</a></p>`;
  return layout({ title: 'Error', page, body });
}
