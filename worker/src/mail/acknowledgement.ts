// The acknowledgement mail, sent once when an application is saved (issue 9): its number, terms and
// private status link, and what happens next, in the applicant's locale. Deterministic for the same
// input (one payload per Idempotency-Key); every inserted value is escaped in the HTML part.
import type { Locale } from '../config.ts'
import { MESSAGES } from './messages.ts'
import { closingText, page, para, statusHtml, termsHtml, type Common, type RenderedMail, type Term } from './templates.ts'

export type AcknowledgementMailInput = Common & {
  featureCode: string
  quantity: number
  validityDays: number
}

type AckTexts = {
  subject: (p: { product: string; applicationId: string }) => string
  intro: (p: { product: string; applicationId: string }) => string
  validity: string
  days: (n: number) => string
  next: string
  keep: string
  heading: string
}

const TEXTS: Readonly<Record<Locale, AckTexts>> = {
  en: {
    subject: ({ product, applicationId }) => `We received your ${product} license request ${applicationId}`,
    intro: ({ product, applicationId }) => `Thank you: your request ${applicationId} for a ${product} license has been received.`,
    heading: 'We received your request',
    validity: 'Validity',
    days: (n) => `${n} days`,
    next: 'What happens next: our team reviews the request. Once it is approved, the license file is emailed to this address; if it is declined, we email you too.',
    keep: 'Keep this email: the link below shows the progress of your request at any time, and lets you download the license once it is issued.',
  },
  'zh-CN': {
    subject: ({ product, applicationId }) => `我们已收到您的 ${product} 许可证申请 ${applicationId}`,
    intro: ({ product, applicationId }) => `感谢您的申请：我们已收到您的 ${product} 许可证申请（${applicationId}）。`,
    heading: '我们已收到您的申请',
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
  const rows: Term[] = [
    [m.terms.applicationId, input.applicationId, 'code'],
    [m.terms.product, input.productName, 'text'],
    [m.terms.featureCode, input.featureCode, 'code'],
    [m.terms.quantity, String(input.quantity), 'text'],
    [a.validity, a.days(input.validityDays), 'text'],
  ]
  const subject = a.subject(params)
  const html = page(
    input,
    subject,
    a.heading,
    para(m.greeting(input.name)) +
      para(a.intro(params), '', [input.applicationId]) +
      termsHtml(rows) +
      para(a.next) +
      para(a.keep) +
      statusHtml(m, input.statusUrl) +
      para(m.signature(input.vendor.name)),
  )
  const text = [
    m.greeting(input.name),
    '',
    a.intro(params),
    '',
    ...rows.map(([label, value]) => m.term(label, value)),
    '',
    a.next,
    '',
    a.keep,
    '',
    ...closingText(m, input),
  ].join('\n')
  return { subject, html, text }
}
