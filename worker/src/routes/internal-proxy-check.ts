// POST /internal/proxy-check: an egress proxy's readiness round trip and heartbeat (docs/architecture.md,
// "Readiness"). The proxy's proof is checked over the exact body bytes; the answer carries a proof made
// with the worker key over the exact answer bytes, so the proxy learns that both keys are paired.
import { Hono } from 'hono'
import { resolveIfFiring } from '../alerts/store.ts'
import { createProof, PROXY_AUDIENCE } from '../../../proof/src/index.ts'
import { bodySignedByProxy } from '../proxy-proof.ts'
import { decodeUtf8, limitBody, parseJsonObject } from '../body.ts'
import { onProxyHeartbeat } from '../backlog.ts'
import { recordProxyHeartbeat, type ProxyHeartbeat } from '../db/proxies.ts'
import type { AppEnv } from '../env.ts'
import { InvalidJsonError } from '../errors.ts'

/** Header carrying the worker's proof over its answer (stable; egress-proxy/src/worker-check.ts). */
export const RESPONSE_PROOF_HEADER = 'licensedesk-proof'

const PROXY_ID = /^[A-Za-z0-9._-]{1,64}$/
const NONCE = /^[A-Za-z0-9_-]{8,128}$/

function parseHeartbeat(json: Record<string, unknown>): (ProxyHeartbeat & { nonce: string }) | string {
  const { nonce, proxyId, egressAddress, events, ready } = json
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) return 'nonce must be 8-128 base64url characters'
  if (typeof proxyId !== 'string' || !PROXY_ID.test(proxyId)) return 'proxyId must be 1-64 letters, digits, dots, dashes or underscores'
  if (egressAddress !== null && (typeof egressAddress !== 'string' || egressAddress.length > 64)) return 'egressAddress must be an address or null'
  if (events !== 'stream' && events !== 'http') return "events must be 'stream' or 'http'"
  if (typeof ready !== 'boolean') return 'ready must be a boolean'
  return { nonce, proxyId, egressAddress, events, ready }
}

export const internalProxyCheck = new Hono<AppEnv>().post('/', limitBody(), async (c) => {
  const { config, log } = c.var
  const body = await bodySignedByProxy(c)
  const parsed = parseHeartbeat(parseJsonObject(decodeUtf8(body)))
  if (typeof parsed === 'string') throw new InvalidJsonError(parsed)
  const { nonce, ...heartbeat } = parsed
  const now = Date.now()
  await recordProxyHeartbeat(c.env.DB, heartbeat, now)
  log.info('proxy heartbeat', { ...heartbeat })
  // A ready proxy ends a "no ready proxy" alert at once, not at the next cron run.
  if (heartbeat.ready) await resolveIfFiring({ db: c.env.DB, config, log }, { code: 'PROXY_NONE_READY', now })
  // A ready proxy while submissions wait (an outage just ended): submit them now, not at the next cron.
  await onProxyHeartbeat(
    { db: c.env.DB, config, log, env: c.env, now, waitUntil: (work) => c.executionCtx.waitUntil(work) },
    { proxyId: heartbeat.proxyId, ready: heartbeat.ready },
  )

  const answer = JSON.stringify({ nonce, worker: 'licensedesk' })
  const proof = await createProof({ key: config.workerSigningKey, aud: PROXY_AUDIENCE, method: 'POST', target: new URL(c.req.url).pathname, body: answer, now })
  return c.body(answer, 200, { 'content-type': 'application/json', [RESPONSE_PROOF_HEADER]: proof, 'cache-control': 'no-store' })
})
