// The renewal reminder (docs/renewal.md), sent RENEWAL_REMINDER_DAYS before a license ends: which
// license, when it ends (in the applicant's zone), and the renewal link that opens the apply page
// prefilled from it. Deterministic for the same input (one payload per Idempotency-Key): no "in N
// days", which would change between retries. Every inserted value is escaped in the HTML part.
import type { Locale } from '../shapes.ts'
import { escapeHtml } from './escape.ts'
import { MESSAGES } from './messages.ts'
import { footerText, formatMailTime, page, para, termsHtml, type Common, type RenderedMail, type Term } from './templates.ts'

export type RenewalReminderMailInput = Omit<Common, 'statusUrl'> & {
  licenseId: string
  featureCode: string
  quantity: number
  /** Seconds since the epoch (the license's exp). */
  expiresAt: number
  /** `${PUBLIC_ORIGIN}/apply?renew=<licenseId>&t=<token>` (renewal/token.ts). */
  renewalUrl: string
}

type ReminderTexts = {
  subject: (p: { product: string; licenseId: string }) => string
  heading: string
  intro: (p: { product: string; licenseId: string; ends: string }) => string
  how: string
  button: string
  linkNote: string
  ignore: string
}

const TEXTS: Readonly<Record<Locale, ReminderTexts>> = {
  en: {
    subject: ({ product, licenseId }) => `Your ${product} license ${licenseId} expires soon: renew it`,
    heading: 'Your license expires soon',
    intro: ({ product, licenseId, ends }) => `Your ${product} license ${licenseId} expires on ${ends}.`,
    how: 'To keep using it without a break, request a renewal: the form is filled in from this license, you only choose the period. Once approved, the new license starts when this one ends.',
    button: 'Renew the license',
    linkNote: 'Or open this link (it is personal: do not share it):',
    ignore: 'If you do not need the license any longer, you can ignore this email.',
  },
  'zh-CN': {
    subject: ({ product, licenseId }) => `您的 ${product} 许可证 ${licenseId} 即将到期，请续期`,
    heading: '您的许可证即将到期',
    intro: ({ product, licenseId, ends }) => `您的 ${product} 许可证 ${licenseId} 将于 ${ends} 到期。`,
    how: '如需继续使用，请申请续期：申请表已按这份许可证填好，您只需选择有效期。获批后，新许可证自这份许可证到期时起生效。',
    button: '申请续期',
    linkNote: '也可以打开以下链接（专属于您，请勿分享）：',
    ignore: '如果您不再需要这份许可证，请忽略本邮件。',
  },
}

export function renderRenewalReminderMail(input: RenewalReminderMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const r = TEXTS[input.locale]
  const ends = formatMailTime(input.expiresAt, input.locale, input.timeZone)
  const params = { product: input.productName, licenseId: input.licenseId }
  const rows: Term[] = [
    [m.terms.product, input.productName, 'text'],
    [m.terms.licenseId, input.licenseId, 'code'],
    [m.terms.featureCode, input.featureCode, 'code'],
    [m.terms.quantity, String(input.quantity), 'text'],
    [m.terms.validUntil, ends, 'time'],
  ]
  const subject = r.subject(params)
  const href = escapeHtml(input.renewalUrl)
  const html = page(
    { ...input, statusUrl: input.renewalUrl },
    subject,
    r.heading,
    para(m.greeting(input.name)) +
      para(r.intro({ ...params, ends }), 'font-weight:600', [input.licenseId]) +
      termsHtml(rows) +
      para(r.how) +
      `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 12px"><tr>` +
      `<td style="background:#2563eb;border-radius:6px"><a href="${href}" style="display:inline-block;padding:12px 20px;color:#ffffff;font-weight:600;text-decoration:none">${escapeHtml(r.button)}</a></td></tr></table>` +
      `<p style="margin:0 0 4px;font-size:13px;color:#6b7280">${escapeHtml(r.linkNote)}</p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#6b7280;word-break:break-all"><a href="${href}" style="color:#6b7280">${href}</a></p>` +
      para(r.ignore) +
      para(m.signature(input.vendor.name)),
  )
  const text = [
    m.greeting(input.name),
    '',
    r.intro({ ...params, ends }),
    '',
    ...rows.map(([label, value]) => m.term(label, value)),
    '',
    r.how,
    '',
    m.term(r.button, input.renewalUrl),
    '',
    r.ignore,
    '',
    m.signature(input.vendor.name),
    '',
    ...footerText({ ...input, statusUrl: input.renewalUrl }),
  ].join('\n')
  return { subject, html, text }
}
