import { describe, expect, it } from 'vitest'
import { formatUtc, renderLicenseMail, renderRejectionMail, type LicenseMailInput } from './templates.ts'

const hostile = `<script>alert(1)</script>"&'`

const input: LicenseMailInput = {
  locale: 'en',
  name: hostile,
  productName: 'HyperMotion',
  applicationId: 'LD-0123456789AB',
  licenseId: 'LIC-0123456789AB',
  featureCode: 'ABCDEF0123456789',
  quantity: 7,
  notBefore: 1_800_000_000,
  expiresAt: 1_800_000_000 + 30 * 86_400,
  fileName: 'hypermotion-LIC-0123456789AB.lic',
  jwksUrl: 'http://localhost:8787/.well-known/jwks.json',
  statusUrl: 'http://localhost:8787/status/LD-0123456789AB?t=abc_DEF-123',
}

describe('renderLicenseMail', () => {
  it('states the license terms in subject, HTML and text', () => {
    const mail = renderLicenseMail(input)
    expect(mail.subject).toBe('Your HyperMotion license LIC-0123456789AB')
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain('LIC-0123456789AB')
      expect(part).toContain('ABCDEF0123456789')
      expect(part).toContain(formatUtc(input.notBefore))
      expect(part).toContain(formatUtc(input.expiresAt))
      expect(part).toContain('hypermotion-LIC-0123456789AB.lic')
    }
    expect(mail.text).toContain('Quantity: 7')
  })

  it('names the license a reissue replaces, in both locales, and says nothing of it otherwise', () => {
    for (const [locale, words] of [['en', 'replaces license LIC-OLD000000000'], ['zh-CN', '取代许可证 LIC-OLD000000000']] as const) {
      const mail = renderLicenseMail({ ...input, locale, replaces: 'LIC-OLD000000000' })
      expect(mail.text).toContain(words)
      expect(mail.html).toContain(words)
    }
    const plain = renderLicenseMail(input)
    expect(plain.text).not.toMatch(/replaces|取代/)
  })

  it('escapes a hostile name in the HTML and keeps it verbatim in the text', () => {
    const mail = renderLicenseMail(input)
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;')
    expect(mail.text).toContain(hostile)
  })

  it('carries the status link in the text and as an escaped link in the HTML', () => {
    const statusUrl = 'http://localhost:8787/status/LD-0123456789AB?t=a"b<c>&d'
    const mail = renderLicenseMail({ ...input, statusUrl })
    expect(mail.text).toContain(`\n${statusUrl}\n`)
    expect(mail.html).toContain('href="http://localhost:8787/status/LD-0123456789AB?t=a&quot;b&lt;c&gt;&amp;d"')
    expect(mail.html).not.toContain(statusUrl)
  })

  it('speaks Chinese to a zh-CN applicant', () => {
    const mail = renderLicenseMail({ ...input, locale: 'zh-CN', name: '李雷' })
    expect(mail.subject).toBe('您的 HyperMotion 许可证 LIC-0123456789AB')
    expect(mail.html).toContain('李雷，您好')
    expect(mail.text).toContain('特征码: ABCDEF0123456789')
    expect(mail.html).toContain('lang="zh-CN"')
    expect(mail.text).toContain(`专属链接`)
    expect(mail.text).toContain(input.statusUrl)
  })
})

describe('renderRejectionMail', () => {
  const rejection = { name: hostile, productName: 'HyperMotion', applicationId: 'LD-0123456789AB', statusUrl: input.statusUrl }

  it('names the application and escapes the name', () => {
    const mail = renderRejectionMail({ locale: 'en', ...rejection })
    expect(mail.subject).toContain('LD-0123456789AB')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;')
  })

  it('carries the status link in both locales, text and HTML', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const mail = renderRejectionMail({ locale, ...rejection })
      expect(mail.text, locale).toContain(input.statusUrl)
      expect(mail.html, locale).toContain(`<a href="${input.statusUrl}"`)
    }
  })
})

describe('formatUtc', () => {
  it('prints minutes in UTC', () => {
    expect(formatUtc(0)).toBe('1970-01-01 00:00 UTC')
  })
})
