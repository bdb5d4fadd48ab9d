// `ANY /relay/{api|oapi}/...`: proof first (so an unsigned caller learns nothing about the allowlist),
// then the allowlist and the process scope, then the call with the access token injected, repeated
// once with a fresh token when DingTalk says the token is invalid, then the answer's scope
// (docs/architecture.md, "Worker → proxy: relay").
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { PROOF_HEADER, PROXY_AUDIENCE, verifyProof, type ReplayStore } from '../../proof/src/index.ts'
import type { ProxyConfig } from './config.ts'
import { readBody } from './http-util.ts'
import { NotAllowedError } from './errors.ts'
import { answerInScope, checkRequestScope, resolveRelayTarget, type RelayTarget } from './relay-rules.ts'
import type { TokenCache } from './token-cache.ts'
import { isInvalidTokenAnswer } from './token-answers.ts'
import type { UpstreamAnswer, UpstreamClient } from './upstream.ts'

export const TOKEN_HEADER = 'x-acs-dingtalk-access-token'

/** The only client headers that travel upstream; everything else (proof, cookies, auth, hop-by-hop, host, ids) stays here. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'accept-language', 'user-agent']

/** Answer headers not passed back: hop-by-hop ones, cookies, and lengths we recompute. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'set-cookie',
  'content-length',
])

export type RelayDeps = {
  config: ProxyConfig
  tokens: TokenCache
  upstream: UpstreamClient
  replay: ReplayStore
  now: () => number
  /** The proxy's start (ms): proofs issued before it are refused (PROOF_PREDATES_PROXY). */
  startedAt: number
}

export function upstreamUrl(config: ProxyConfig, target: RelayTarget, token: string): URL {
  const base = target.upstream === 'api' ? config.dingtalk.apiBase : config.dingtalk.oapiBase
  const params = [target.query]
  if (target.upstream === 'oapi') params.push(`access_token=${encodeURIComponent(token)}`)
  const query = params.filter(Boolean).join('&')
  return new URL(`${base.origin}${base.pathname.replace(/\/$/, '')}${target.path}${query ? `?${query}` : ''}`)
}

function upstreamHeaders(req: IncomingMessage, target: RelayTarget, body: Buffer, token: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {}
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name]
    if (typeof value === 'string') headers[name] = value
  }
  if (body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method ?? '')) headers['content-length'] = String(body.length)
  if (target.upstream === 'api') headers[TOKEN_HEADER] = token
  return headers
}

function writeAnswer(res: ServerResponse, answer: UpstreamAnswer): void {
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) headers[name] = value
  }
  if (!answer.rest) {
    headers['content-length'] = String(answer.body.length)
    res.writeHead(answer.status, headers)
    res.end(answer.body)
    return
  }
  const declared = answer.headers['content-length']
  if (declared && !answer.headers['transfer-encoding']) headers['content-length'] = declared
  res.writeHead(answer.status, headers)
  res.write(answer.body)
  answer.rest.on('error', () => res.destroy())
  answer.rest.pipe(res)
}

export async function handleRelay(deps: RelayDeps, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const body = await readBody(req)
  await verifyProof(req.headers[PROOF_HEADER] as string | undefined, {
    keys: deps.config.workerKeys,
    aud: PROXY_AUDIENCE,
    method: req.method ?? '',
    target: req.url ?? '',
    body,
    replay: deps.replay,
    now: deps.now(),
    notBefore: deps.startedAt,
  })
  const target = resolveRelayTarget(req.method, req.url)
  checkRequestScope(target, body, deps.config.dingtalk)
  const method = req.method ?? 'GET'
  const started = performance.now()
  const call = async (token: string) =>
    deps.upstream.send(req, res, {
      target: upstreamUrl(deps.config, target, token),
      method,
      headers: upstreamHeaders(req, target, body, token),
      body,
    })

  let token = await deps.tokens.get()
  let answer = await call(token)
  let retried = false
  if (!answer.rest && isInvalidTokenAnswer(answer.status, answer.body)) {
    log.warn({ upstream: target.upstream, path: target.path, status: answer.status }, 'dingtalk rejected the access token; refreshing once')
    deps.tokens.invalidate(token)
    token = await deps.tokens.get()
    answer = await call(token)
    retried = true
    if (!answer.rest && isInvalidTokenAnswer(answer.status, answer.body)) {
      log.error({ upstream: target.upstream, path: target.path }, 'dingtalk rejected a fresh access token too; passing its answer on')
    }
  }
  const inScope = answerInScope(target, answer.status, answer.rest ? undefined : answer.body, deps.config.dingtalk)
  log.info(
    { upstream: target.upstream, path: target.path, method, status: answer.status, retried, streamed: Boolean(answer.rest), inScope, ms: Math.round(performance.now() - started) },
    'relayed',
  )
  if (!inScope) {
    answer.rest?.destroy()
    throw new NotAllowedError('foreign-instance')
  }
  writeAnswer(res, answer)
}
