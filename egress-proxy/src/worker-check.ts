// Readiness round trip with the worker: `POST {WORKER_URL}/internal/proxy-check`, signed with the proxy
// key, answered with a proof made by the worker key over the exact answer bytes. It proves both keys
// are paired and that WORKER_URL is licensedesk, and doubles as the heartbeat the worker records.
import { randomBytes } from 'node:crypto'
import type { Dispatcher } from 'undici'
import {
  createProof,
  MemoryReplayStore,
  PROOF_HEADER,
  PROXY_AUDIENCE,
  verifyProof,
  WORKER_AUDIENCE,
  type PublicKeySet,
  type SigningKey,
} from '../../proof/src/index.ts'
import type { EventsMode } from './config.ts'
import type { FetchLike } from './egress.ts'
import type { ReadinessCode } from './errors.ts'

/** Header carrying the worker's proof over its answer (stable). */
export const RESPONSE_PROOF_HEADER = 'licensedesk-proof'

/** The body the proxy sends (stable contract with worker/src/routes/internal-proxy-check.ts). */
export type Heartbeat = {
  nonce: string
  proxyId: string
  egressAddress: string | null
  events: EventsMode
  /** The proxy's own readiness apart from this check (token, events, not draining). */
  ready: boolean
}

export type WorkerCheckOptions = {
  workerUrl: URL
  proxyKey: SigningKey
  workerKeys: PublicKeySet
  fetch: FetchLike
  dispatcher?: Dispatcher
  now: () => number
  timeoutMs?: number
  nonce?: () => string
}

/** `/internal/proxy-check` under the worker URL's own path. */
export function proxyCheckPath(workerUrl: URL): string {
  return `${workerUrl.pathname.replace(/\/+$/, '')}/internal/proxy-check`
}

function parse(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** 'ok', or the code naming which side of the seam is wrong. */
export async function checkWorker(options: WorkerCheckOptions, beat: Omit<Heartbeat, 'nonce'>): Promise<'ok' | ReadinessCode> {
  const nonce = options.nonce?.() ?? randomBytes(16).toString('base64url')
  const target = proxyCheckPath(options.workerUrl)
  const body = Buffer.from(JSON.stringify({ nonce, ...beat } satisfies Heartbeat))
  const proof = await createProof({ key: options.proxyKey, aud: WORKER_AUDIENCE, method: 'POST', target, body, now: options.now() })
  let status: number
  let answer: Uint8Array
  let answerProof: string | null
  try {
    const response = await options.fetch(new URL(target, options.workerUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROOF_HEADER]: proof },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
      dispatcher: options.dispatcher,
    })
    status = response.status
    answerProof = response.headers.get(RESPONSE_PROOF_HEADER)
    answer = new Uint8Array(await response.arrayBuffer())
  } catch {
    return 'WORKER_UNREACHABLE'
  }
  const json = parse(answer)
  const error = json?.error as { code?: unknown } | undefined
  if (status === 401 && typeof error?.code === 'string' && error.code.startsWith('PROOF_')) return 'PROXY_KEY_UNKNOWN_TO_WORKER'
  if (status !== 200 || json?.worker !== 'licensedesk' || json.nonce !== nonce) return 'WORKER_NOT_LICENSEDESK'
  try {
    await verifyProof(answerProof, {
      keys: options.workerKeys,
      aud: PROXY_AUDIENCE,
      method: 'POST',
      target,
      body: answer,
      replay: new MemoryReplayStore({ now: options.now }),
      now: options.now(),
    })
  } catch {
    return 'WORKER_KEY_MISMATCH'
  }
  return 'ok'
}
