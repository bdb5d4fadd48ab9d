// What the relay lets through: the allowlist of docs/architecture.md, checked on the raw request
// target before any decoding, so no encoding or normalisation trick can reach another path or host.
import { NotAllowedError } from './errors.ts'

export type Upstream = 'api' | 'oapi'

export type AllowRule = Readonly<{ method: string; upstream: Upstream; path: string }>

/** Stable contract with the worker (docs/architecture.md, "Allowlist"). */
export const ALLOWLIST: readonly AllowRule[] = [
  { method: 'POST', upstream: 'api', path: '/v1.0/workflow/processInstances' },
  { method: 'GET', upstream: 'api', path: '/v1.0/workflow/processInstances' },
  { method: 'POST', upstream: 'api', path: '/v1.0/workflow/processInstances/terminate' },
  { method: 'POST', upstream: 'oapi', path: '/topapi/processinstance/get' },
  { method: 'GET', upstream: 'oapi', path: '/call_back/get_call_back_failed_result' },
]

export type RelayTarget = Readonly<{
  upstream: Upstream
  /** Upstream path, e.g. `/v1.0/workflow/processInstances`. */
  path: string
  /** Raw query without `?`, any client-supplied `access_token` removed; '' when none. */
  query: string
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
  if (!ALLOWLIST.some((r) => r.upstream === upstream && r.path === path && r.method === verb)) {
    throw new NotAllowedError('method-not-allowed')
  }
  return { upstream, path, query: q === -1 ? '' : queryWithoutToken(url.slice(q + 1)) }
}
