import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  createProof,
  generateEd25519Jwk,
  importPublicKeys,
  importSigningKey,
  MemoryReplayStore,
  PROXY_AUDIENCE,
  verifyProof,
  WORKER_AUDIENCE,
} from '../../../proof/src/index.ts'
import { BASE, call, readJson, row } from '../../test/helpers.ts'

const PATH = '/internal/proxy-check'

function heartbeat(overrides: Record<string, unknown> = {}) {
  return { nonce: crypto.randomUUID().replaceAll('-', ''), proxyId: `proxy-${crypto.randomUUID().slice(0, 8)}`, egressAddress: '127.0.0.2', events: 'stream', ready: true, ...overrides }
}

async function checkRequest(body: unknown, options: { key?: string; sign?: boolean; jti?: string } = {}): Promise<Request> {
  const text = JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.sign !== false) {
    const key = await importSigningKey(options.key ?? env.TEST_PROXY_PRIVATE_JWK)
    headers.proof = await createProof({ key, aud: WORKER_AUDIENCE, method: 'POST', target: PATH, body: text, jti: options.jti })
  }
  return new Request(`${BASE}${PATH}`, { method: 'POST', headers, body: text })
}

type ProxyRow = { id: string; egress_address: string | null; events: string; ready: number; last_seen_at: number; started_at: number }

describe('POST /internal/proxy-check', () => {
  it('answers a signed heartbeat with its nonce and a proof by the worker key over the exact answer, and records the proxy', async () => {
    const beat = heartbeat()
    const before = Date.now()
    const response = await call(await checkRequest(beat))
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ nonce: beat.nonce, worker: 'licensedesk' })
    const claims = await verifyProof(response.headers.get('licensedesk-proof'), {
      keys: await importPublicKeys(env.TEST_WORKER_PUBLIC_JWK),
      aud: PROXY_AUDIENCE,
      method: 'POST',
      target: PATH,
      body: text,
      replay: new MemoryReplayStore(),
    })
    expect(claims.htu).toBe(PATH)

    const stored = await row<ProxyRow>('SELECT * FROM proxies WHERE id = ?1', beat.proxyId)
    expect(stored).toMatchObject({ egress_address: '127.0.0.2', events: 'stream', ready: 1 })
    expect(stored!.last_seen_at).toBeGreaterThanOrEqual(before)
    expect(stored!.started_at).toBe(stored!.last_seen_at)
  })

  it('updates the row on the next heartbeat and keeps when it was first seen', async () => {
    const beat = heartbeat()
    await call(await checkRequest(beat))
    const first = await row<ProxyRow>('SELECT * FROM proxies WHERE id = ?1', beat.proxyId)
    await new Promise((r) => setTimeout(r, 5))
    expect((await call(await checkRequest({ ...beat, nonce: 'second-nonce-123', ready: false, events: 'http', egressAddress: null }))).status).toBe(200)
    const second = await row<ProxyRow>('SELECT * FROM proxies WHERE id = ?1', beat.proxyId)
    expect(second).toMatchObject({ ready: 0, events: 'http', egress_address: null, started_at: first!.started_at })
    expect(second!.last_seen_at).toBeGreaterThan(first!.last_seen_at)
  })

  it('refuses an unsigned heartbeat with 401 PROOF_MISSING and records nothing', async () => {
    const beat = heartbeat()
    const response = await call(await checkRequest(beat, { sign: false }))
    expect(response.status).toBe(401)
    expect((await readJson(response)).error.code).toBe('PROOF_MISSING')
    expect(response.headers.get('licensedesk-proof')).toBeNull()
    expect(await row('SELECT * FROM proxies WHERE id = ?1', beat.proxyId)).toBeNull()
  })

  it('refuses a proxy key it does not trust with 401 PROOF_UNKNOWN_KEY', async () => {
    const stranger = await generateEd25519Jwk()
    const response = await call(await checkRequest(heartbeat(), { key: JSON.stringify(stranger.privateJwk) }))
    expect(response.status).toBe(401)
    expect((await readJson(response)).error.code).toBe('PROOF_UNKNOWN_KEY')
  })

  it('refuses a replayed heartbeat with 401 PROOF_REPLAYED', async () => {
    const beat = heartbeat()
    const first = await checkRequest(beat)
    const replay = new Request(first.url, { method: 'POST', headers: first.headers, body: JSON.stringify(beat) })
    expect((await call(first)).status).toBe(200)
    const response = await call(replay)
    expect(response.status).toBe(401)
    expect((await readJson(response)).error.code).toBe('PROOF_REPLAYED')
  })

  it('refuses a signed body that is not a heartbeat with 400 INVALID_JSON', async () => {
    for (const bad of [heartbeat({ events: 'carrier-pigeon' }), heartbeat({ ready: 'yes' }), heartbeat({ proxyId: 'a b' }), heartbeat({ nonce: 'x' })]) {
      const response = await call(await checkRequest(bad))
      expect(response.status).toBe(400)
      expect((await readJson(response)).error.code).toBe('INVALID_JSON')
    }
  })
})
