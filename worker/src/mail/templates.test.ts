import { describe, expect, it } from 'vitest'
import type { Vendor } from '../config.ts'
import { formatMailTime, renderLicenseMail, renderRejectionMail, type LicenseMailInput, type RejectionMailInput } from './templates.ts'

const hostile = `<script>alert(1)</script>"&'`

const vendor: Vendor = {
  name: 'HyperMotion',
  supportEmail: 'support@hypermotion.cn',
  supportPhone: '+86 21 5555 0100',
  privacyUrl: 'https://www.hypermotion.cn/privacy',
  logoUrl: null,
  footer: '沪ICP备00000000号',
}

// 2027-01-15 04:11 UTC, 12:11 in Shanghai.
const NBF = Date.UTC(2027, 0, 15, 4, 11) / 1000

const input: LicenseMailInput = {
  locale: 'en',
  timeZone: 'Asia/Shanghai',
  vendor,
  name: hostile,
  productName: 'HyperMotion',
  applicationId: 'LD-0123456789AB',
  licenseId: 'LIC-0123456789AB',
  featureCode: 'ABCDEF0123456789',
  quantity: 7,
  notBefore: NBF,
  expiresAt: NBF + 30 * 86_400,
  fileName: 'hypermotion-LIC-0123456789AB.lic',
  statusUrl: 'http://localhost:8787/status/LD-0123456789AB?t=abc_DEF-123',
}

