// Calls DingTalk through the egress proxies' signed relay (docs/architecture.md, "Worker → proxy").
// Each attempt carries a fresh proof over method, target and the exact body bytes, and X-Request-Id;
// an attempt a proxy did not relay moves on to the next proxy (rotating order), a create whose
// outcome is unknown never does (DingTalkOutcomeUnknownError).
import { createProof, PROOF_HEADER, PROXY_AUDIENCE, REQUEST_ID_HEADER, type SigningKey } from '../../../proof/src/index.ts'
import { DingTalkOutcomeUnknownError, DingTalkRejectedError, DingTalkUnavailableError, EgressUnavailableError } from '../errors.ts'
import type { FormComponentValue } from './form.ts'

export type DingTalkClientOptions = {
  /** The proxies' base URLs (EGRESS_URL, comma-separated), or one base when `fetch` is a binding's. */
  egressUrls: readonly string[]
  signingKey: SigningKey
  requestId: string
  /** The EGRESS service binding's fetch in production (Workers VPC), the global fetch otherwise. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>
  /** Milliseconds since the epoch, for the proof's `iat`. */
  now?: () => number
  /** Per attempt; above the proxy's whole budget (3 s token + 10 s upstream). */
  timeoutMs?: number
  /** Which proxy to try first (rotates the order per call); random by default. */
  start?: number
  /** The unsigned GET /readyz before a create (below); 3 s by default. */
  preflightTimeoutMs?: number
}

export type CreateInstanceInput = {
  processCode: string
  originatorUserId: string
  deptId: number
  formComponentValues: FormComponentValue[]
}

/** The subset of `result` (dingtalk.md §3.1) the worker acts on. */
export type InstanceState = {
  status: string
  result: string
  formValues: { name: string; value: string }[]
  /** The refusing approver's remark (operationRecords, dingtalk.md §3.1), or null. */
  refusalRemark: string | null
}

/** A terminate (dingtalk.md §3.3): by the originator (`isSystem: false`), the proxy's only allowed form. */
export type TerminateInput = { instanceId: string; operatingUserId: string; remark: string }

/**
 * DingTalk's answer to a terminate. `not_running`: aflowProcessInstStatusException, one code for
 * "within 15 s of the create" and "no longer RUNNING" — read the instance to tell which.
 * `not_permitted`: internalError (820008), the template does not let the originator withdraw.
 */
export type TerminateResult =
  | { outcome: 'terminated' }
  | { outcome: 'not_running'; upstreamCode: string; message: string }
  | { outcome: 'not_permitted'; upstreamCode: string; message: string }

export type InstanceIdsQuery = { processCode: string; startTime: number; endTime: number; userIds: string[]; nextToken: number; maxResults: number }
export type FailedPush = { tag: string; eventTime: number | null; data: Record<string, unknown> }

export type DingTalkClient = {
  createInstance(input: CreateInstanceInput): Promise<{ instanceId: string }>
  getInstance(instanceId: string): Promise<InstanceState>
  listInstanceIds(query: InstanceIdsQuery): Promise<{ ids: string[]; nextToken: number | null }>
  listFailedPushes(): Promise<{ entries: FailedPush[]; hasMore: boolean }>
  /** Ends a RUNNING instance; other refusals throw DingTalkRejectedError, unreachable DingTalkUnavailableError. */
  terminateInstance(input: TerminateInput): Promise<TerminateResult>
}

export const DEFAULT_RELAY_TIMEOUT_MS = 15_000
const INSTANCES_PATH = '/relay/api/v1.0/workflow/processInstances'
// ListProcessInstanceIds (aliyun/dingtalk-sdk workflow_1_0 ListProcessInstanceIdsRequest): body
// {processCode, startTime, endTime (ms), nextToken (number, 0 first), maxResults (≤ 20), userIds (≤ 10)}
// → {result: {list: string[], nextToken?: string}, success}. docs/architecture.md, "Adopting".
const INSTANCE_IDS_PATH = '/relay/api/v1.0/workflow/processes/instanceIds/query'
// dingtalk.md §5.3: legacy API, {errcode, has_more, failed_list: [{call_back_tag, event_time, bpms_instance_change}]}.
const FAILED_PUSHES_PATH = '/relay/oapi/call_back/get_call_back_failed_result'
// revoke-an-approval-instance: body {processInstanceId, isSystem, remark (≤ 1024), operatingUserId} → {result, success}.
const TERMINATE_PATH = '/relay/api/v1.0/workflow/processInstances/terminate'
// Its error table: the state code (too soon, or ended; older spelling kept) and the permission one.
const TERMINATE_NOT_RUNNING = new Set(['aflowProcessInstStatusException', 'processInstanceStatusError'])
const TERMINATE_NOT_PERMITTED = new Set(['internalError'])
export const PROXY_HEADER = 'x-licensedesk-proxy'

