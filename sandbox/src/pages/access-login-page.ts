// The sandbox's Cloudflare Access sign-in page (`/cdn-cgi/access/login/<app host>`): one click for
// the local operator, viewer or group-only operator, or any email typed in, and the directory of
// users' groups that get-identity answers from. Each is a plain form post back here.
import { html, layout } from './layout.ts'

export type LoginPageOptions = {
  /** The application's host (the front door), as Access names the app being signed in to. */
  appHost: string
  action: string
  redirectUrl: string
  /** The identities offered with one click, with what the local worker makes of them. */
  quick: readonly { email: string; note: string }[]
  /** Who is in which groups (set with POST /_sandbox/access/users). */
  directory: readonly { email: string; groups: readonly string[] }[]
  notice?: string
  email?: string
}

export function accessLoginPage(options: LoginPageOptions): string {
  const hidden = html`<input type="hidden" name="redirect_url" value="${options.redirectUrl}">`
  const body = html`<h1>Sign in to ${options.appHost}</h1>
<p class="muted">Cloudflare Access, played by the sandbox: it signs an application token for the identity you choose, as Access does once your identity provider has let you in. The worker verifies that token itself.</p>
${options.notice ? html`<p class="bad" role="alert">${options.notice}</p>` : ''}
<article>
<h2>Quick sign-in</h2>
<div class="actions">
${options.quick.map((identity, index) => html`<form method="post" action="${options.action}">${hidden}<input type="hidden" name="email" value="${identity.email}"><button type="submit"${index === 0 ? html` class="approve"` : ''}>Sign in as ${identity.email}</button></form>`)}
</div>
<dl>${options.quick.map((identity) => html`<dt>${identity.email}</dt><dd>${identity.note}</dd>`)}</dl>
</article>
<article>
<h2>Another identity</h2>
<form method="post" action="${options.action}" class="toolbar">${hidden}<label for="access-email">Email</label><input id="access-email" name="email" type="text" inputmode="email" autocomplete="email" required value="${options.email ?? ''}"><button type="submit">Sign in</button></form>
<p class="muted">Anyone the worker's ADMIN_OPERATORS and ADMIN_VIEWERS do not name, and who is in no group of its ADMIN_OPERATOR_GROUPS / ADMIN_VIEWER_GROUPS, gets 403 ACCESS_FORBIDDEN.</p>
</article>
<article>
<h2>Groups</h2>
<p class="muted">What the identity provider tells Access, and <code>GET /cdn-cgi/access/get-identity</code> answers the worker. Change with <code>POST /_sandbox/access/users</code> <code>{ "email", "groups": [name] }</code>.</p>
<table><thead><tr><th scope="col">Email</th><th scope="col">Groups</th></tr></thead><tbody>
${options.directory.map((user) => html`<tr><td>${user.email}</td><td>${user.groups.length ? user.groups.join(', ') : '(none)'}</td></tr>`)}
</tbody></table>
</article>`
  return layout({ title: 'Cloudflare Access sign-in' }, body)
}
