// What the relay lets through: exactly the calls the worker makes (docs/architecture.md, "Allowlist"),
// checked on the raw request target before any decoding, so no encoding or normalisation trick can
// reach another path or host; then the process scope, so a leaked worker key reaches only our process.
import { NotAllowedError } from './errors.ts'

export type Upstream = 'api' | 'oapi'

/**
 * `process-code`: the JSON body's `processCode` must be ours. `own-instance`: the query is one
 * `processInstanceId`, and DingTalk's answer is passed back only for an instance of ours (its GET
 * answer carries no processCode: originator and application-number field stand in for it).
 * `originator-terminate`: the body is exactly a terminate by our originator (below).
 */
export type Guard = 'process-code' | 'own-instance' | 'originator-terminate'

export type AllowRule = Readonly<{ method: string; upstream: Upstream; path: string; guard?: Guard }>

/** Stable contract with the worker (docs/architecture.md, "Allowlist"). */
export const ALLOWLIST: readonly AllowRule[] = [
  { method: 'POST', upstream: 'api', path: '/v1.0/workflow/processInstances', guard: 'process-code' },
  { method: 'GET', upstream: 'api', path: '/v1.0/workflow/processInstances', guard: 'own-instance' },
  { method: 'POST', upstream: 'api', path: '/v1.0/workflow/processes/instanceIds/query', guard: 'process-code' },
  { method: 'GET', upstream: 'oapi', path: '/call_back/get_call_back_failed_result' },
  // The console's Withdraw (dingtalk.md §3.3).
  { method: 'POST', upstream: 'api', path: '/v1.0/workflow/processInstances/terminate', guard: 'originator-terminate' },
]

/** What "ours" means: the proxy's DINGTALK_PROCESS_CODE, DINGTALK_ORIGINATOR_USER_ID, DINGTALK_APPLICATION_FIELD. */
export type ProcessScope = Readonly<{ processCode: string; originatorUserId: string; applicationField: string }>

export type RelayTarget = Readonly<{
  upstream: Upstream
  /** Upstream path, e.g. `/v1.0/workflow/processInstances`. */
  path: string
  /** Raw query without `?`, any client-supplied `access_token` removed; '' when none. */
  query: string
  guard?: Guard
}>

// Anywhere in the target, query included: the worker never needs any of these.
const TRICKS: readonly [RegExp, string][] = [
  [/\.\./, 'dot-dot'],
  [/%2e/i, 'encoded-dot'],
  [/\/\//, 'double-slash'],
  [/@/, 'at-sign'],
  [/\\/, 'backslash'],
  [/%2f/i, 'encoded-slash'],
  [/%5c/i, 'encoded-backslash'],
  [/%00/, 'encoded-nul'],
  [/#/, 'fragment'],
  [/[^\x21-\x7e]/, 'raw-special-character'],
]

const RELAY_PATH = /^\/relay\/(api|oapi)(\/[A-Za-z0-9._~/-]*)$/
const TOKEN_PARAMS = new Set(['access_token'])

function queryWithoutToken(rawQuery: string): string {
  const kept: string[] = []
  for (const part of rawQuery.split('&')) {
    if (!part) continue
    const eq = part.indexOf('=')
    let name: string
    try {
      name = decodeURIComponent((eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' '))
    } catch {
      throw new NotAllowedError('bad-query-encoding')
    }
    if (!TOKEN_PARAMS.has(name.trim().toLowerCase())) kept.push(part)
  }
  return kept.join('&')
}

/** Checks (method, upstream, path) of a raw `req.url`; throws NotAllowedError with a log reason. */
export function resolveRelayTarget(method: string | undefined, rawUrl: string | undefined): RelayTarget {
  const url = rawUrl ?? ''
  if (!url.startsWith('/')) throw new NotAllowedError('absolute-url')
  for (const [pattern, reason] of TRICKS) if (pattern.test(url)) throw new NotAllowedError(reason)

  const q = url.indexOf('?')
  const rawPath = q === -1 ? url : url.slice(0, q)
  const match = RELAY_PATH.exec(rawPath)
  if (!match) throw new NotAllowedError(/^\/relay\/(api|oapi)(\/|$)/.test(rawPath) ? 'bad-path' : 'unknown-upstream')
  const upstream = match[1] as Upstream
  const path = match[2]
  const verb = (method ?? '').toUpperCase()
  if (!ALLOWLIST.some((r) => r.upstream === upstream && r.path === path)) throw new NotAllowedError('path-not-allowed')
  const rule = ALLOWLIST.find((r) => r.upstream === upstream && r.path === path && r.method === verb)
  if (!rule) throw new NotAllowedError('method-not-allowed')
  const query = q === -1 ? '' : queryWithoutToken(url.slice(q + 1))
  if (rule.guard === 'own-instance') {
    const params = new URLSearchParams(query)
    if ([...params.keys()].join(',') !== 'processInstanceId' || !params.get('processInstanceId')) throw new NotAllowedError('bad-query')
  }
  return { upstream, path, query, guard: rule.guard }
}

function jsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const TERMINATE_KEYS = new Set(['processInstanceId', 'isSystem', 'remark', 'operatingUserId'])
/** DingTalk's limit on `remark` (revoke-an-approval-instance: 最大长度1024字符). */
const MAX_REMARK = 1024

/**
 * A terminate's body names one instance and nothing else new: `isSystem: false` with
 * `operatingUserId` = our originator, which DingTalk accepts only from the instance's originator
 * ("需要传发起人才能撤销"), so a leaked key can end only instances our originator started.
 */
function isOriginatorTerminate(body: Record<string, unknown> | undefined, scope: ProcessScope): boolean {
  if (!body || Object.keys(body).some((key) => !TERMINATE_KEYS.has(key))) return false
  const { processInstanceId: id, isSystem, remark, operatingUserId } = body
  if (typeof id !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(id)) return false
  if (remark !== undefined && (typeof remark !== 'string' || remark.length > MAX_REMARK)) return false
  return isSystem === false && operatingUserId === scope.originatorUserId
}

/**
 * Before sending: a guarded body must name our process (NotAllowedError('process-code')) or be a
 * terminate by our originator (NotAllowedError('terminate-scope')).
 */
export function checkRequestScope(target: RelayTarget, body: Uint8Array, scope: ProcessScope): void {
  if (target.guard === 'process-code' && jsonObject(body)?.processCode !== scope.processCode) throw new NotAllowedError('process-code')
  if (target.guard === 'originator-terminate' && !isOriginatorTerminate(jsonObject(body), scope)) throw new NotAllowedError('terminate-scope')
}

/**
 * After DingTalk answered a guarded GET: true when the answer may go back. DingTalk's errors (non-2xx)
 * carry no instance and pass; a 2xx passes only for an instance our originator started whose form
 * has our application-number field. An unreadable (or too large to inspect) 2xx answer does not pass.
 */
export function answerInScope(target: RelayTarget, status: number, body: Uint8Array | undefined, scope: ProcessScope): boolean {
  if (target.guard !== 'own-instance' || status < 200 || status > 299) return true
  const result = body && jsonObject(body)?.result
  if (!result || typeof result !== 'object') return false
  const { originatorUserId, formComponentValues } = result as { originatorUserId?: unknown; formComponentValues?: unknown }
  return (
    originatorUserId === scope.originatorUserId &&
    Array.isArray(formComponentValues) &&
    formComponentValues.some((field) => (field as { name?: unknown } | null)?.name === scope.applicationField)
  )
}