// DingTalk throttling and quota answers are transient: try again later (dingtalk.md §8).
const TRANSIENT_CODES = new Set([
  'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.QpsLimitForApi',
  'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.ApiCountLimitForOrg',
  'system.busy',
  'systemBusy',
])

// A proxy's coded answers that say "not relayed: nothing reached DingTalk" (docs/proxy.md): safe to
// send again, with a fresh proof, through another proxy.
const NOT_RELAYED_5XX = new Set(['PROXY_DRAINING', 'TOKEN_UNAVAILABLE', 'UPSTREAM_UNREACHABLE'])

function upstreamError(body: unknown): { code?: string; message?: string; own: boolean } {
  if (!body || typeof body !== 'object') return { own: false }
  const record = body as Record<string, unknown>
  // DingTalk: { code, message }; the proxy's own errors: { error: { code, message } }.
  const own = Boolean(record.error && typeof record.error === 'object')
  const source = own ? (record.error as Record<string, unknown>) : record
  return {
    code: typeof source.code === 'string' ? source.code : undefined,
    message: typeof source.message === 'string' ? source.message : undefined,
    own,
  }
}

/** EGRESS_URL split on commas, trimmed, without trailing slashes. */
export function parseEgressUrls(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim().replace(/\/+$/, ''))
    .filter((part) => part !== '')
}

// A terminate is sent again through the next proxy like a read: a second one that reaches DingTalk
// is answered `not_running`, which the caller resolves by reading the instance.
type Kind = 'read' | 'create' | 'terminate'
type Attempt = { ok: true; value: unknown } | { ok: false; retry: boolean; error: Error }

