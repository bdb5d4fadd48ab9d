// The JWK Set served at /.well-known/jwks.json and embedded in products: the public halves of
// every still-trusted license key, deduplicated by kid, never a private part (key-rotation.md).
import type { JSONWebKeySet, JWK } from 'jose'
import { assertEd25519, publicMembers, readJwks, thumbprintKid, type JwkInput } from './jwk.ts'

/**
 * Builds the public JWK Set from keys in any form: private or public JWKs, JWK Sets, JSON text
 * of either (e.g. `[env.LICENSE_PRIVATE_JWK, env.LICENSE_PUBLIC_JWKS]`). Kept in first-seen order.
 */
export async function buildJwks(inputs: readonly JwkInput[]): Promise<JSONWebKeySet> {
  const byKid = new Map<string, JWK>()
  for (const [index, input] of inputs.entries()) {
    for (const jwk of readJwks(input, `JWKS entry #${index + 1}`)) {
      const what = `JWKS entry #${index + 1} (${jwk.kid ?? 'no kid'})`
      assertEd25519(jwk, what, false)
      const kid = await thumbprintKid(jwk, what)
      if (!byKid.has(kid)) byKid.set(kid, publicMembers(jwk, kid))
    }
  }
  return { keys: [...byKid.values()] }
}
