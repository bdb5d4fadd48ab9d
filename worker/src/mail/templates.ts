// Renders the license and rejection emails (subject, HTML, text) in the applicant's locale and
// time zone, with the vendor's footer. Deterministic for the same input, so a retried send carries
// the same payload under the same Idempotency-Key. Every inserted value is escaped in the HTML part.
// The HTML is one column of tables (what mail clients lay out alike), at most 560 px wide and
// fluid below: it holds at 320 px (test/mail-render.test.ts); labels sit above their values.
import type { Locale, Vendor } from '../shapes.ts'
import { formatZoned } from '../time-zone.ts'
import { escapeHtml } from './escape.ts'
import { MESSAGES, type MailMessages } from './messages.ts'

export type RenderedMail = { subject: string; html: string; text: string }

export type Common = {
  locale: Locale
  /** IANA zone every time is printed in (time-zone.ts, timeZoneOf). */
  timeZone: string
  vendor: Vendor
  name: string
  productName: string
  applicationId: string
  /** The applicant's private status link, `${PUBLIC_ORIGIN}/status/<id>?t=<token>`. */
  statusUrl: string
}

export type LicenseMailInput = Common & {
  licenseId: string
  featureCode: string
  quantity: number
  /** Seconds since the epoch (the license's nbf/exp). */
  notBefore: number
  expiresAt: number
  fileName: string
  /** The license this one replaces (a reissue), or null. */
  replaces?: string | null
  /** The license this one renews (docs/renewal.md), or null. */
  renews?: string | null
}

export type RejectionMailInput = Common & {
  /** The refusing approver's remark, only when SHOW_APPROVER_COMMENT allows it. */
  comment?: string | null
}

const FONT = `font-family:-apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Hiragino Sans GB','Microsoft YaHei',sans-serif`
const MONO = `font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace`
const P = 'margin:0 0 16px'

/** Seconds since the epoch, as the applicant reads it: date, time and the zone's name. */
export function formatMailTime(seconds: number, locale: Locale, timeZone: string): string {
  return formatZoned(seconds * 1000, locale, timeZone)
}

/**
 * Escaped text in which each of `keep` (an application number, a phone number) never breaks
 * across lines: "LD-" on one line and the rest on the next is hard to read back and quote.
 */
function prose(text: string, keep: readonly (string | null | undefined)[] = []): string {
  let out = escapeHtml(text)
  for (const token of keep) {
    if (!token) continue
    const escaped = escapeHtml(token)
    out = out.split(escaped).join(`<span style="white-space:nowrap">${escaped}</span>`)
  }
  return out
}

export function para(text: string, style = '', keep: readonly (string | null | undefined)[] = []): string {
  return `<p style="${P};${style}">${prose(text, keep)}</p>`
}

export function page(input: Common, subject: string, heading: string, body: string): string {
  const { vendor } = input
  const brand = vendor.logoUrl
    ? `<img src="${escapeHtml(vendor.logoUrl)}" alt="${escapeHtml(vendor.name)}" height="32" style="display:block;height:32px;max-width:100%;border:0">`
    : `<span style="font-size:16px;font-weight:600;color:#111827">${escapeHtml(vendor.name)}</span>`
  return `<!doctype html><html lang="${input.locale}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="color-scheme" content="light"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="margin:0;padding:0;background:#f3f4f6;-webkit-text-size-adjust:100%">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6">` +
    `<tr><td align="center" style="padding:16px 8px">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-radius:8px">` +
    `<tr><td style="padding:20px 20px 4px;${FONT}">${brand}</td></tr>` +
    `<tr><td style="padding:12px 20px 8px;${FONT};font-size:16px;line-height:1.6;color:#1f2937">` +
    `<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#111827">${escapeHtml(heading)}</h1>` +
    body +
    `</td></tr></table>` +
    footerHtml(input) +
    `</td></tr></table></body></html>`
}

function footerHtml(input: Common): string {
  const { vendor } = input
  const m = MESSAGES[input.locale]
  const sep = input.locale === 'zh-CN' ? '：' : ': '
  const lines = [
    `<strong>${escapeHtml(vendor.name)}</strong>`,
    `${escapeHtml(m.footer.support)}${sep}<a href="mailto:${escapeHtml(vendor.supportEmail)}" style="color:#4b5563">${escapeHtml(vendor.supportEmail)}</a>`,
    ...(vendor.supportPhone ? [`${escapeHtml(m.footer.phone)}${sep}<span style="white-space:nowrap">${escapeHtml(vendor.supportPhone)}</span>`] : []),
    `<a href="${escapeHtml(vendor.privacyUrl)}" style="color:#4b5563">${escapeHtml(m.footer.privacy)}</a>`,
    escapeHtml(m.footer.why(input.productName)),
    ...(vendor.footer ? [escapeHtml(vendor.footer)] : []),
  ]
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px">` +
    `<tr><td style="padding:16px 20px;${FONT};font-size:13px;line-height:1.6;color:#6b7280">${lines.join('<br>')}</td></tr></table>`
}

/** The plain-text part's end, the same in every mail: the status link, the signature, the footer. */
export function closingText(m: MailMessages, input: Common): string[] {
  return [m.statusLink, input.statusUrl, '', m.signature(input.vendor.name), '', ...footerText(input)]
}

export function footerText(input: Common): string[] {
  const { vendor } = input
  const m = MESSAGES[input.locale]
  return [
    '—',
    vendor.name,
    m.term(m.footer.support, vendor.supportEmail),
    ...(vendor.supportPhone ? [m.term(m.footer.phone, vendor.supportPhone)] : []),
    m.term(m.footer.privacy, vendor.privacyUrl),
    m.footer.why(input.productName),
    ...(vendor.footer ? [vendor.footer] : []),
  ]
}

