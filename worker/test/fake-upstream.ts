// A fake egress proxy + DingTalk and a fake Resend, answering inside the test isolate. The worker
// calls `fetch` at the edge, so replacing the global fetch routes its calls here by URL. The proxy
// side checks the worker's proofs like the real proxy; DingTalk and Resend answer in their shapes.
import { env } from 'cloudflare:workers'
import { vi } from 'vitest'
import { importPublicKeys, MemoryReplayStore, PROOF_HEADER, PROXY_AUDIENCE, ProofError, verifyProof } from '../../proof/src/index.ts'

export type FakeInstance = { id: string; body: CreateBody; status: string; result: string; createdAt: number; remark?: string }
/**
 * How one proxy behaves: `up`; `down` (the connection fails: workerd throws 'Network connection
 * lost.'); `draining` (503 PROXY_DRAINING); `predates` (401 PROOF_PREDATES_PROXY); `unreachable`
 * (502 UPSTREAM_UNREACHABLE); `hang` (never answers: the worker's timeout ends it).
 */
export type ProxyMode = 'up' | 'down' | 'draining' | 'predates' | 'unreachable' | 'hang'
/** What happens to a create that reaches DingTalk: answered, or created but the answer is lost. */
export type CreateOutcome = 'ok' | 'timeout-after-create' | 'reset-after-create' | 'hang-after-create'
export type CreateBody = {
  processCode: string
  originatorUserId: string
  deptId: number
  formComponentValues: { name: string; value: unknown }[]
}
export type MailErrorAnswer = { statusCode: number; name: string; message?: string; /** seconds, sent as `retry-after` */ retryAfter?: number }
export type SentEmail = {
  idempotencyKey: string | null
  payload: {
    from: string
    to: string | string[]
    subject: string
    html: string
    text: string
    reply_to?: string | string[]
    attachments?: { filename: string; content: string }[]
  }
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** Never answers; rejects like fetch when the caller's signal aborts (the worker's timeout). */
function hang(signal: AbortSignal): Promise<Response> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason))
  })
}

export class FakeUpstream {
  /** The proxy cannot reach DingTalk (502 UPSTREAM_UNREACHABLE) or is itself down (network error). */
  dingtalk: 'up' | 'unreachable' | 'proxy-down' = 'up'
  /** A DingTalk business error to answer to the next creates, e.g. processCodeError. */
  createError: { status: number; code: string; message: string } | null = null
  readonly instances = new Map<string, FakeInstance>()
  readonly relayCalls: { proxy: string; method: string; target: string; requestId: string | null; proofError: string | null }[] = []
  /** Per proxy origin (e.g. http://proxy-a.test); a proxy not listed follows `dingtalk`. */
  readonly proxies = new Map<string, ProxyMode>()
  /** Applied to the next creates, in order; `ok` once the list is empty. */
  readonly createOutcomes: CreateOutcome[] = []
  /** Pages of DingTalk's failed-push list (dingtalk.md §5.3), served in order; empty: nothing failed. */
  readonly failedPushPages: Record<string, unknown>[][] = []
  /** The process code DingTalk's instance list answers for (others' instances are listed too). */
  readonly foreignInstances: FakeInstance[] = []
  readonly listQueries: unknown[] = []
  readonly readyzCalls: string[] = []
  /** Signed GET /readyz (the cron run's key check, dingtalk/readiness.ts), kept apart from the unsigned ones. */
  readonly signedReadyzCalls: string[] = []
  /** What this proxy's worker round trip reports to a signed /readyz (e.g. 'WORKER_KEY_MISMATCH'). */
  readyzWorkerCheck = 'ok'
  /** Terminate bodies DingTalk received, in order (dingtalk.md §3.3). */
  readonly terminates: Record<string, unknown>[] = []
  /** The next terminates answer these DingTalk errors, in order, ending nothing; then the instance's state decides. */
  readonly terminateErrors: { status: number; code: string; message: string }[] = []
  /** A terminate DingTalk applies but whose answer is lost (504 UPSTREAM_TIMEOUT), for the next N. */
  terminateAnswersLost = 0
  /** Runs after DingTalk ended the instance and before its answer goes back (e.g. its event arriving first). */
  beforeTerminateAnswer: (() => Promise<void>) | null = null
  /** DingTalk takes this long to answer a create (it has created the instance by then). */
  createDelayMs = 0
  /** How many of the next sends Resend fails with a 500. */
  mailFailures = 0
  /** The next sends fail with these, in order: an error in Resend's shape, or a network failure. */
  readonly mailErrors: (MailErrorAnswer | 'network')[] = []
  readonly emails: SentEmail[] = []
  /**
   * Acknowledgement mails (tagged kind=acknowledgement), kept apart from `emails` and answered 200
   * without taking a scripted failure, so the tests of license and rejection mails see only those.
   * Set `acknowledgementsLikeOthers` to send them through the same path as every other mail.
   */
  readonly acknowledgements: SentEmail[] = []
  acknowledgementsLikeOthers = false
  readonly mailAttempts: { idempotencyKey: string | null; status: number }[] = []
  #idempotency = new Map<string, { payload: string; id: string }>()
  #replay = new MemoryReplayStore()
  #nextId = 1

