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

  it('escapes a hostile name in the HTML and keeps it verbatim in the text', () => {
    const mail = renderLicenseMail(input)
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;')
    expect(mail.text).toContain(hostile)
  })

  it('speaks Chinese to a zh-CN applicant', () => {
    const mail = renderLicenseMail({ ...input, locale: 'zh-CN', name: '李雷' })
    expect(mail.subject).toBe('您的 HyperMotion 许可证 LIC-0123456789AB')
    expect(mail.html).toContain('李雷，您好')
    expect(mail.text).toContain('特征码: ABCDEF0123456789')
    expect(mail.html).toContain('lang="zh-CN"')
  })
})

describe('renderRejectionMail', () => {
  it('names the application and escapes the name', () => {
    const mail = renderRejectionMail({ locale: 'en', name: hostile, productName: 'HyperMotion', applicationId: 'LD-0123456789AB' })
    expect(mail.subject).toContain('LD-0123456789AB')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;')
  })
})

describe('formatUtc', () => {
  it('prints minutes in UTC', () => {
    expect(formatUtc(0)).toBe('1970-01-01 00:00 UTC')
  })
})