/** A row of the terms: codes are monospaced and may break anywhere, times break only before the zone. */
export type Term = [label: string, value: string, kind: 'code' | 'text' | 'time']

function valueHtml(value: string, kind: Term[2]): string {
  if (kind === 'code') return `<div style="${MONO};font-size:15px;color:#111827;word-break:break-all">${escapeHtml(value)}</div>`
  if (kind === 'time') {
    // "2027年1月15日 12:11（中国标准时间）": the moment and the zone each kept whole.
    const at = value.search(/ ?[（(]/)
    const parts = at > 0 ? [value.slice(0, at), value.slice(at).trim()] : [value]
    return `<div style="color:#111827">${parts.map((part) => `<span style="white-space:nowrap">${escapeHtml(part)}</span>`).join(' ')}</div>`
  }
  return `<div style="color:#111827;word-break:break-word">${escapeHtml(value)}</div>`
}

/** Label above value: nothing to squeeze side by side at 320 px, and a label never breaks. */
export function termsHtml(rows: Term[]): string {
  const cells = rows
    .map(([label, value, kind], i) =>
      `<tr><td style="padding:8px 0;${i ? 'border-top:1px solid #e5e7eb' : ''}">` +
        `<div style="font-size:13px;color:#6b7280;white-space:nowrap">${escapeHtml(label)}</div>` +
        `${valueHtml(value, kind)}</td></tr>`)
    .join('')
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px;border-collapse:collapse">${cells}</table>`
}

export function statusHtml(m: MailMessages, url: string): string {
  const href = escapeHtml(url)
  return para(m.statusLink) +
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 12px"><tr>` +
    `<td style="background:#2563eb;border-radius:6px"><a href="${href}" style="display:inline-block;padding:10px 18px;color:#ffffff;font-weight:600;text-decoration:none">${escapeHtml(m.statusButton)}</a></td></tr></table>` +
    `<p style="${P};font-size:13px;color:#6b7280;word-break:break-all"><a href="${href}" style="color:#6b7280">${href}</a></p>`
}

export function renderLicenseMail(input: LicenseMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const rows: Term[] = [
    [m.terms.product, input.productName, 'text'],
    [m.terms.licenseId, input.licenseId, 'code'],
    [m.terms.applicationId, input.applicationId, 'code'],
    [m.terms.featureCode, input.featureCode, 'code'],
    [m.terms.quantity, String(input.quantity), 'text'],
    [m.terms.validFrom, formatMailTime(input.notBefore, input.locale, input.timeZone), 'time'],
    [m.terms.validUntil, formatMailTime(input.expiresAt, input.locale, input.timeZone), 'time'],
  ]
  const steps = m.howTo({ product: input.productName, fileName: input.fileName })
  const subject = m.licenseSubject({ product: input.productName, licenseId: input.licenseId })
  const html = page(
    input,
    subject,
    m.licenseHeading,
    para(m.greeting(input.name)) +
      para(m.licenseIntro(input.productName)) +
      (input.replaces ? para(m.licenseReplaces(input.replaces), 'font-weight:600', [input.replaces]) : '') +
      (input.renews ? para(m.licenseRenews(input.renews, formatMailTime(input.notBefore, input.locale, input.timeZone)), 'font-weight:600', [input.renews]) : '') +
      termsHtml(rows) +
      `<h2 style="margin:0 0 8px;font-size:17px;color:#111827">${escapeHtml(m.howToHeading)}</h2>` +
      `<ol style="margin:0 0 16px;padding-left:22px">${steps.map((step) => `<li style="margin:0 0 6px;word-break:break-word">${escapeHtml(step)}</li>`).join('')}</ol>` +
      statusHtml(m, input.statusUrl) +
      para(m.signature(input.vendor.name)),
  )
  const text = [
    m.greeting(input.name),
    '',
    m.licenseIntro(input.productName),
    '',
    ...(input.replaces ? [m.licenseReplaces(input.replaces), ''] : []),
    ...(input.renews ? [m.licenseRenews(input.renews, formatMailTime(input.notBefore, input.locale, input.timeZone)), ''] : []),
    ...rows.map(([label, value]) => m.term(label, value)),
    '',
    m.howToHeading,
    ...steps.map((step, i) => `${i + 1}. ${step}`),
    '',
    ...closingText(m, input),
  ].join('\n')
  return { subject, html, text }
}

export function renderRejectionMail(input: RejectionMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const params = { product: input.productName, applicationId: input.applicationId }
  const next = m.rejectionNext({ vendor: input.vendor.name, email: input.vendor.supportEmail, phone: input.vendor.supportPhone, applicationId: input.applicationId })
  const comment = input.comment?.trim() || null
  const subject = m.rejectionSubject(params)
  const html = page(
    input,
    subject,
    m.rejectionHeading,
    para(m.greeting(input.name)) +
      para(m.rejectionIntro(params), '', [input.applicationId]) +
      (comment
        ? `<p style="margin:0 0 4px;font-size:13px;color:#6b7280">${escapeHtml(m.commentLabel)}</p>` +
          `<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:3px solid #d1d5db;background:#f9fafb;white-space:pre-wrap;word-break:break-word">${escapeHtml(comment)}</blockquote>`
        : '') +
      para(next, 'word-break:break-word', [input.applicationId, input.vendor.supportPhone, m.terms.applicationId]) +
      statusHtml(m, input.statusUrl) +
      para(m.signature(input.vendor.name)),
  )
  const text = [
    m.greeting(input.name),
    '',
    m.rejectionIntro(params),
    ...(comment ? ['', m.commentLabel, comment] : []),
    '',
    next,
    '',
    ...closingText(m, input),
  ].join('\n')
  return { subject, html, text }
}
