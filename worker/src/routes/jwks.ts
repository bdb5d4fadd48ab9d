// GET /.well-known/jwks.json: the license public keys (current signing key + LICENSE_PUBLIC_JWKS).
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { sha256Hex } from '../ids.ts'

export const wellKnown = new Hono<AppEnv>().get('/jwks.json', async (c) => {
  const { jwksJson } = c.var.config
  const etag = `"${(await sha256Hex(jwksJson)).slice(0, 32)}"`
  c.header('Cache-Control', 'public, max-age=300')
  c.header('ETag', etag)
  if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === etag)) return c.body(null, 304)
  return c.body(jwksJson, 200, { 'Content-Type': 'application/json; charset=utf-8' })
})
