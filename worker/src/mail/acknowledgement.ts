// The acknowledgement mail, sent once when an application is saved (issue 9): its number, terms and
// private status link, and what happens next, in the applicant's locale. Deterministic for the same
// input (one payload per Idempotency-Key); every inserted value is escaped in the HTML part.
import type { Locale } from '../config.ts'
import { escapeHtml } from './escape.ts'
import { MESSAGES } from './messages.ts'
import { page, statusLinkHtml, type RenderedMail } from './templates.ts'

export type AcknowledgementMailInput = {
  locale: Locale
  name: string
  productName: string
  applicationId: string
  featureCode: string
  quantity: number
  validityDays: number
  /** The applicant's private status link, `${PUBLIC_ORIGIN}/status/<id>?t=<token>`. */
  statusUrl: string
}

type AckTexts = {
  subject: (p: { product: string; applicationId: string }) => string
  intro: (p: { product: string; applicationId: string }) => string
  validity: string
  days: (n: number) => string
  next: string
  keep: string
}

const TEXTS: Readonly<Record<Locale, AckTexts>> = {
  en: {
    subject: ({ product, applicationId }) => `We received your ${product} license request ${applicationId}`,
    intro: ({ product, applicationId }) => `thank you: your request ${applicationId} for a ${product} license has been received.`,
    validity: 'Validity',
    days: (n) => `${n} days`,
    next: 'What happens next: our team reviews the request. Once it is approved, the license file is emailed to this address; if it is declined, we email you too.',
    keep: 'Keep this email: the link below shows the progress of your request at any time, and lets you download the license once it is issued.',
  },
  'zh-CN': {
    subject: ({ product, applicationId }) => `我们已收到您的 ${product} 许可证申请 ${applicationId}`,
    intro: ({ product, applicationId }) => `感谢您的申请：我们已收到您的 ${product} 许可证申请（${applicationId}）。`,
    validity: '有效期',
    days: (n) => `${n} 天`,
    next: '接下来：我们的工作人员将审核您的申请。获批后，许可证文件将发送到本邮箱；如未获批准，我们也会邮件通知您。',
    keep: '请保留本邮件：通过下面的链接可以随时查看申请进度，许可证签发后也可在该页面下载。',
  },
}

export function renderAcknowledgementMail(input: AcknowledgementMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const a = TEXTS[input.locale]
  const params = { product: input.productName, applicationId: input.applicationId }
  const rows: [string, string][] = [
    [m.terms.applicationId, input.applicationId],
    [m.terms.product, input.productName],
    [m.terms.featureCode, input.featureCode],
    [m.terms.quantity, String(input.quantity)],
    [a.validity, a.days(input.validityDays)],
  ]
  const table = rows
    .map(([label, value]) => `<tr><th align="left" style="padding:4px 12px 4px 0;white-space:nowrap">${escapeHtml(label)}</th>` +
      `<td style="padding:4px 0;font-family:ui-monospace,monospace;word-break:break-all">${escapeHtml(value)}</td></tr>`)
    .join('')
  const html = page(
    input.locale,
    `<p>${escapeHtml(m.greeting(input.name))}</p>` +
      `<p>${escapeHtml(a.intro(params))}</p>` +
      `<table style="border-collapse:collapse">${table}</table>` +
      `<p>${escapeHtml(a.next)}</p>` +
      `<p>${escapeHtml(a.keep)}</p>` +
      statusLinkHtml(m.statusLink, input.statusUrl) +
      `<p>${escapeHtml(m.signature(input.productName))}</p>`,
  )
  const text = [
    m.greeting(input.name),
    '',
    a.intro(params),
    '',
    ...rows.map(([label, value]) => `${label}: ${value}`),
    '',
    a.next,
    a.keep,
    '',
    m.statusLink,
    input.statusUrl,
    '',
    m.signature(input.productName),
  ].join('\n')
  return { subject: a.subject(params), html, text }
}
