// The configuration refuses what would fail later: a sender Resend would refuse, an alert address
// that is not one, a robot secret without its URL. Each error names the variable, not its value.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.ts'
import { ConfigError } from './errors.ts'

const withVars = (vars: Record<string, string | undefined>) => parseConfig({ ...env, ...vars } as typeof env)

async function refusal(vars: Record<string, string | undefined>): Promise<ConfigError> {
  const error = await withVars(vars).then(
    () => null,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('config', () => {
  it('reads RENEWAL_REMINDER_DAYS, 30,7 by default, and refuses a bad list with CONFIG_INVALID naming it', async () => {
    expect((await withVars({ RENEWAL_REMINDER_DAYS: undefined })).renewalReminderDays).toEqual([30, 7])
    expect((await withVars({ RENEWAL_REMINDER_DAYS: ' 7, 60,7 ' })).renewalReminderDays).toEqual([60, 7])
    for (const value of ['0', '30,x', '400', '30,,7', '-7']) {
      const error = await refusal({ RENEWAL_REMINDER_DAYS: value })
      expect(error.code).toBe('CONFIG_INVALID')
      expect(error.message).toContain('RENEWAL_REMINDER_DAYS')
    }
  })

  it('accepts MAIL_FROM as an address or "Name <address>"', async () => {
    expect((await withVars({ MAIL_FROM: 'licenses@mail.hypermotion.cn' })).mailFrom).toBe('licenses@mail.hypermotion.cn')
    expect((await withVars({ MAIL_FROM: 'HyperMotion 许可证 <licenses@mail.hypermotion.cn>' })).mailFrom).toBe('HyperMotion 许可证 <licenses@mail.hypermotion.cn>')
  })

  it.each(['not-an-address', 'Licenses <not-an-address>', 'a@b', '<a@b.cn', 'Two <a@b.cn>, c@d.cn', 'Quote" <a@b.cn>'])('refuses MAIL_FROM=%j, naming it', async (value) => {
    const error = await refusal({ MAIL_FROM: value })
    expect(error.message).toContain('MAIL_FROM')
    expect(error.message).not.toContain(value)
  })

  it('reads ALERT_EMAIL as a list and refuses one that is not an address', async () => {
    expect((await withVars({ ALERT_EMAIL: 'ops@hypermotion.cn, oncall@hypermotion.cn' })).alerts.email).toEqual(['ops@hypermotion.cn', 'oncall@hypermotion.cn'])
    expect((await withVars({ ALERT_EMAIL: '' })).alerts.email).toEqual([])
    expect((await refusal({ ALERT_EMAIL: 'ops@hypermotion.cn, nobody' })).message).toContain('ALERT_EMAIL')
  })

  it('takes the robot URL with or without a secret, and refuses a secret without a URL', async () => {
    const robot = (await withVars({ ALERT_DINGTALK_ROBOT_URL: 'https://oapi.dingtalk.com/robot/send?access_token=t', ALERT_DINGTALK_ROBOT_SECRET: 'SECx' })).alerts.dingtalkRobot
    expect(robot).toEqual({ url: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret: 'SECx' })
    expect((await withVars({ ALERT_DINGTALK_ROBOT_URL: undefined, ALERT_DINGTALK_ROBOT_SECRET: undefined })).alerts.dingtalkRobot).toBeNull()
    expect((await refusal({ ALERT_DINGTALK_ROBOT_URL: undefined, ALERT_DINGTALK_ROBOT_SECRET: 'SECx' })).message).toContain('ALERT_DINGTALK_ROBOT_URL')
    expect((await refusal({ ALERT_DINGTALK_ROBOT_URL: 'not a url' })).message).toContain('ALERT_DINGTALK_ROBOT_URL')
  })

  it('reads the console settings: certs URL and console origin default from the team domain and PUBLIC_ORIGIN', async () => {
    const { access } = await withVars({ ACCESS_TEAM_DOMAIN: 'https://hypermotion.cloudflareaccess.com/', ACCESS_CERTS_URL: undefined, ADMIN_ORIGIN: undefined, ADMIN_OPERATORS: 'Ops@HyperMotion.cn, *@sre.hypermotion.cn', ADMIN_VIEWERS: '' })
    expect(access.teamDomain).toBe('https://hypermotion.cloudflareaccess.com')
    expect(access.certsUrl).toBe('https://hypermotion.cloudflareaccess.com/cdn-cgi/access/certs')
    expect(access.consoleOrigin).toBe(env.PUBLIC_ORIGIN)
    expect(access.operators).toEqual([{ kind: 'email', email: 'ops@hypermotion.cn' }, { kind: 'domain', domain: 'sre.hypermotion.cn' }])
    expect(access.viewers).toEqual([])
  })

  it('reads the group lists as written and defaults the identity URL from the team domain', async () => {
    const { access } = await withVars({ ACCESS_TEAM_DOMAIN: 'https://hypermotion.cloudflareaccess.com', ACCESS_IDENTITY_URL: undefined, ADMIN_OPERATOR_GROUPS: ' License Desk Ops , 6f1c2a7e-0b1d-4c3e-9a8b-1d2e3f4a5b6c', ADMIN_VIEWER_GROUPS: undefined })
    expect(access.identityUrl).toBe('https://hypermotion.cloudflareaccess.com/cdn-cgi/access/get-identity')
    expect(access.operatorGroups).toEqual(['License Desk Ops', '6f1c2a7e-0b1d-4c3e-9a8b-1d2e3f4a5b6c'])
    expect(access.viewerGroups).toEqual([])
    expect((await withVars({ ACCESS_IDENTITY_URL: 'https://id.example.test/who' })).access.identityUrl).toBe('https://id.example.test/who')
  })

  it.each([
    ['ACCESS_TEAM_DOMAIN', undefined],
    ['ACCESS_TEAM_DOMAIN', 'https://hypermotion.cloudflareaccess.com/cdn-cgi'],
    ['ACCESS_AUD', ''],
    ['ACCESS_AUD', 'tag-one, tag-two'],
    ['ACCESS_CERTS_URL', 'not a url'],
    ['ADMIN_ORIGIN', 'https://licenses.hypermotion.cn/admin'],
    ['ADMIN_OPERATORS', 'ops@hypermotion.cn, ops'],
    ['ADMIN_VIEWERS', '*@*'],
    ['ADMIN_VIEWERS', 'Ops <ops@hypermotion.cn>'],
    ['ACCESS_IDENTITY_URL', 'not a url'],
    ['ADMIN_OPERATOR_GROUPS', 'ops, license-*'],
    ['ADMIN_OPERATOR_GROUPS', 'x'.repeat(257)],
    ['ADMIN_VIEWER_GROUPS', '"viewers"'],
    ['ADMIN_VIEWER_GROUPS', 'view\u0000ers'],
  ])('refuses %s=%j, naming it', async (name, value) => {
    const error = await refusal({ [name]: value })
    expect(error.variable).toBe(name)
  })
})

describe('config: the vendor', () => {
  it('reads the vendor’s identity, optional parts as null, and SHOW_APPROVER_COMMENT off by default', async () => {
    const config = await withVars({ SUPPORT_PHONE: '', VENDOR_LOGO_URL: '', VENDOR_FOOTER: '', MAIL_REPLY_TO: '', SHOW_APPROVER_COMMENT: undefined })
    expect(config.vendor).toEqual({ name: env.VENDOR_NAME, supportEmail: env.SUPPORT_EMAIL, supportPhone: null, privacyUrl: env.PRIVACY_URL, logoUrl: null, footer: null })
    expect(config.mailReplyTo).toBeNull()
    expect(config.showApproverComment).toBe(false)
    const full = await withVars({ VENDOR_LOGO_URL: 'https://cdn.hypermotion.cn/logo.png', SHOW_APPROVER_COMMENT: 'true', MAIL_REPLY_TO: 'help@hypermotion.cn' })
    expect(full.vendor.logoUrl).toBe('https://cdn.hypermotion.cn/logo.png')
    expect(full.vendor.footer).toBe(env.VENDOR_FOOTER)
    expect(full.showApproverComment).toBe(true)
    expect(full.mailReplyTo).toBe('help@hypermotion.cn')
  })

  it.each([
    ['VENDOR_NAME', ''],
    ['VENDOR_NAME', 'Two\nlines'],
    ['SUPPORT_EMAIL', ''],
    ['SUPPORT_EMAIL', 'not-an-address'],
    ['SUPPORT_PHONE', 'call us'],
    ['MAIL_REPLY_TO', 'Support <help@hypermotion.cn>'],
    ['PRIVACY_URL', ''],
    ['PRIVACY_URL', 'javascript:alert(1)'],
    ['VENDOR_LOGO_URL', 'http://cdn.hypermotion.cn/logo.png'],
    ['VENDOR_LOGO_URL', 'logo.png'],
    ['VENDOR_FOOTER', 'x'.repeat(201)],
    ['SHOW_APPROVER_COMMENT', 'yes'],
  ])('refuses %s=%j with CONFIG_INVALID, naming it', async (name, value) => {
    const error = await refusal({ [name]: value })
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.variable).toBe(name)
  })
})
