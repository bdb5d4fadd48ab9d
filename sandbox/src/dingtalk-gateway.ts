// DingTalk's front door for both API generations: injected outage, route match, IP whitelist,
// per-API QPS limit, access-token check and the monthly call count, in that order. Each route's
// handler only sees requests that passed (dingtalk.md §1.3, §7, §8).
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxConfig } from './config.ts'
import type { DingTalkReply } from './dingtalk-errors.ts'
import { dingtalkErrors } from './dingtalk-errors.ts'
import { clientIp, readBody, sendJson } from './http.ts'
import type { SandboxState } from './state.ts'
import { takeSlot } from './state.ts'
import { quotaMonth } from './times.ts'

export type Generation = 'api' | 'oapi'

export type RouteContext = { url: URL; body: Buffer; req: IncomingMessage }

export type Route = {
  method: 'GET' | 'POST'
  path: string
  generation: Generation
  /** Token endpoints need no token and are exempt from the monthly quota. */
  tokenEndpoint?: boolean
  handle(ctx: RouteContext): DingTalkReply | Promise<DingTalkReply>
}

export const TOKEN_TTL_SECONDS = 7200
const BODY_LIMIT = 2 * 1024 * 1024

export type GatewayOptions = { config: SandboxConfig; state: SandboxState; now: () => number; routes: readonly Route[] }

export function generationOf(path: string): Generation {
  return /^\/v\d+\.\d+\//.test(path) ? 'api' : 'oapi'
}

/** Issues the app's token, or the current one renewed while it is still valid (dingtalk.md §1.1). */
export function issueToken(state: SandboxState, now: number): string {
  const expiresAt = now + TOKEN_TTL_SECONDS * 1000
  if (state.token && state.token.expiresAt > now) state.token.expiresAt = expiresAt
  else state.token = { value: randomBytes(16).toString('hex'), expiresAt }
  return state.token.value
}

function tokenValid(state: SandboxState, token: string, now: number): boolean {
  return state.token !== undefined && state.token.value === token && state.token.expiresAt > now
}

export function createGateway({ config, state, now, routes }: GatewayOptions) {
  const e = dingtalkErrors

  function guard(route: Route, req: IncomingMessage, url: URL): DingTalkReply | undefined {
    const api = route.generation === 'api'
    const ip = clientIp(req)
    const { allowedIps, appKey, qpsLimit } = config.dingtalk
    if (allowedIps.length > 0 && !allowedIps.includes(ip)) {
      return api ? e.ipNotInWhiteList(ip, appKey) : e.legacyIpNotInWhiteList(ip, appKey)
    }
    const key = `${route.method} ${route.path}`
    if (!takeSlot(state.qps, key, qpsLimit, now())) return api ? e.qpsLimit() : e.legacyQpsLimit()
    if (route.tokenEndpoint) return undefined
    if (api) {
      // the new API reads the header only; ?access_token= or Authorization count as missing
      const token = req.headers['x-acs-dingtalk-access-token']
      if (typeof token !== 'string' || token === '') return e.missingToken()
      if (!tokenValid(state, token, now())) return e.invalidToken()
    } else {
      const token = url.searchParams.get('access_token')
      if (!token) return e.legacyMissingToken()
      if (!tokenValid(state, token, now())) return e.legacyInvalidToken()
    }
    const month = quotaMonth(now())
    const counts = state.calls.get(month) ?? new Map<string, number>()
    counts.set(key, (counts.get(key) ?? 0) + 1)
    state.calls.set(month, counts)
    return undefined
  }

  return async function handleDingTalk(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const down = state.faults.dingtalkDown
    if (down === 'reset') {
      req.socket.destroy()
      return
    }
    if (down === 'hang') return // the connection stays open until the client gives up or we close
    const generation = generationOf(url.pathname)
    if (down === '503') {
      const reply = generation === 'api' ? e.unavailable() : e.legacyUnavailable()
      return sendJson(res, reply.status, reply.body)
    }
    const route = routes.find((r) => r.method === req.method && r.path === url.pathname)
    if (!route) {
      const reply = generation === 'api' ? e.notFound() : e.legacyInvalidMethod(url.pathname)
      return sendJson(res, reply.status, reply.body)
    }
    const refused = guard(route, req, url)
    if (refused) return sendJson(res, refused.status, refused.body)
    const body = req.method === 'POST' ? await readBody(req, BODY_LIMIT) : Buffer.alloc(0)
    const reply = await route.handle({ url, body, req })
    sendJson(res, reply.status, reply.body)
  }
}
