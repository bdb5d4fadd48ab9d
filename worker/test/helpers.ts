// Helpers for the worker integration tests: call the worker with an execution context (and wait
// for its waitUntil work), run the cron, sign events as the proxy, and read the D1 state.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { createProof, importSigningKey, REQUEST_ID_HEADER, WORKER_AUDIENCE } from '../../proof/src/index.ts'
import worker from '../src/index.ts'

export const BASE = 'http://localhost:8787'

/** Sends a request through the worker and waits for what it deferred with waitUntil. */
export async function call(request: Request, bindings: Cloudflare.Env = env): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await worker.fetch(request, bindings, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

export async function runCron(scheduledTime: number, bindings: Cloudflare.Env = env): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '* * * * *' }), bindings)
}

export function validApplication(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Li Lei',
    company: 'Example Co.',
    email: `li.lei+${crypto.randomUUID().slice(0, 8)}@example.com`,
    phone: '+86 138 0000 0000',
    featureCode: `HM${crypto.randomUUID().replaceAll('-', '').toUpperCase()}`,
    quantity: 5,
    validityDays: 90,
    note: 'for the lab',
    locale: 'en',
    ...overrides,
  }
}

/** POST /api/applications from a fresh client IP (so the rate limit stays out of the way). */
export function submit(body: unknown, headers: Record<string, string> = {}, bindings: Cloudflare.Env = env): Promise<Response> {
  return call(
    new Request(`${BASE}/api/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.0.${rand()}.${rand()}`, ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
    }),
    bindings,
  )
}

const rand = () => Math.floor(Math.random() * 250) + 1

export type ProofOverrides = { aud?: string; method?: string; target?: string; proofBody?: string; now?: number; jti?: string; key?: string }

/** POST /internal/events signed with the proxy's key, as the egress proxy sends it. */
export async function eventRequest(event: unknown, overrides: ProofOverrides = {}): Promise<Request> {
  const body = JSON.stringify(event)
  const proof = await createProof({
    key: await importSigningKey(overrides.key ?? env.TEST_PROXY_PRIVATE_JWK),
    aud: overrides.aud ?? WORKER_AUDIENCE,
    method: overrides.method ?? 'POST',
    target: overrides.target ?? '/internal/events',
    body: overrides.proofBody ?? body,
    now: overrides.now,
    jti: overrides.jti,
  })
  return new Request(`${BASE}/internal/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', proof, [REQUEST_ID_HEADER]: `test-${crypto.randomUUID()}` },
    body,
  })
}

export function finishEvent(instanceId: string, result: 'agree' | 'refuse', eventId?: string) {
  return {
    EventType: 'bpms_instance_change',
    processInstanceId: instanceId,
    type: 'finish',
    result,
    corpId: 'dingtest',
    createTime: Date.now() - 60_000,
    finishTime: Date.now(),
    ...(eventId ? { eventId } : {}),
  }
}

export async function row<T = Record<string, unknown>>(sql: string, ...binds: unknown[]): Promise<T | null> {
  return env.DB.prepare(sql).bind(...binds).first<T>()
}

export async function rows<T = Record<string, unknown>>(sql: string, ...binds: unknown[]): Promise<T[]> {
  return (await env.DB.prepare(sql).bind(...binds).all<T>()).results
}

export const tokenOf = (statusUrl: string): string => new URL(statusUrl).searchParams.get('t') ?? ''

export async function readJson<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T
}

export type AlertRow = { code: string; subject: string; state: string; fires: number; occurrences: number; details: string }
export type NoticeRow = { id: string; code: string; subject: string; kind: string; channel: string; status: string }

/** The alert (code, subject) as stored, or null. */
export const alertOf = (code: string, subject = '') => row<AlertRow>('SELECT * FROM alerts WHERE code = ?1 AND subject = ?2', code, subject)
/** Its notices, oldest first. */
export const noticesOf = (code: string, subject = '') =>
  rows<NoticeRow>('SELECT * FROM alert_notices WHERE code = ?1 AND subject = ?2 ORDER BY created_at, id', code, subject)
