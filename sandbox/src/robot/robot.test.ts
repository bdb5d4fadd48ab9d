// The sandbox group robot: token, 加签 signature, timestamp window, 20 a minute, and the page.
import { afterEach, describe, expect, it } from 'vitest'
import { startSandbox, type TestSandbox } from '../test-support.ts'
import { robotSignature, SANDBOX_ROBOT_SECRET, SANDBOX_ROBOT_TOKEN } from './robot.ts'

let sandbox: TestSandbox | undefined
afterEach(async () => {
  await new Promise((done) => sandbox?.server.close(done) ?? done(undefined))
  sandbox = undefined
})

const markdown = (title: string, text: string) => ({ msgtype: 'markdown', markdown: { title, text } })

async function post(base: string, query: Record<string, string>, body: unknown) {
  const url = new URL('/robot/send', base)
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as { errcode: number; errmsg: string } }
}

const signed = (timestamp = Date.now()) => ({
  access_token: SANDBOX_ROBOT_TOKEN,
  timestamp: String(timestamp),
  sign: robotSignature(SANDBOX_ROBOT_SECRET, String(timestamp)),
})

describe('sandbox DingTalk group robot', () => {
  it('computes the signature as DingTalk documents it (a vector computed with Python hmac/base64)', () => {
    expect(robotSignature('SECtest', '1700000000000')).toBe('aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=')
  })

  it('accepts a signed markdown message and shows it, escaped, at /robot', async () => {
    sandbox = await startSandbox()
    const sent = await post(sandbox.url, signed(), markdown('告警 X', 'line <script>alert(1)</script>'))
    expect(sent).toEqual({ status: 200, body: { errcode: 0, errmsg: 'ok' } })
    const page = await (await fetch(`${sandbox.url}/robot`)).text()
    expect(page).toContain('告警 X')
    expect(page).toContain('&lt;script&gt;')
    expect(page).not.toContain('<script>alert(1)')
    const list = (await (await fetch(`${sandbox.url}/_sandbox/robot/messages`)).json()) as { data: { title: string }[] }
    expect(list.data.map((m) => m.title)).toEqual(['告警 X'])
  })

  it('refuses a wrong token (300001), a wrong or missing signature and an hour-old timestamp (310000), recording nothing', async () => {
    sandbox = await startSandbox()
    expect((await post(sandbox.url, { ...signed(), access_token: 'other' }, markdown('t', 'x'))).body.errcode).toBe(300001)
    expect((await post(sandbox.url, { ...signed(), sign: robotSignature('SECother', signed().timestamp) }, markdown('t', 'x'))).body.errcode).toBe(310000)
    expect((await post(sandbox.url, { access_token: SANDBOX_ROBOT_TOKEN }, markdown('t', 'x'))).body.errcode).toBe(310000)
    expect((await post(sandbox.url, signed(Date.now() - 3_601_000), markdown('t', 'x'))).body.errcode).toBe(310000)
    expect((await post(sandbox.url, signed(), { msgtype: 'markdown', markdown: { text: 'no title' } })).body.errcode).not.toBe(0)
    expect(sandbox.robot.messages).toHaveLength(0)
  })

  it('takes 20 messages a minute and answers the 21st with 410100', async () => {
    sandbox = await startSandbox()
    for (let i = 0; i < 20; i++) expect((await post(sandbox.url, signed(), markdown(`m${i}`, 'x'))).body.errcode).toBe(0)
    expect((await post(sandbox.url, signed(), markdown('m20', 'x'))).body).toEqual({ errcode: 410100, errmsg: 'send too fast, exceed 20 times per minute' })
    expect(sandbox.robot.messages).toHaveLength(20)
  })
})
