// A fake egress proxy + DingTalk and a fake Resend, answering inside the test isolate. The worker
// calls `fetch` at the edge, so replacing the global fetch routes its calls here by URL. The proxy
// side checks the worker's proofs like the real proxy; DingTalk and Resend answer in their shapes.
import { env } from 'cloudflare:workers'
import { vi } from 'vitest'
import { importPublicKeys, MemoryReplayStore, PROOF_HEADER, PROXY_AUDIENCE, ProofError, verifyProof } from '../../proof/src/index.ts'

export type FakeInstance = { id: string; body: CreateBody; status: string; result: string }
export type CreateBody = {
  processCode: string
  originatorUserId: string
  deptId: number
  formComponentValues: { name: string; value: unknown }[]
}
export type MailErrorAnswer = { statusCode: number; name: string; message?: string }
export type SentEmail = {
  idempotencyKey: string | null
  payload: {
    from: string
    to: string | string[]
    subject: string
    html: string
    text: string
    attachments?: { filename: string; content: string }[]
  }
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

export class FakeUpstream {
  /** The proxy cannot reach DingTalk (502 UPSTREAM_UNREACHABLE) or is itself down (network error). */
  dingtalk: 'up' | 'unreachable' | 'proxy-down' = 'up'
  /** A DingTalk business error to answer to the next creates, e.g. processCodeError. */
  createError: { status: number; code: string; message: string } | null = null
  readonly instances = new Map<string, FakeInstance>()
  readonly relayCalls: { method: string; target: string; requestId: string | null; proofError: string | null }[] = []
  /** How many of the next sends Resend fails with a 500. */
  mailFailures = 0
  /** The next sends fail with these, in order: an error in Resend's shape, or a network failure. */
  readonly mailErrors: (MailErrorAnswer | 'network')[] = []
  readonly emails: SentEmail[] = []
  readonly mailAttempts: { idempotencyKey: string | null; status: number }[] = []
  #idempotency = new Map<string, { payload: string; id: string }>()
  #replay = new MemoryReplayStore()
  #nextId = 1

  install(): void {
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => this.handle(new Request(input, init)))
  }

  finish(instanceId: string, status: 'COMPLETED' | 'TERMINATED', result: '' | 'agree' | 'refuse'): void {
    const instance = this.instances.get(instanceId)
    if (!instance) throw new Error(`no instance ${instanceId}`)
    instance.status = status
    instance.result = result
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.origin === new URL(env.EGRESS_URL).origin) return this.#relay(request, url)
    if (url.origin === new URL(env.RESEND_BASE_URL).origin) return this.#resend(request, url)
    throw new TypeError(`fetch failed: unexpected request to ${url.origin}`)
  }

  async #relay(request: Request, url: URL): Promise<Response> {
    if (this.dingtalk === 'proxy-down') throw new TypeError('fetch failed: connection refused')
    const body = new Uint8Array(await request.arrayBuffer())
    const target = `${url.pathname}${url.search}`
    const call = { method: request.method, target, requestId: request.headers.get('x-request-id'), proofError: null as string | null }
    this.relayCalls.push(call)
    try {
      await verifyProof(request.headers.get(PROOF_HEADER), {
        keys: await importPublicKeys(env.TEST_WORKER_PUBLIC_JWK),
        aud: PROXY_AUDIENCE,
        method: request.method,
        target,
        body,
        replay: this.#replay,
      })
    } catch (err) {
      call.proofError = err instanceof ProofError ? err.code : String(err)
      return json(401, { error: { code: call.proofError, message: 'proof rejected' } })
    }
    if (this.dingtalk === 'unreachable') return json(502, { error: { code: 'UPSTREAM_UNREACHABLE', message: 'DingTalk cannot be reached' } })
    if (url.pathname !== '/relay/api/v1.0/workflow/processInstances') return json(403, { error: { code: 'NOT_ALLOWED' } })
    if (request.method === 'POST') {
      if (this.createError) {
        const { status, code, message } = this.createError
        return json(status, { code, message, requestid: 'fake' })
      }
      const id = `inst-${crypto.randomUUID()}`
      this.instances.set(id, { id, body: JSON.parse(new TextDecoder().decode(body)), status: 'RUNNING', result: '' })
      return json(200, { instanceId: id })
    }
    const instance = this.instances.get(url.searchParams.get('processInstanceId') ?? '')
    if (!instance) return json(400, { code: 'processInstanceNotExist', message: 'no such instance' })
    return json(200, { result: { status: instance.status, result: instance.result, title: 'licensedesk' }, success: 'true' })
  }

  async #resend(request: Request, url: URL): Promise<Response> {
    const key = request.headers.get('idempotency-key')
    if (request.method !== 'POST' || url.pathname !== '/emails') return json(404, { statusCode: 404, name: 'not_found', message: 'not found' })
    if (request.headers.get('authorization') !== `Bearer ${env.RESEND_API_KEY}`) {
      return json(401, { statusCode: 401, name: 'invalid_api_key', message: 'API key is invalid' })
    }
    const text = await request.text()
    const scripted = this.mailErrors.shift()
    if (scripted === 'network') {
      this.mailAttempts.push({ idempotencyKey: key, status: 0 })
      throw new TypeError('fetch failed: connection reset')
    }
    if (scripted) {
      this.mailAttempts.push({ idempotencyKey: key, status: scripted.statusCode })
      return json(scripted.statusCode, { message: `scripted ${scripted.name}`, ...scripted })
    }
    if (this.mailFailures > 0) {
      this.mailFailures--
      this.mailAttempts.push({ idempotencyKey: key, status: 500 })
      return json(500, { statusCode: 500, name: 'internal_server_error', message: 'try again' })
    }
    const previous = key ? this.#idempotency.get(key) : undefined
    if (previous) {
      const status = previous.payload === text ? 200 : 409
      this.mailAttempts.push({ idempotencyKey: key, status })
      if (status === 409) return json(409, { statusCode: 409, name: 'invalid_idempotent_request', message: 'payload differs' })
      return json(200, { id: previous.id })
    }
    const id = `email-${this.#nextId++}`
    if (key) this.#idempotency.set(key, { payload: text, id })
    this.emails.push({ idempotencyKey: key, payload: JSON.parse(text) })
    this.mailAttempts.push({ idempotencyKey: key, status: 200 })
    return json(200, { id })
  }
}
