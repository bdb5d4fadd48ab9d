// `/`: what the sandbox is, where its parts are, and how it is set up (no secrets shown).
import type { SandboxConfig } from '../config.ts'
import { html, layout } from './layout.ts'

export function homePage(config: SandboxConfig, counts: { instances: number; emails: number }): string {
  const { dingtalk, push } = config
  const body = html`<h1>licensedesk sandbox</h1>
<p>A local stand-in for <strong>DingTalk</strong> (approval API, encrypted event pushes, IP whitelist)
and <strong>Resend</strong> (the <code>POST /emails</code> API), so the whole flow runs without a cloud account.</p>
<ul>
  <li><a href="/console">Approver console</a> — ${counts.instances} approval instance${counts.instances === 1 ? '' : 's'}; approve or reject them here.</li>
  <li><a href="/inbox">Inbox</a> — ${counts.emails} email${counts.emails === 1 ? '' : 's'} sent by the worker.</li>
</ul>
<article aria-label="Settings">
<h2>Settings</h2>
<dl>
  <dt>App key</dt><dd><code>${dingtalk.appKey}</code></dd>
  <dt>Corp id</dt><dd><code>${dingtalk.corpId}</code></dd>
  <dt>Process code</dt><dd><code>${dingtalk.processCode}</code></dd>
  <dt>API accepted from</dt><dd>${dingtalk.allowedIps.length ? dingtalk.allowedIps.join(', ') : 'any address (no whitelist)'}</dd>
  <dt>Pushes go to</dt><dd>${push.url ?? 'nowhere (SANDBOX_PUSH_URL is not set)'}</dd>
  <dt>Push retries after</dt><dd>${push.retryDelays.map((ms) => `${ms / 1000} s`).join(', ')}</dd>
  <dt>Mail rate limit</dt><dd>${config.mail.rateLimit ? `${config.mail.rateLimit} requests/s per key` : 'none'}</dd>
</dl>
</article>
<p class="muted">Control API for tests and scripts: <code>/_sandbox/…</code> (see docs/sandbox.md).</p>`
  return layout({ title: 'Home' }, body)
}
