// `/robot`: the messages the sandbox DingTalk group robot received (the worker's alerts), newest
// first, shown as the plain text they are (never rendered as markup).
import type { RobotMessage } from '../robot/robot.ts'
import { formatTime, html, layout } from './layout.ts'

export function robotPage(messages: readonly RobotMessage[]): string {
  const newest = [...messages].reverse()
  const body = html`<h1>Group robot</h1>
<div class="toolbar"><span class="muted">${messages.length} message${messages.length === 1 ? '' : 's'}, newest first</span><a href="/robot">Refresh</a></div>
${newest.length === 0
    ? html`<p class="muted">No message yet. The worker's alerts are posted here as to a DingTalk group's custom robot.</p>`
    : newest.map((message) => html`<article><h2>${message.title || message.msgtype}</h2><dl><dt>Received</dt><dd>${formatTime(message.at)}</dd><dt>Type</dt><dd>${message.msgtype}</dd></dl><pre>${message.text}</pre></article>`)}`
  return layout({ title: 'Group robot' }, body)
}
