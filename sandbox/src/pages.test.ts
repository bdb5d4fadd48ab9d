import { Resend } from 'resend'
import { afterEach, describe, expect, it } from 'vitest'
import { escapeHtml } from './pages/layout.ts'
import { call, createInstance, startSandbox, type TestSandbox } from './test-support.ts'

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

const HOSTILE = '<script>alert("x")</script>'

async function page(path: string) {
  const response = await fetch(`${sandbox.url}${path}`)
  return { status: response.status, headers: response.headers, html: await response.text() }
}

describe('pages', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })

  it('renders the index with links to the console and the inbox', async () => {
    sandbox = await startSandbox()
    const { status, headers, html } = await page('/')
    expect(status).toBe(200)
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(html).toContain('href="/console"')
    expect(html).toContain('href="/inbox"')
    expect(html).toContain('stand-in for <strong>DingTalk</strong>')
    expect(html).not.toContain(sandbox.config.dingtalk.appSecret)
    expect(html).not.toContain(sandbox.config.dingtalk.callbackAesKey)
  })

  it('lists instances newest first with every form field, escaped, and Approve / Reject forms', async () => {
    sandbox = await startSandbox()
    const older = await createInstance(sandbox, [{ name: '申请编号', value: 'APP-OLD' }])
    const newer = await createInstance(sandbox, [
      { name: '申请编号', value: 'APP-42' },
      { name: '公司', value: HOSTILE },
      { name: HOSTILE, value: 'label too' },
    ])
    const { html } = await page('/console')
    expect(html.indexOf(`data-instance-id="${newer}"`)).toBeLessThan(html.indexOf(`data-instance-id="${older}"`))
    expect(html).not.toContain('<script>')
    expect(html).toContain(escapeHtml(HOSTILE))
    expect(html).toMatch(new RegExp(`<article id="instance-${newer}" data-instance-id="${newer}" aria-labelledby="heading-${newer}">`))
    expect(html).toContain(`<h2 id="heading-${newer}">Application APP-42`)
    expect(html).toContain(`action="/_sandbox/instances/${newer}/approve"`)
    expect(html).toContain('>Approve</button>')
    expect(html).toContain('>Reject</button>')
    expect(html).toContain('Pending approval')
  })

  it('approves through the console form and shows the new status after the redirect', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    const response = await fetch(`${sandbox.url}/_sandbox/instances/${id}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/console#instance-${id}`)
    const { html } = await page('/console')
    expect(html).toContain('Approved')
    expect(html).not.toContain('>Approve</button>')
  })

  it('rejects through the console form with the approver’s remark, kept in the operation records DingTalk shows', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    const { html: before } = await page('/console')
    expect(before).toContain(`formaction="/_sandbox/instances/${id}/reject"`)
    expect(before).toContain('name="remark"')
    const response = await fetch(`${sandbox.url}/_sandbox/instances/${id}/reject`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ remark: '数量超出 <合同>' }).toString(),
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    const { html } = await page('/console')
    expect(html).toContain('Rejected')
    expect(html).toContain('数量超出 &lt;合同&gt;')
    const detail = (await (await fetch(`${sandbox.url}/_sandbox/instances/${id}`)).json()) as { data: { operationRecords: { result: string; remark?: string }[] } }
    expect(detail.data.operationRecords.at(-1)).toMatchObject({ result: 'REFUSE', remark: '数量超出 <合同>' })
  })

  it('reports a refused console action as a notice instead of JSON', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${id}/reject`, { method: 'POST' })
    const response = await fetch(`${sandbox.url}/_sandbox/instances/${id}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    const notice = decodeURIComponent(new URL(response.headers.get('location')!, sandbox.url).searchParams.get('notice')!)
    expect(notice).toContain('not RUNNING')
    const shown = await page(`/console?notice=${encodeURIComponent(HOSTILE)}`)
    expect(shown.html).not.toContain('<script>')
  })

  it('auto-refreshes the console only when asked', async () => {
    sandbox = await startSandbox()
    expect((await page('/console')).html).not.toContain('http-equiv="refresh"')
    expect((await page('/console?refresh=5')).html).toContain('<meta http-equiv="refresh" content="5">')
  })

  it('shows emails newest first with the HTML body in a sandboxed srcdoc frame, escaped', async () => {
    sandbox = await startSandbox()
    const resend = new Resend('re_test_123', { baseUrl: sandbox.url })
    await resend.emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 'OLDER-MAIL', text: 'one' })
    await resend.emails.send({
      from: 'a@example.com',
      to: 'b@example.com',
      subject: HOSTILE,
      html: `<p onclick="x()">Body</p>${HOSTILE}`,
      text: `text ${HOSTILE}`,
      attachments: [{ filename: `${HOSTILE}.lic`, content: Buffer.from('license') }],
    })
    const { html } = await page('/inbox')
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<p onclick')
    expect(html.indexOf(escapeHtml(HOSTILE))).toBeLessThan(html.indexOf('OLDER-MAIL'))
    expect(html).toContain(`<iframe sandbox title="HTML body: ${escapeHtml(HOSTILE)}" srcdoc="${escapeHtml(`<p onclick="x()">Body</p>${HOSTILE}`)}"></iframe>`)
    expect(html).toContain(`<pre>text ${escapeHtml(HOSTILE)}</pre>`)
    expect(html).toMatch(/href="\/_sandbox\/emails\/[0-9a-f-]{36}\/attachments\/0"/)
  })
})
