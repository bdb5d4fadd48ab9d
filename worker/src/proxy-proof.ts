// Calls from the egress proxy (events, heartbeats) carry a one-time proof over the exact body
// bytes, signed with the proxy's key (docs/architecture.md, "Proxy → worker"): checked here, once.
import type { Context } from 'hono'
import { PROOF_HEADER, verifyProof, WORKER_AUDIENCE } from '../../proof/src/index.ts'
import { d1ReplayStore } from './db/seen-proofs.ts'
import type { AppEnv } from './env.ts'

/** The request body, once its proof verified (a ProofError, answered 401, otherwise). */
export async function bodySignedByProxy(c: Context<AppEnv>): Promise<Uint8Array> {
  const body = new Uint8Array(await c.req.arrayBuffer())
  const url = new URL(c.req.url)
  await verifyProof(c.req.header(PROOF_HEADER), {
    keys: c.var.config.proxyPublicKeys,
    aud: WORKER_AUDIENCE,
    method: c.req.method,
    target: `${url.pathname}${url.search}`,
    body,
    replay: d1ReplayStore(c.env.DB),
  })
  return body
}