describe('renderLicenseMail', () => {
  it('states the license terms in subject, HTML and text, in the page’s words', () => {
    const mail = renderLicenseMail(input)
    expect(mail.subject).toBe('Your HyperMotion license LIC-0123456789AB')
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain('LIC-0123456789AB')
      expect(part).toContain('ABCDEF0123456789')
      expect(part).toContain('Application number')
      expect(part).not.toContain('Application ID')
      expect(part).toContain('hypermotion-LIC-0123456789AB.lic')
    }
    expect(mail.text).toContain('Quantity: 7')
    expect(mail.text).toContain('Application number: LD-0123456789AB')
  })

  it('prints times in the applicant’s time zone with the zone named', () => {
    const mail = renderLicenseMail(input)
    expect(mail.text).toContain('Valid from: Jan 15, 2027, 12:11 (China Standard Time)')
    expect(mail.text).toContain('Valid until: Feb 14, 2027, 12:11 (China Standard Time)')
    expect(mail.text).not.toContain('UTC')
    const zh = renderLicenseMail({ ...input, locale: 'zh-CN', timeZone: 'Asia/Shanghai' })
    expect(zh.text).toContain('生效时间：2027年1月15日 12:11（中国标准时间）')
    const utc = renderLicenseMail({ ...input, timeZone: 'UTC' })
    expect(utc.text).toContain('Valid from: Jan 15, 2027, 04:11 (Coordinated Universal Time)')
    expect(formatMailTime(NBF, 'en', 'America/New_York')).toBe('Jan 14, 2027, 23:11 (Eastern Standard Time)')
  })

  it('opens sentences with a capital letter and says nothing technical (no JWKS line)', () => {
    const mail = renderLicenseMail(input)
    expect(mail.text).toContain('Your request has been approved.')
    expect(mail.text).not.toMatch(/\n(?!http)[a-z]/)
    for (const part of [mail.html, mail.text]) expect(part).not.toMatch(/jwks|public key|signed/i)
    const zh = renderLicenseMail({ ...input, locale: 'zh-CN' })
    expect(zh.text).not.toMatch(/公钥|jwks/i)
  })

  it('tells how to use the .lic file, step by step, in both locales', () => {
    const en = renderLicenseMail(input)
    expect(en.text).toContain('1. Save the attached file hypermotion-LIC-0123456789AB.lic')
    expect(en.text).toContain('2. Open HyperMotion and import the file')
    expect(en.text).toContain('3. Keep the file')
    expect(en.html).toContain('<ol')
    const zh = renderLicenseMail({ ...input, locale: 'zh-CN' })
    expect(zh.text).toContain('1. 将附件 hypermotion-LIC-0123456789AB.lic 保存到运行 HyperMotion 的电脑上。')
    expect(zh.text).toContain('请妥善保存该文件')
  })

  it('names the license a reissue replaces, in both locales, and says nothing of it otherwise', () => {
    for (const [locale, words] of [['en', 'replaces license LIC-OLD000000000'], ['zh-CN', '取代许可证 LIC-OLD000000000']] as const) {
      const mail = renderLicenseMail({ ...input, locale, replaces: 'LIC-OLD000000000' })
      expect(mail.text).toContain(words)
      // The license id is kept on one line (a nowrap span) in the HTML.
      expect(mail.html.replace(/<[^>]+>/g, '')).toContain(words)
      expect(mail.html).toContain('<span style="white-space:nowrap">LIC-OLD000000000</span>')
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

  it('escapes the vendor’s settings too', () => {
    const odd: Vendor = { ...vendor, name: 'A&B <Co>', footer: '<b>ICP</b>', logoUrl: 'https://cdn.example/logo.png?a=1&b="2"' }
    const mail = renderLicenseMail({ ...input, vendor: odd })
    expect(mail.html).toContain('A&amp;B &lt;Co&gt;')
    expect(mail.html).toContain('&lt;b&gt;ICP&lt;/b&gt;')
    expect(mail.html).toContain('src="https://cdn.example/logo.png?a=1&amp;b=&quot;2&quot;"')
    expect(mail.html).not.toContain('<b>ICP')
  })

  it('carries the status link in the text and as an escaped link in the HTML', () => {
    const statusUrl = 'http://localhost:8787/status/LD-0123456789AB?t=a"b<c>&d'
    const mail = renderLicenseMail({ ...input, statusUrl })
    expect(mail.text).toContain(`\n${statusUrl}\n`)
    expect(mail.html).toContain('href="http://localhost:8787/status/LD-0123456789AB?t=a&quot;b&lt;c&gt;&amp;d"')
    expect(mail.html).not.toContain(statusUrl)
  })

  it('is laid out for a phone: viewport, one fluid column, labels that do not break', () => {
    const mail = renderLicenseMail(input)
    expect(mail.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">')
    expect(mail.html).toContain('max-width:560px')
    expect(mail.html).not.toMatch(/width="(3[2-9]\d|[4-9]\d\d|\d{4,})"|[^-]width:\s*(3[2-9]\d|[4-9]\d\d)px/)
    expect(mail.html).toContain('white-space:nowrap">License ID</div>')
  })

  it('ends every mail with the vendor’s footer: name, support, privacy notice, footer line', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const mail = renderLicenseMail({ ...input, locale })
      for (const part of [mail.html, mail.text]) {
        expect(part, locale).toContain('support@hypermotion.cn')
        expect(part, locale).toContain('+86 21 5555 0100')
        expect(part, locale).toContain('https://www.hypermotion.cn/privacy')
        expect(part, locale).toContain('沪ICP备00000000号')
      }
      expect(mail.html).toContain('href="mailto:support@hypermotion.cn"')
    }
    const bare = renderLicenseMail({ ...input, vendor: { ...vendor, supportPhone: null, footer: null } })
    expect(bare.text).not.toMatch(/Phone|ICP/)
  })

  it('speaks Chinese with full-width punctuation to a zh-CN applicant', () => {
    const mail = renderLicenseMail({ ...input, locale: 'zh-CN', name: '李雷' })
    expect(mail.subject).toBe('您的 HyperMotion 许可证 LIC-0123456789AB')
    expect(mail.html).toContain('李雷，您好：')
    expect(mail.text).toContain('特征码：ABCDEF0123456789')
    expect(mail.text).toContain('申请编号：LD-0123456789AB')
    expect(mail.text).toContain('客服邮箱：support@hypermotion.cn')
    expect(mail.text).not.toMatch(/[\u4e00-\u9fff]: /)
    expect(mail.html).toContain('lang="zh-CN"')
    expect(mail.text).toContain(`专属链接`)
    expect(mail.text).toContain(input.statusUrl)
  })

  it('renders the same payload for the same input', () => {
    expect(renderLicenseMail(input)).toEqual(renderLicenseMail({ ...input }))
  })
})

describe('renderRejectionMail', () => {
  const rejection: RejectionMailInput = {
    locale: 'en',
    timeZone: 'Asia/Shanghai',
    vendor,
    name: hostile,
    productName: 'HyperMotion',
    applicationId: 'LD-0123456789AB',
    statusUrl: input.statusUrl,
  }

  it('names the application and escapes the name', () => {
    const mail = renderRejectionMail(rejection)
    expect(mail.subject).toContain('LD-0123456789AB')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;')
    expect(mail.text).toContain('We are sorry: your request LD-0123456789AB')
  })

  it('says who to ask, with the vendor’s contact, in both locales', () => {
    const en = renderRejectionMail(rejection)
    expect(en.text).toContain('please contact HyperMotion at support@hypermotion.cn or +86 21 5555 0100 and quote application number LD-0123456789AB.')
    expect(en.text).not.toContain('sales representative')
    const zh = renderRejectionMail({ ...rejection, locale: 'zh-CN' })
    expect(zh.text).toContain('如有疑问，请联系 HyperMotion（邮箱 support@hypermotion.cn，电话 +86 21 5555 0100），并提供申请编号 LD-0123456789AB。')
  })

  it('shows the approver’s comment only when given, escaped in the HTML', () => {
    const comment = '数量超出合同 <b>范围</b> & "请核实"'
    for (const locale of ['en', 'zh-CN'] as const) {
      const mail = renderRejectionMail({ ...rejection, locale, comment })
      expect(mail.text).toContain(comment)
      expect(mail.html).toContain('数量超出合同 &lt;b&gt;范围&lt;/b&gt; &amp; &quot;请核实&quot;')
      expect(mail.html).not.toContain('<b>范围')
      expect(mail.text).toContain(locale === 'en' ? 'The approver’s comment:' : '审批意见：')
    }
    const none = renderRejectionMail({ ...rejection, comment: null })
    expect(none.text).not.toMatch(/comment|审批意见/)
    expect(none.html).not.toContain('<blockquote')
  })

  it('carries the status link and the vendor footer in both locales, text and HTML', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const mail = renderRejectionMail({ ...rejection, locale })
      expect(mail.text, locale).toContain(input.statusUrl)
      expect(mail.html, locale).toContain(`<a href="${input.statusUrl}"`)
      expect(mail.html, locale).toContain('<meta name="viewport"')
      expect(mail.text, locale).toContain('https://www.hypermotion.cn/privacy')
    }
  })
})