  install(): void {
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => this.handle(new Request(input, init)))
  }

  /** An instance DingTalk holds for a seeded application (created by our originator, RUNNING unless said). */
  seedInstance(id: string, status = 'RUNNING', result = ''): FakeInstance {
    const instance = { id, body: { processCode: env.DINGTALK_PROCESS_CODE, originatorUserId: env.DINGTALK_ORIGINATOR_USER_ID, deptId: -1, formComponentValues: [] }, status, result, createdAt: Date.now() }
    this.instances.set(id, instance)
    return instance
  }

  finish(instanceId: string, status: 'COMPLETED' | 'TERMINATED', result: '' | 'agree' | 'refuse', remark?: string): void {
    const instance = this.instances.get(instanceId)
    if (!instance) throw new Error(`no instance ${instanceId}`)
    instance.status = status
    instance.result = result
    instance.remark = remark
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.origin === new URL(env.RESEND_BASE_URL).origin) return this.#resend(request, url)
    if (url.pathname.startsWith('/relay/')) return this.#relay(request, url)
    if (url.pathname === '/readyz') return this.#readyz(request, url)
    throw new TypeError(`fetch failed: unexpected request to ${url.origin}`)
  }

  /** The proxy's unsigned readiness: only ready or not (docs/proxy.md). */
  async #readyz(request: Request, url: URL): Promise<Response> {
    const mode = this.#modeOf(url)
    const proof = request.headers.get(PROOF_HEADER)
    ;(proof ? this.signedReadyzCalls : this.readyzCalls).push(url.origin)
    if (mode === 'down') throw new Error('Network connection lost.')
    if (mode === 'hang') return hang(request.signal)
    // A draining proxy says so; one whose last DingTalk connect failed, or that refuses old proofs, is still ready.
    const draining = mode === 'draining'
    let details = false
    if (proof) {
      // Like the proxy: the detail only for a valid worker proof, else the stranger's answer.
      try {
        await verifyProof(proof, { keys: await importPublicKeys(env.TEST_WORKER_PUBLIC_JWK), aud: PROXY_AUDIENCE, method: 'GET', target: '/readyz', body: '', replay: this.#replay })
        details = true
      } catch {
        details = false
      }
    }
    const checks = { token: 'ok', worker: this.readyzWorkerCheck, events: 'ok', drain: draining ? 'PROXY_DRAINING' : 'ok' }
    const ready = details ? Object.values(checks).every((v) => v === 'ok') : !draining
    return json(ready ? 200 : 503, details ? { ok: ready, checks } : { ok: ready })
  }

  #modeOf(url: URL): ProxyMode {
    return this.proxies.get(url.origin) ?? (this.dingtalk === 'proxy-down' ? 'down' : this.dingtalk === 'unreachable' ? 'unreachable' : 'up')
  }

  async #relay(request: Request, url: URL): Promise<Response> {
    const mode = this.#modeOf(url)
    const body = new Uint8Array(await request.arrayBuffer())
    const target = `${url.pathname}${url.search}`
    const call = { proxy: url.origin, method: request.method, target, requestId: request.headers.get('x-request-id'), proofError: null as string | null }
    this.relayCalls.push(call)
    // workerd's own message for a refused or reset connection (see dingtalk/client.ts).
    if (mode === 'down') throw new Error('Network connection lost.')
    if (mode === 'hang') return hang(request.signal)
    const proxied = (status: number, answer: unknown) => {
      const response = json(status, answer)
      response.headers.set('x-licensedesk-proxy', url.host)
      return response
    }
    if (mode === 'draining') return proxied(503, { error: { code: 'PROXY_DRAINING', message: 'draining' } })
    if (mode === 'predates') return proxied(401, { error: { code: 'PROOF_PREDATES_PROXY', message: 'proof predates proxy' } })
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
      return proxied(401, { error: { code: call.proofError, message: 'proof rejected' } })
    }
    if (mode === 'unreachable') return proxied(502, { error: { code: 'UPSTREAM_UNREACHABLE', message: 'DingTalk cannot be reached' } })
    if (url.pathname === '/relay/api/v1.0/workflow/processes/instanceIds/query' && request.method === 'POST') {
      return proxied(200, this.#listIds(JSON.parse(new TextDecoder().decode(body))))
    }
    if (url.pathname === '/relay/oapi/call_back/get_call_back_failed_result' && request.method === 'GET') {
      const page = this.failedPushPages.shift() ?? []
      return proxied(200, { errcode: 0, errmsg: 'ok', has_more: this.failedPushPages.length > 0, failed_list: page })
    }
    if (url.pathname === '/relay/api/v1.0/workflow/processInstances/terminate' && request.method === 'POST') {
      return this.#terminate(JSON.parse(new TextDecoder().decode(body)), proxied)
    }
    if (url.pathname !== '/relay/api/v1.0/workflow/processInstances') return proxied(403, { error: { code: 'NOT_ALLOWED' } })
    if (request.method === 'POST') {
      if (this.createError) {
        const { status, code, message } = this.createError
        return proxied(status, { code, message, requestid: 'fake' })
      }
      const id = `inst-${crypto.randomUUID()}`
      this.instances.set(id, { id, body: JSON.parse(new TextDecoder().decode(body)), status: 'RUNNING', result: '', createdAt: Date.now() })
      const outcome = this.createOutcomes.shift() ?? 'ok'
      if (this.createDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.createDelayMs))
      if (outcome === 'timeout-after-create') return proxied(504, { error: { code: 'UPSTREAM_TIMEOUT', message: 'DingTalk did not answer' } })
      if (outcome === 'reset-after-create') throw new Error('Network connection lost.')
      if (outcome === 'hang-after-create') return hang(request.signal)
      return proxied(200, { instanceId: id })
    }
    const instanceId = url.searchParams.get('processInstanceId') ?? ''
    const instance = this.instances.get(instanceId) ?? this.foreignInstances.find((i) => i.id === instanceId)
    if (!instance) return proxied(400, { code: 'processInstanceNotExist', message: 'no such instance' })
    const formComponentValues = instance.body.formComponentValues.map((v) => ({ ...v, componentType: 'TextField' }))
    // The approver's record, as DingTalk's instance detail has it (dingtalk.md §3.1).
    const operationRecords = instance.status === 'COMPLETED'
      ? [{ userId: 'manager1', date: '2026-12-02T04:11Z', type: 'EXECUTE_TASK_NORMAL', result: instance.result === 'agree' ? 'AGREE' : 'REFUSE', ...(instance.remark ? { remark: instance.remark } : {}), showName: '审批人' }]
      : []
    return proxied(200, { result: { status: instance.status, result: instance.result, title: 'licensedesk', formComponentValues, operationRecords }, success: 'true' })
  }

  /** DingTalk's terminate (revoke-an-approval-instance): RUNNING → TERMINATED, else its error codes. */
  async #terminate(body: Record<string, unknown>, proxied: (status: number, answer: unknown) => Response): Promise<Response> {
    this.terminates.push(body)
    const scripted = this.terminateErrors.shift()
    if (scripted) return proxied(scripted.status, { code: scripted.code, message: scripted.message, requestid: 'fake' })
    const instance = this.instances.get(String(body.processInstanceId))
    if (!instance) return proxied(400, { code: 'aflowProcessInstNotExist', message: '审批实例不存在', requestid: 'fake' })
    if (instance.status !== 'RUNNING') return proxied(400, { code: 'aflowProcessInstStatusException', message: '审批单已结束', requestid: 'fake' })
    instance.status = 'TERMINATED'
    await this.beforeTerminateAnswer?.()
    if (this.terminateAnswersLost > 0) {
      this.terminateAnswersLost--
      return proxied(504, { error: { code: 'UPSTREAM_TIMEOUT', message: 'DingTalk did not answer' } })
    }
    return proxied(200, { result: true, success: true })
  }

  /** Instances the list query asks for, in creation order, 20 a page at most (the SDK's limit). */
  #listIds(query: { processCode: string; startTime: number; endTime?: number; nextToken?: number; maxResults?: number; userIds?: string[] }) {
    const max = query.maxResults ?? 20
    if (max > 20) return { code: 'invalidParameter', message: 'maxResults' }
    const all = [...this.instances.values(), ...this.foreignInstances].filter(
      (i) =>
        i.body.processCode === query.processCode &&
        i.createdAt >= query.startTime &&
        (query.endTime === undefined || i.createdAt <= query.endTime) &&
        (!query.userIds?.length || query.userIds.includes(i.body.originatorUserId)),
    )
    const from = query.nextToken ?? 0
    const list = all.slice(from, from + max).map((i) => i.id)
    const more = from + max < all.length
    this.listQueries.push(query)
    return { result: { list, ...(more ? { nextToken: String(from + max) } : {}) }, success: true }
  }

  async #resend(request: Request, url: URL): Promise<Response> {
    const key = request.headers.get('idempotency-key')
    if (request.method !== 'POST' || url.pathname !== '/emails') return json(404, { statusCode: 404, name: 'not_found', message: 'not found' })
    if (request.headers.get('authorization') !== `Bearer ${env.RESEND_API_KEY}`) {
      return json(401, { statusCode: 401, name: 'invalid_api_key', message: 'API key is invalid' })
    }
    const text = await request.text()
    const payload = JSON.parse(text) as SentEmail['payload'] & { tags?: { name: string; value: string }[] }
    if (!this.acknowledgementsLikeOthers && payload.tags?.some((t) => t.name === 'kind' && t.value === 'acknowledgement')) {
      const previous = key ? this.#idempotency.get(key) : undefined
      if (previous) return json(previous.payload === text ? 200 : 409, previous.payload === text ? { id: previous.id } : { statusCode: 409, name: 'invalid_idempotent_request', message: 'payload differs' })
      const id = `email-${this.#nextId++}`
      if (key) this.#idempotency.set(key, { payload: text, id })
      this.acknowledgements.push({ idempotencyKey: key, payload })
      return json(200, { id })
    }
    const scripted = this.mailErrors.shift()
    if (scripted === 'network') {
      this.mailAttempts.push({ idempotencyKey: key, status: 0 })
      throw new TypeError('fetch failed: connection reset')
    }
    if (scripted) {
      this.mailAttempts.push({ idempotencyKey: key, status: scripted.statusCode })
      const { retryAfter, ...answer } = scripted
      const response = json(scripted.statusCode, { message: `scripted ${scripted.name}`, ...answer })
      if (retryAfter !== undefined) response.headers.set('retry-after', String(retryAfter))
      return response
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
