// Renders the license and rejection emails (subject, HTML, text) in the applicant's locale.
// Deterministic for the same input, so a retried send carries the same payload under the same
// Idempotency-Key. Every inserted value is escaped in the HTML part.
import type { Locale } from '../config.ts'
import { escapeHtml } from './escape.ts'
import { MESSAGES } from './messages.ts'

export type RenderedMail = { subject: string; html: string; text: string }

export type LicenseMailInput = {
  locale: Locale
  name: string
  productName: string
  applicationId: string
  licenseId: string
  featureCode: string
  quantity: number
  /** Seconds since the epoch (the license's nbf/exp). */
  notBefore: number
  expiresAt: number
  fileName: string
  /** The license this one replaces (a reissue), or null. */
  replaces?: string | null
  jwksUrl: string
  /** The applicant's private status link, `${PUBLIC_ORIGIN}/status/<id>?t=<token>`. */
  statusUrl: string
}

export type RejectionMailInput = { locale: Locale; name: string; productName: string; applicationId: string; statusUrl: string }

export function formatUtc(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** The mails' HTML layout; `body` is already escaped HTML. */
export function page(lang: Locale, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"></head>` +
    `<body style="font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2937;line-height:1.5">` +
    `${body}</body></html>`
}

export function statusLinkHtml(label: string, url: string): string {
  return `<p>${escapeHtml(label)}<br><a href="${escapeHtml(url)}" style="word-break:break-all">${escapeHtml(url)}</a></p>`
}

export function renderLicenseMail(input: LicenseMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const rows: [string, string][] = [
    [m.terms.product, input.productName],
    [m.terms.licenseId, input.licenseId],
    [m.terms.applicationId, input.applicationId],
    [m.terms.featureCode, input.featureCode],
    [m.terms.quantity, String(input.quantity)],
    [m.terms.validFrom, formatUtc(input.notBefore)],
    [m.terms.validUntil, formatUtc(input.expiresAt)],
  ]
  const table = rows
    .map(([label, value]) => `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(label)}</th>` +
      `<td style="padding:4px 0;font-family:ui-monospace,monospace;word-break:break-all">${escapeHtml(value)}</td></tr>`)
    .join('')
  const html = page(
    input.locale,
    `<p>${escapeHtml(m.greeting(input.name))}</p>` +
      `<p>${escapeHtml(m.licenseIntro(input.productName))}</p>` +
      (input.replaces ? `<p><strong>${escapeHtml(m.licenseReplaces(input.replaces))}</strong></p>` : '') +
      `<table style="border-collapse:collapse">${table}</table>` +
      `<p>${escapeHtml(m.licenseAttached(input.fileName))}</p>` +
      statusLinkHtml(m.statusLink, input.statusUrl) +
      `<p style="color:#6b7280;font-size:12px">${escapeHtml(m.jwks)} <a href="${escapeHtml(input.jwksUrl)}">${escapeHtml(input.jwksUrl)}</a></p>` +
      `<p>${escapeHtml(m.signature(input.productName))}</p>`,
  )
  const text = [
    m.greeting(input.name),
    '',
    m.licenseIntro(input.productName),
    '',
    ...(input.replaces ? [m.licenseReplaces(input.replaces), ''] : []),
    ...rows.map(([label, value]) => `${label}: ${value}`),
    '',
    m.licenseAttached(input.fileName),
    '',
    m.statusLink,
    input.statusUrl,
    '',
    `${m.jwks} ${input.jwksUrl}`,
    '',
    m.signature(input.productName),
  ].join('\n')
  return { subject: m.licenseSubject({ product: input.productName, licenseId: input.licenseId }), html, text }
}

export function renderRejectionMail(input: RejectionMailInput): RenderedMail {
  const m = MESSAGES[input.locale]
  const params = { product: input.productName, applicationId: input.applicationId }
  const html = page(
    input.locale,
    `<p>${escapeHtml(m.greeting(input.name))}</p>` +
      `<p>${escapeHtml(m.rejectionIntro(params))}</p>` +
      `<p>${escapeHtml(m.rejectionNext)}</p>` +
      statusLinkHtml(m.statusLink, input.statusUrl) +
      `<p>${escapeHtml(m.signature(input.productName))}</p>`,
  )
  const text = [
    m.greeting(input.name),
    '',
    m.rejectionIntro(params),
    m.rejectionNext,
    '',
    m.statusLink,
    input.statusUrl,
    '',
    m.signature(input.productName),
  ].join('\n')
  return { subject: m.rejectionSubject(params), html, text }
}
