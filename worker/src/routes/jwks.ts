// GET /.well-known/jwks.json: the license public keys (current signing key + LICENSE_PUBLIC_JWKS).
// GET /.well-known/license-revocations.jwt: every revoked license, signed now with the current
// license key (docs/license-format.md, "Revocation list").
import { Hono } from 'hono'
import { signRevocationList } from '../../../license/src/index.ts'
import { listRevokedLicenses } from '../db/licenses.ts'
import type { AppEnv } from '../env.ts'
import { sha256Hex } from '../ids.ts'

/** How long a cache (the edge's, a product's) may keep either document. */
const MAX_AGE_SECONDS = 300

export const wellKnown = new Hono<AppEnv>()
  .get('/jwks.json', async (c) => {
    const { jwksJson } = c.var.config
    const etag = `"${(await sha256Hex(jwksJson)).slice(0, 32)}"`
    c.header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`)
    c.header('ETag', etag)
    if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === etag)) return c.body(null, 304)
    return c.body(jwksJson, 200, { 'Content-Type': 'application/json; charset=utf-8' })
  })
  .get('/license-revocations.jwt', async (c) => {
    const { config } = c.var
    const revoked = await listRevokedLicenses(c.env.DB)
    // Signed per request, so `iat` says how fresh it is (a product's maximum age counts from it);
    // a revocation reaches products within MAX_AGE_SECONDS of the edge's cache.
    const list = await signRevocationList(
      { iss: config.publicOrigin, revoked: revoked.map((r) => ({ sub: r.id, revokedAt: r.revokedAt })) },
      config.licenseSigningKey,
      { now: Date.now() },
    )
    c.header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`)
    return c.body(`${list}\n`, 200, { 'Content-Type': 'application/jwt' })
  })
