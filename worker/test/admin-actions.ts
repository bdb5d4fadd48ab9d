// The console's actions in tests: a fake Access (for the operator's token) and the fake proxy,
// DingTalk and Resend behind one fetch spy, and a helper that posts an action as the console does.
import { vi } from 'vitest'
import { FakeAccess } from './fake-access.ts'
import { FakeUpstream } from './fake-upstream.ts'
import { rows } from './helpers.ts'

export const CONSOLE_ORIGIN = 'http://localhost:8787' // PUBLIC_ORIGIN in wrangler.toml

export type ActionStack = {
  access: FakeAccess
  upstream: FakeUpstream
  /** POST /api/admin/applications/:id/:action as the console does (an operator by default). */
  act: (id: string, action: string, body: unknown, email?: string) => Promise<Response>
  /** POST any admin path (below /api/admin) the same way. */
  post: (path: string, body: unknown, email?: string) => Promise<Response>
}

export async function startActionStack(vars: Partial<Cloudflare.Env> = {}): Promise<ActionStack> {
  const access = await FakeAccess.start(vars)
  const upstream = new FakeUpstream()
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init)
    return access.owns(request.url) ? access.handle(request) : upstream.handle(request)
  })
  const post = async (path: string, body: unknown, email?: string) =>
    access.request(`/api/admin${path}`, {
      method: 'POST',
      token: await access.sign(email === undefined ? {} : { email }),
      headers: { origin: CONSOLE_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const act = (id: string, action: string, body: unknown, email?: string) => post(`/applications/${id}/${action}`, body, email)
  return { access, upstream, act, post }
}

export type EventRow = { type: string; source: string; from_status: string | null; to_status: string | null; data: string }

/** The application's events of `type` (or of the operator, by default), oldest first, data parsed. */
export async function operatorEvents(applicationId: string, type?: string) {
  const found = await rows<EventRow>(
    `SELECT type, source, from_status, to_status, data FROM events WHERE application_id = ?1 AND (?2 IS NULL AND source = 'operator' OR type = ?2) ORDER BY created_at, rowid`,
    applicationId,
    type ?? null,
  )
  return found.map((e) => ({ ...e, data: JSON.parse(e.data) }))
}
