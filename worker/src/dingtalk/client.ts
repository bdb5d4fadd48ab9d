// Calls DingTalk through the egress proxy's signed relay (docs/architecture.md, "Worker → proxy").
// Each call carries a fresh proof over method, target and the exact body bytes, and X-Request-Id.
import { createProof, PROOF_HEADER, PROXY_AUDIENCE, REQUEST_ID_HEADER, type SigningKey } from '../../../proof/src/index.ts'
import { DingTalkRejectedError, DingTalkUnavailableError } from '../errors.ts'
import type { FormComponentValue } from './form.ts'

export type DingTalkClientOptions = {
  egressUrl: string
  signingKey: SigningKey
  requestId: string
  fetch?: typeof fetch
  /** Milliseconds since the epoch, for the proof's `iat`. */
  now?: () => number
  timeoutMs?: number
}

export type CreateInstanceInput = {
  processCode: string
  originatorUserId: string
  deptId: number
  formComponentValues: FormComponentValue[]
}

/** The subset of `result` (dingtalk.md §3.1) the worker acts on. */
export type InstanceState = { status: string; result: string }

export type DingTalkClient = {
  createInstance(input: CreateInstanceInput): Promise<{ instanceId: string }>
  getInstance(instanceId: string): Promise<InstanceState>
}

const INSTANCES_PATH = '/relay/api/v1.0/workflow/processInstances'

// DingTalk throttling and quota answers are transient: try again later (dingtalk.md §8).
const TRANSIENT_CODES = new Set([
  'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.QpsLimitForApi',
  'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.ApiCountLimitForOrg',
  'system.busy',
  'systemBusy',
])

function upstreamError(body: unknown): { code?: string; message?: string } {
  if (!body || typeof body !== 'object') return {}
  const record = body as Record<string, unknown>
  // DingTalk: { code, message }; the proxy's own errors: { error: { code, message } }.
  const source = record.error && typeof record.error === 'object' ? (record.error as Record<string, unknown>) : record
  return {
    code: typeof source.code === 'string' ? source.code : undefined,
    message: typeof source.message === 'string' ? source.message : undefined,
  }
}

export function createDingTalkClient(options: DingTalkClientOptions): DingTalkClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? 8000

  async function call(method: 'GET' | 'POST', target: string, payload?: unknown): Promise<unknown> {
    const body = payload === undefined ? undefined : JSON.stringify(payload)
    const proof = await createProof({
      key: options.signingKey,
      aud: PROXY_AUDIENCE,
      method,
      target,
      body: body ?? null,
      now: now(),
    })
    const headers: Record<string, string> = { [PROOF_HEADER]: proof, [REQUEST_ID_HEADER]: options.requestId, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await doFetch(`${options.egressUrl}${target}`, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
    } catch (cause) {
      throw new DingTalkUnavailableError('the egress proxy cannot be reached', { cause })
    }
    const text = await response.text().catch(() => '')
    let parsed: unknown = null
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      parsed = null
    }
    if (response.ok) return parsed
    const { code, message } = upstreamError(parsed)
    if (response.status >= 500 || response.status === 429 || (code !== undefined && TRANSIENT_CODES.has(code))) {
      throw new DingTalkUnavailableError(`DingTalk is unavailable (HTTP ${response.status}${code ? `, ${code}` : ''})`, {
        upstreamCode: code,
      })
    }
    throw new DingTalkRejectedError(response.status, code ?? `HTTP_${response.status}`, message ?? 'DingTalk refused the request')
  }

  return {
    async createInstance(input) {
      const result = (await call('POST', INSTANCES_PATH, input)) as { instanceId?: unknown } | null
      if (typeof result?.instanceId !== 'string' || result.instanceId === '') {
        throw new DingTalkUnavailableError('DingTalk answered without an instanceId')
      }
      return { instanceId: result.instanceId }
    },
    async getInstance(instanceId) {
      const target = `${INSTANCES_PATH}?processInstanceId=${encodeURIComponent(instanceId)}`
      const answer = (await call('GET', target)) as { result?: { status?: unknown; result?: unknown } } | null
      const status = answer?.result?.status
      if (typeof status !== 'string') throw new DingTalkUnavailableError('DingTalk answered without a status')
      const result = answer?.result?.result
      return { status, result: typeof result === 'string' ? result : '' }
    },
  }
}
