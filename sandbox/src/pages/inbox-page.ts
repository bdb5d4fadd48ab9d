// `/inbox`: every email the mailbox accepted, newest first. HTML bodies render inside
// `<iframe sandbox srcdoc>` (no scripts, no same-origin), never inline.
import type { StoredEmail } from '../state.ts'
import { formatTime, html, layout } from './layout.ts'

export function attachmentUrl(emailId: string, index: number): string {
  return `/_sandbox/emails/${encodeURIComponent(emailId)}/attachments/${index}`
}

function card(email: StoredEmail) {
  const headingId = `email-${email.id}`
  return html`<article data-email-id="${email.id}" aria-labelledby="${headingId}">
  <h2 id="${headingId}">${email.subject}</h2>
  <dl>
    <dt>From</dt><dd>${email.from}</dd>
    <dt>To</dt><dd>${email.to.join(', ')}</dd>
    ${email.cc.length ? html`<dt>Cc</dt><dd>${email.cc.join(', ')}</dd>` : ''}
    ${email.reply_to.length ? html`<dt>Reply to</dt><dd>${email.reply_to.join(', ')}</dd>` : ''}
    <dt>Received</dt><dd>${formatTime(email.created_at)}</dd>
    ${email.idempotency_key ? html`<dt>Idempotency key</dt><dd><code>${email.idempotency_key}</code></dd>` : ''}
  </dl>
  ${email.html === undefined ? '' : html`<iframe sandbox title="HTML body: ${email.subject}" srcdoc="${email.html}"></iframe>`}
  ${email.text === undefined ? '' : html`<details${email.html === undefined ? ' open' : ''}><summary>Text body</summary><pre>${email.text}</pre></details>`}
  ${email.attachments.length === 0 ? '' : html`<p>Attachments:</p><ul>${email.attachments.map((attachment, index) =>
      attachment.content === undefined
        ? html`<li>${attachment.filename ?? attachment.path} <span class="muted">(remote: ${attachment.path})</span></li>`
        : html`<li><a href="${attachmentUrl(email.id, index)}" download="${attachment.filename ?? ''}">${attachment.filename ?? `attachment ${index + 1}`}</a>
          <span class="muted">${attachment.content_type ?? ''} · ${Buffer.byteLength(attachment.content, 'base64')} bytes</span></li>`,
    )}</ul>`}
</article>`
}

export function inboxPage(emails: readonly StoredEmail[]): string {
  const newest = [...emails].reverse()
  const body = html`<h1>Inbox</h1>
<div class="toolbar"><span class="muted">${emails.length} email${emails.length === 1 ? '' : 's'}, newest first</span><a href="/inbox">Refresh</a></div>
${newest.length === 0 ? html`<p class="muted">No email yet. The worker's mail goes here instead of Resend.</p>` : newest.map(card)}`
  return layout({ title: 'Inbox' }, body)
}
