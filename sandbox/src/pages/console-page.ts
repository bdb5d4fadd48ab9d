// `/console`: the approver's view of every instance, newest first, with all form fields, status,
// push status, and Approve / Reject buttons (plain forms; the control API redirects back here).
import type { Instance } from '../instance.ts'
import type { PushSummary } from '../instance-views.ts'
import { formatTime, html, layout, type Raw } from './layout.ts'

export type ConsoleEntry = { instance: Instance; push: PushSummary }
export type ConsoleOptions = { entries: readonly ConsoleEntry[]; refreshSeconds?: number; notice?: string }

// Labels a form may use for the application's number; the first match names the card.
const NUMBER_LABEL = /编号|单号|申请号|number|\bno\b|\bid\b|reference/i

/** The application number an approver would quote, or the DingTalk business id. */
export function applicationNumber(instance: Instance): string {
  return instance.formComponentValues.find((field) => NUMBER_LABEL.test(field.name) && field.value.trim() !== '')?.value ?? instance.businessId
}

function statusBadge(instance: Instance): Raw {
  if (instance.status === 'RUNNING') return html`<span class="badge warn">Pending approval</span>`
  if (instance.status === 'TERMINATED') return html`<span class="badge muted">TERMINATED · withdrawn</span>`
  return instance.result === 'agree' ? html`<span class="badge ok">Approved</span>` : html`<span class="badge bad">Rejected</span>`
}

const PUSH_CLASS: Record<PushSummary['status'], string> = {
  none: 'muted',
  skipped: 'muted',
  delivering: 'warn',
  retrying: 'warn',
  delivered: 'ok',
  failed: 'bad',
}

function pushLine(push: PushSummary): Raw {
  const next = push.nextAttemptAt ? html` · next attempt ${formatTime(push.nextAttemptAt)}` : ''
  const what = push.type ? html` of the <code>${push.type}</code> event` : ''
  return html`<p>Push${what}: <span class="badge ${PUSH_CLASS[push.status]}">${push.status}</span>
    <span class="muted">${push.attempts} attempt${push.attempts === 1 ? '' : 's'}${next}</span></p>`
}

function action(instance: Instance, verb: string, label: string, css: string): Raw {
  return html`<form method="post" action="/_sandbox/instances/${encodeURIComponent(instance.id)}/${verb}">
    <button type="submit" class="${css}">${label}</button></form>`
}

/** Approve or Reject with an optional remark, as an approver writes one in DingTalk (审批意见). */
function decide(instance: Instance): Raw {
  const base = `/_sandbox/instances/${encodeURIComponent(instance.id)}`
  return html`<form method="post" action="${base}/approve" class="decide">
    <label>Remark (审批意见, optional) <textarea name="remark" rows="2" maxlength="1024"></textarea></label>
    <button type="submit" class="approve">Approve</button>
    <button type="submit" class="reject" formaction="${base}/reject">Reject</button></form>`
}

function card({ instance, push }: ConsoleEntry): Raw {
  const headingId = `heading-${instance.id}`
  const running = instance.status === 'RUNNING'
  return html`<article id="instance-${instance.id}" data-instance-id="${instance.id}" aria-labelledby="${headingId}">
  <h2 id="${headingId}">Application ${applicationNumber(instance)} <span class="muted">· ${instance.title}</span></h2>
  <p>${statusBadge(instance)}</p>
  <dl>
    ${instance.formComponentValues.map((field) => html`<dt>${field.name}</dt><dd>${field.value}</dd>`)}
    <dt>Originator</dt><dd>${instance.originatorUserId} (dept ${instance.deptId})</dd>
    <dt>Submitted</dt><dd>${formatTime(instance.createTime)}</dd>
    ${instance.finishTime === undefined ? '' : html`<dt>Finished</dt><dd>${formatTime(instance.finishTime)}</dd>`}
    <dt>Approvers</dt><dd>${instance.approverUserIds.join(', ')}</dd>
    <dt>Business id</dt><dd>${instance.businessId}</dd>
    <dt>Instance id</dt><dd><code>${instance.id}</code></dd>
  </dl>
  ${instance.operationRecords.filter((record) => record.remark).map((record) => html`<p>Remark by ${record.userId} (${record.result}): <q>${record.remark ?? ''}</q></p>`)}
  ${pushLine(push)}
  <div class="actions">
    ${running ? [decide(instance), action(instance, 'terminate', 'Withdraw', '')] : ''}
    ${instance.events.length > 0 ? action(instance, 'push', 'Push last event again', '') : ''}
  </div>
</article>`
}

export function consolePage({ entries, refreshSeconds, notice }: ConsoleOptions): string {
  const auto = refreshSeconds
    ? html`<a href="/console">Stop auto-refresh</a>`
    : html`<a href="/console?refresh=5">Auto-refresh every 5 s</a>`
  const body = html`<h1>Approver console</h1>
<div class="toolbar">
  <span class="muted">${entries.length} instance${entries.length === 1 ? '' : 's'}, newest first</span>
  <a href="${refreshSeconds ? `/console?refresh=${refreshSeconds}` : '/console'}">Refresh</a>
  ${auto}
  <form method="post" action="/_sandbox/check-url"><button type="submit">Check callback URL</button></form>
</div>
${notice ? html`<p role="status">${notice}</p>` : ''}
${entries.length === 0 ? html`<p class="muted">No approval instances yet. Submit an application to create one.</p>` : entries.map(card)}`
  return layout({ title: 'Approver console', refreshSeconds }, body)
}
