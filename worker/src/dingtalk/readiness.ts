// The worker's view of each egress proxy: a GET /readyz signed with the worker key. A proxy that
// accepts the proof answers with its checks (token, worker round trip, events, drain); one that
// does not (its WORKER_PUBLIC_JWK lacks the worker's key, or the clocks disagree) answers as to a
// stranger, with `{ok}` only. Read once a run by the alert rules (alerts/rules.ts).
import { createProof, PROOF_HEADER, PROXY_AUDIENCE, type SigningKey } from '../../../proof/src/index.ts'

export type ProxyView =
  | { proxy: string; reachable: false; error: string }
  | { proxy: string; reachable: true; status: number; answeredAsProxy: boolean; acceptedProof: boolean; ok: boolean; checks: Record<string, string> }

export type ProbeOptions = {
  egressUrls: readonly string[]
  signingKey: SigningKey
  fetch?: (input: string, init: RequestInit) => Promise<Response>
  now?: () => number
  timeoutMs?: number
}

/** The codes with which a proxy's readiness says the two keys are not paired. */
export const KEY_MISMATCH_CHECKS = new Set(['WORKER_KEY_MISMATCH', 'PROXY_KEY_UNKNOWN_TO_WORKER'])

export async function probeProxies(options: ProbeOptions): Promise<ProxyView[]> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  return Promise.all(
    options.egressUrls.map(async (base): Promise<ProxyView> => {
      const proxy = new URL(base).host
      try {
        const proof = await createProof({ key: options.signingKey, aud: PROXY_AUDIENCE, method: 'GET', target: '/readyz', now: (options.now ?? Date.now)() })
        const response = await doFetch(`${base}/readyz`, {
          method: 'GET',
          headers: { [PROOF_HEADER]: proof, accept: 'application/json' },
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        })
        const body = (await response.json().catch(() => null)) as { ok?: unknown; checks?: unknown } | null
        const checks = body?.checks && typeof body.checks === 'object' ? (body.checks as Record<string, string>) : null
        const answeredAsProxy = typeof body?.ok === 'boolean'
        return { proxy, reachable: true, status: response.status, answeredAsProxy, acceptedProof: checks !== null, ok: body?.ok === true, checks: checks ?? {} }
      } catch (err) {
        return { proxy, reachable: false, error: err instanceof Error ? err.message : String(err) }
      }
    }),
  )
}

/** Whether a view shows the keys unpaired (only a proxy that answered can say). */
export function showsKeyMismatch(view: ProxyView): boolean {
  if (!view.reachable) return false
  // The proxy's own answer to /readyz without checks: the signed proof was not accepted.
  if (!view.acceptedProof) return view.answeredAsProxy
  return Object.values(view.checks).some((code) => KEY_MISMATCH_CHECKS.has(code))
}
