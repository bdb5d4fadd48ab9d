// The words of an alert notice: a mail (text and HTML, every value escaped) and a DingTalk robot
// markdown message. Operators read both; the title is given in English and Chinese.
import { escapeHtml } from '../mail/escape.ts'
import { ALERTS, type AlertCode } from './catalog.ts'

export type AlertNotice = {
  id: string
  code: AlertCode
  subject: string
  kind: 'firing' | 'resolved'
  details: Record<string, unknown>
  createdAt: number
}

const MAX_DETAIL = 300

function detailLines(details: Record<string, unknown>): [string, string][] {
  return Object.entries(details).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    return [key, text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text]
  })
}

export function alertSubjectLine(notice: AlertNotice): string {
  const info = ALERTS[notice.code]
  const state = notice.kind === 'firing' ? 'ALERT' : 'RESOLVED'
  const about = notice.subject ? ` (${notice.subject})` : ''
  return `[licensedesk] ${state} ${notice.code}${about}: ${info.title}`
}

export function renderAlertMail(notice: AlertNotice, origin: string): { subject: string; text: string; html: string } {
  const info = ALERTS[notice.code]
  const at = new Date(notice.createdAt).toISOString()
  const lines = detailLines(notice.details)
  const headline = notice.kind === 'firing' ? info.title : `Resolved: ${info.title}`
  const headlineZh = notice.kind === 'firing' ? info.titleZh : `已恢复：${info.titleZh}`
  const doing =
    notice.kind === 'firing'
      ? info.action
      : 'The condition has cleared; nothing to do. (The worker checked it again and found it no longer holds.)'
  const text = [
    headline,
    headlineZh,
    '',
    `Code: ${notice.code}`,
    ...(notice.subject ? [`About: ${notice.subject}`] : []),
    `At: ${at}`,
    `Worker: ${origin}`,
    ...lines.map(([key, value]) => `${key}: ${value}`),
    '',
    `What to do: ${doing}`,
    '',
    `Every code is explained in docs/alerts.md (${notice.code}).`,
    notice.kind === 'firing' ? (info.resolvesItself ? 'A "resolved" notice follows when it clears.' : 'This one is resolved by a person.') : '',
  ].join('\n')
  const rows = [
    ['Code', notice.code],
    ...(notice.subject ? [['About', notice.subject]] : []),
    ['At', at],
    ['Worker', origin],
    ...lines,
  ]
    .map(([key, value]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(key)}</th><td style="font-family:monospace">${escapeHtml(value)}</td></tr>`)
    .join('')
  const colour = notice.kind === 'firing' ? '#b42318' : '#067647'
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1d2939">
<h2 style="color:${colour};margin:0 0 4px">${escapeHtml(headline)}</h2>
<p style="margin:0 0 12px;color:#475467">${escapeHtml(headlineZh)}</p>
<table style="border-collapse:collapse;font-size:14px">${rows}</table>
<p><strong>What to do:</strong> ${escapeHtml(doing)}</p>
<p style="color:#475467;font-size:13px">Every code is explained in docs/alerts.md (${escapeHtml(notice.code)}).</p>
</body></html>`
  return { subject: alertSubjectLine(notice), text, html }
}

/** The DingTalk group robot's markdown message (title ≤ 1 line; text in DingTalk's markdown subset). */
export function renderAlertMarkdown(notice: AlertNotice): { title: string; text: string } {
  const info = ALERTS[notice.code]
  const firing = notice.kind === 'firing'
  // Markdown-significant characters in values are neutralised: this is text, not markup.
  const plain = (value: string) => value.replace(/[\\`*_[\]()#>!|<]/g, (ch) => `\\${ch}`)
  const lines = detailLines(notice.details).map(([key, value]) => `- ${plain(key)}: ${plain(value)}`)
  const title = `${firing ? '告警' : '已恢复'} ${notice.code}`
  const text = [
    `### ${firing ? '🔴' : '🟢'} ${plain(firing ? info.titleZh : `已恢复：${info.titleZh}`)}`,
    plain(firing ? info.title : `Resolved: ${info.title}`),
    '',
    `- code: ${notice.code}`,
    ...(notice.subject ? [`- about: ${plain(notice.subject)}`] : []),
    `- at: ${new Date(notice.createdAt).toISOString()}`,
    ...lines,
    '',
    firing ? plain(info.action) : '',
  ].join('\n')
  return { title, text }
}