export function createDingTalkClient(options: DingTalkClientOptions): DingTalkClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? DEFAULT_RELAY_TIMEOUT_MS
  const urls = options.egressUrls
  if (urls.length === 0) throw new Error('no egress URL')
  let start = options.start ?? Math.floor(Math.random() * urls.length)

  async function attempt(base: string, kind: Kind, method: 'GET' | 'POST', target: string, body: string | undefined): Promise<Attempt> {
    const proof = await createProof({ key: options.signingKey, aud: PROXY_AUDIENCE, method, target, body: body ?? null, now: now() })
    const headers: Record<string, string> = { [PROOF_HEADER]: proof, [REQUEST_ID_HEADER]: options.requestId, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    let text: string
    try {
      response = await doFetch(`${base}${target}`, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
      text = await response.text()
    } catch (cause) {
      // Found in workerd (the vitest pool, 2026-12): a fetch to a closed loopback port, a reset after
      // the request was sent and a reset mid-body all throw the same Error('Network connection
      // lost.'); a timeout throws DOMException TimeoutError. So the worker cannot tell "never sent"
      // from "sent, answer lost": a read moves on, a create's outcome is unknown.
      if (kind === 'create') return { ok: false, retry: false, error: new DingTalkOutcomeUnknownError('the create was sent but its answer was lost', { cause }) }
      return { ok: false, retry: true, error: new EgressUnavailableError('the egress proxy cannot be reached', { cause }) }
    }
    let parsed: unknown = null
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      parsed = null
    }
    if (response.ok) return { ok: true, value: parsed }
    const { code, message, own } = upstreamError(parsed)
    // The header marks a proxy's answer (contract); a proxy's coded body shape counts too, so an
    // older proxy without the header still fails over. DingTalk never answers { error: { code } }.
    const fromProxy = response.headers.has(PROXY_HEADER) || own
    if (fromProxy && own && code !== undefined) {
      // The allowlist answers the same at every proxy: a refusal, not a reason to try the next one.
      if (code === 'NOT_ALLOWED') return { ok: false, retry: false, error: new DingTalkRejectedError(response.status, code, message ?? 'the proxy does not allow this call') }
      // The proxy's own 4xx (PROOF_*, PROOF_PREDATES_PROXY …) and its coded "not relayed" 5xx.
      if ((response.status >= 400 && response.status < 500) || NOT_RELAYED_5XX.has(code)) {
        return { ok: false, retry: true, error: new EgressUnavailableError(`the proxy did not relay (HTTP ${response.status}, ${code})`, { upstreamCode: code }) }
      }
      if (code === 'UPSTREAM_TIMEOUT') {
        if (kind !== 'create') return { ok: false, retry: true, error: new EgressUnavailableError('DingTalk did not answer in time', { upstreamCode: code }) }
        return { ok: false, retry: false, error: new DingTalkOutcomeUnknownError('DingTalk did not answer the create in time', { upstreamCode: code }) }
      }
    }
    // DingTalk's own answers are JSON with `code` (new API) or `errcode` (legacy), header or not.
    const dingtalkShaped = parsed !== null && typeof parsed === 'object' && ('code' in parsed || 'errcode' in parsed)
    if (!fromProxy && !dingtalkShaped && response.status >= 500) {
      // Not a proxy's answer (a tunnel or load balancer in front of it): whether it was relayed is unknown.
      if (kind !== 'create') return { ok: false, retry: true, error: new EgressUnavailableError(`no proxy answered (HTTP ${response.status})`) }
      return { ok: false, retry: false, error: new DingTalkOutcomeUnknownError(`the create's answer came from no proxy (HTTP ${response.status})`) }
    }
    if (response.status >= 500 || response.status === 429 || (code !== undefined && TRANSIENT_CODES.has(code))) {
      const error = new DingTalkUnavailableError(`DingTalk is unavailable (HTTP ${response.status}${code ? `, ${code}` : ''})`, { upstreamCode: code })
      return { ok: false, retry: false, error }
    }
    return { ok: false, retry: false, error: new DingTalkRejectedError(response.status, code ?? `HTTP_${response.status}`, message ?? 'DingTalk refused the request') }
  }

  // Before a create, an unsigned GET /readyz: since workerd reports a refused connection exactly
  // like one lost mid-exchange (above), this is how a dead proxy is told apart from a lost create.
  // A ready proxy (200) takes the create at once; one that answers but is not ready (503: draining,
  // or a check failing) is tried only after the others, since a draining one is about to close its
  // listener; a failed connection or a timeout skips the proxy, and nothing was sent to it. A proxy
  // dying between the two is still "outcome unknown".
  async function probe(base: string): Promise<'ready' | 'not_ready' | 'down'> {
    try {
      const response = await doFetch(`${base}/readyz`, { method: 'GET', signal: AbortSignal.timeout(options.preflightTimeoutMs ?? 3000) })
      await response.body?.cancel()
      return response.status === 200 ? 'ready' : 'not_ready'
    } catch {
      return 'down'
    }
  }

  async function call(kind: Kind, method: 'GET' | 'POST', target: string, payload?: unknown): Promise<unknown> {
    const body = payload === undefined ? undefined : JSON.stringify(payload)
    const first = start++ % urls.length
    let last: Error | null = null
    const order = urls.map((_, i) => urls[(first + i) % urls.length])
    const notReady: string[] = []
    for (let i = 0; i < order.length + notReady.length; i++) {
      const deferred = i >= order.length
      const base = deferred ? notReady[i - order.length] : order[i]
      if (kind === 'create' && !deferred) {
        const state = await probe(base)
        if (state === 'down') {
          last = new EgressUnavailableError(`the egress proxy ${new URL(base).host} cannot be reached`)
          continue
        }
        if (state === 'not_ready' && i < order.length) {
          notReady.push(base)
          continue
        }
      }
      const result = await attempt(base, kind, method, target, body)
      if (result.ok) return result.value
      if (!result.retry) throw result.error
      last = result.error
    }
    throw new EgressUnavailableError(`no egress proxy relayed the call (${urls.length} tried): ${last?.message ?? ''}`, {
      cause: last,
      upstreamCode: last instanceof DingTalkUnavailableError ? last.upstreamCode : undefined,
    })
  }

  return {
    async createInstance(input) {
      const result = (await call('create', 'POST', INSTANCES_PATH, input)) as { instanceId?: unknown } | null
      if (typeof result?.instanceId !== 'string' || result.instanceId === '') {
        throw new DingTalkOutcomeUnknownError('DingTalk answered the create without an instanceId')
      }
      return { instanceId: result.instanceId }
    },
    async getInstance(instanceId) {
      const target = `${INSTANCES_PATH}?processInstanceId=${encodeURIComponent(instanceId)}`
      const answer = (await call('read', 'GET', target)) as { result?: Record<string, unknown> } | null
      const status = answer?.result?.status
      if (typeof status !== 'string') throw new DingTalkUnavailableError('DingTalk answered without a status')
      const result = answer?.result?.result
      const values = Array.isArray(answer?.result?.formComponentValues) ? (answer.result.formComponentValues as unknown[]) : []
      const formValues = values.flatMap((v) => {
        const entry = v as { name?: unknown; value?: unknown } | null
        return typeof entry?.name === 'string' ? [{ name: entry.name, value: typeof entry.value === 'string' ? entry.value : String(entry.value ?? '') }] : []
      })
      return { status, result: typeof result === 'string' ? result : '', formValues, refusalRemark: refusalRemarkOf(answer?.result?.operationRecords) }
    },
    async listInstanceIds(query) {
      const answer = (await call('read', 'POST', INSTANCE_IDS_PATH, query)) as { result?: { list?: unknown; nextToken?: unknown } } | null
      const list = Array.isArray(answer?.result?.list) ? answer.result.list.filter((id): id is string => typeof id === 'string') : []
      const token = answer?.result?.nextToken
      const next = token === undefined || token === null || token === '' ? null : Number(token)
      return { ids: list, nextToken: next !== null && Number.isFinite(next) ? next : null }
    },
    async listFailedPushes() {
      const answer = (await call('read', 'GET', FAILED_PUSHES_PATH)) as { errcode?: unknown; has_more?: unknown; failed_list?: unknown } | null
      if (answer?.errcode !== undefined && answer.errcode !== 0) throw new DingTalkUnavailableError(`failed-push list: errcode ${String(answer.errcode)}`)
      const list = Array.isArray(answer?.failed_list) ? answer.failed_list : []
      const entries = list.map((raw) => {
        const entry = (raw ?? {}) as Record<string, unknown>
        const tag = typeof entry.call_back_tag === 'string' ? entry.call_back_tag : ''
        const inner = (entry[tag] ?? {}) as Record<string, unknown>
        const data = (inner.bpmsCallBackData ?? {}) as Record<string, unknown>
        return { tag, eventTime: typeof entry.event_time === 'number' ? entry.event_time : null, data: data && typeof data === 'object' ? data : {} }
      })
      return { entries, hasMore: answer?.has_more === true }
    },
    async terminateInstance(input) {
      const body = { processInstanceId: input.instanceId, isSystem: false, remark: input.remark, operatingUserId: input.operatingUserId }
      let answer: { result?: unknown; success?: unknown } | null
      try {
        answer = (await call('terminate', 'POST', TERMINATE_PATH, body)) as typeof answer
      } catch (err) {
        if (err instanceof DingTalkRejectedError && TERMINATE_NOT_RUNNING.has(err.upstreamCode)) {
          return { outcome: 'not_running', upstreamCode: err.upstreamCode, message: err.message }
        }
        if (err instanceof DingTalkRejectedError && TERMINATE_NOT_PERMITTED.has(err.upstreamCode)) {
          return { outcome: 'not_permitted', upstreamCode: err.upstreamCode, message: err.message }
        }
        throw err
      }
      // 2xx with result false: DingTalk did not end it, and said no more (UNCONFIRMED when it does this).
      if (answer?.result !== true) throw new DingTalkRejectedError(200, 'TERMINATE_FAILED', 'DingTalk answered the terminate with result false')
      return { outcome: 'terminated' }
    },
  }
}

/** At most this many characters of a remark are kept (DingTalk allows longer ones). */
export const MAX_REMARK = 1000

/**
 * The remark of the last refusing operation record (an approver's EXECUTE_TASK_* with result
 * REFUSE; dingtalk.md §3.1). The push never carries it; only the instance detail does.
 */
export function refusalRemarkOf(records: unknown): string | null {
  if (!Array.isArray(records)) return null
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i] as { result?: unknown; type?: unknown; remark?: unknown } | null
    if (record?.result !== 'REFUSE') continue
    if (typeof record.type === 'string' && !record.type.startsWith('EXECUTE_TASK')) continue
    const remark = typeof record.remark === 'string' ? record.remark.trim() : ''
    return remark === '' ? null : [...remark].slice(0, MAX_REMARK).join('')
  }
  return null
}
