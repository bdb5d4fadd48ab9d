// Proxy → worker: forwards one decrypted DingTalk event to `POST {WORKER_URL}/internal/events`,
// signed with the proxy's key (audience licensedesk-worker), body bytes unchanged.
import { randomUUID } from 'node:crypto'
import type { Dispatcher } from 'undici'
import { createProof, PROOF_HEADER, REQUEST_ID_HEADER, WORKER_AUDIENCE, type SigningKey } from '../../proof/src/index.ts'
import type { FetchLike } from './egress.ts'
import { WorkerUnavailableError } from './errors.ts'

export type WorkerClientOptions = {
  workerUrl: URL
  key: SigningKey
  fetch: FetchLike
  dispatcher?: Dispatcher
  now: () => number
  /** DingTalk waits 1.5–2.5 s for its answer (dingtalk.md §4.4). */
  timeoutMs?: number
}

/** `/internal/events` under the worker URL's own path, e.g. `/base/internal/events`. */
export function eventsPath(workerUrl: URL): string {
  return `${workerUrl.pathname.replace(/\/+$/, '')}/internal/events`
}

export type ForwardResult = { status: number; requestId: string }

/** Resolves on a 2xx; throws WorkerUnavailableError on any other status, a timeout or a network error. */
export async function forwardEvent(options: WorkerClientOptions, body: Buffer, requestId = randomUUID()): Promise<ForwardResult> {
  const target = eventsPath(options.workerUrl)
  const proof = await createProof({ key: options.key, aud: WORKER_AUDIENCE, method: 'POST', target, body, now: options.now() })
  let response: Awaited<ReturnType<FetchLike>>
  try {
    response = await options.fetch(new URL(target, options.workerUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROOF_HEADER]: proof, [REQUEST_ID_HEADER]: requestId },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
      dispatcher: options.dispatcher,
    })
  } catch (cause) {
    const what = (cause as Error)?.name === 'TimeoutError' ? 'did not answer in time' : 'cannot be reached'
    throw new WorkerUnavailableError(`the worker ${what}`, { cause })
  }
  await response.arrayBuffer().catch(() => undefined)
  if (response.status < 200 || response.status > 299) {
    throw new WorkerUnavailableError(`the worker answered ${response.status}`)
  }
  return { status: response.status, requestId }
}
