import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeUpstream, type SentEmail } from '../../test/fake-upstream.ts'
import { BASE, call, eventRequest, finishEvent, readJson, row, submit, validApplication } from '../../test/helpers.ts'

let fake: FakeUpstream
beforeEach(() => {
  fake = new FakeUpstream()
  fake.install()
})
afterEach(() => {
  vi.restoreAllMocks()
})

async function decided(result: 'agree' | 'refuse', overrides: Record<string, unknown> = {}) {
  const body = validApplication(overrides)
  const created = await readJson(await submit(body))
  const app = await row<{ dingtalk_instance_id: string }>('SELECT dingtalk_instance_id FROM applications WHERE id = ?1', created.id)
  expect(await readJson(await call(await eventRequest(finishEvent(app!.dingtalk_instance_id, result))))).toEqual({ recorded: true })
  const mails = fake.emails.filter((e) => e.payload.to === body.email)
  expect(mails).toHaveLength(1)
  return { id: created.id as string, statusUrl: created.statusUrl as string, mail: mails[0] }
}

/** The one status link in the mail's text body, checked to be the same in its HTML body. */
function linkIn(mail: SentEmail): URL {
  const found = mail.payload.text.match(/https?:\/\/\S+\/status\/\S+/g) ?? []
  expect(found).toHaveLength(1)
  const [link] = found as [string]
  const html = mail.payload.html.match(/href="([^"]*\/status\/[^"]*)"/)
  expect(html?.[1].replaceAll('&amp;', '&')).toBe(link)
  return new URL(link)
}

/** Opens the link as the status page does: GET /api/applications/<id from the path>?t=<t>. */
function open(link: URL, change: (id: string, token: string) => [string, string] = (id, token) => [id, token]) {
  const [id, token] = change(link.pathname.split('/').pop() ?? '', link.searchParams.get('t') ?? '')
  return call(new Request(`${BASE}/api/applications/${encodeURIComponent(id)}?t=${encodeURIComponent(token)}`))
}

describe('the status link in the emails', () => {
  it('is in the license email, is the link given at submission, and opens the delivered status', async () => {
    const { id, statusUrl, mail } = await decided('agree')
    const link = linkIn(mail)
    expect(link.toString()).toBe(statusUrl)
    expect(`${link.origin}${link.pathname}`).toBe(`${env.PUBLIC_ORIGIN}/status/${id}`)
    const response = await open(link)
    expect(response.status).toBe(200)
    expect(await readJson(response)).toMatchObject({ id, status: 'delivered', license: { id: expect.stringMatching(/^LIC-/) } })
  })

  it('is in the Chinese rejection email and opens the rejected status', async () => {
    const { id, mail } = await decided('refuse', { locale: 'zh-CN' })
    expect(mail.payload.text).toContain('专属链接')
    const response = await open(linkIn(mail))
    expect(response.status).toBe(200)
    expect(await readJson(response)).toMatchObject({ id, status: 'rejected', license: null })
  })

  it('does not open another application, and a tampered token answers 404 NOT_FOUND', async () => {
    const first = await decided('agree')
    const second = await decided('refuse')
    const firstLink = linkIn(first.mail)
    const secondToken = linkIn(second.mail).searchParams.get('t') ?? ''
    const flip = (token: string) => `${token.slice(0, 10)}${token[10] === 'x' ? 'y' : 'x'}${token.slice(11)}`
    for (const response of [
      await open(firstLink, (id) => [id, secondToken]),
      await open(firstLink, (_, token) => [second.id, token]),
      await open(firstLink, (id, token) => [id, flip(token)]),
      await open(firstLink, (id) => [id, '']),
    ]) {
      expect(response.status).toBe(404)
      expect((await readJson(response)).error.code).toBe('NOT_FOUND')
    }
  })
})
