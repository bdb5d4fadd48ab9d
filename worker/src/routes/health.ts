// GET /api/health: liveness for the egress proxy's readiness check and monitors. 200 when the
// config loads and D1 answers; otherwise the error boundary's 500.
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'

export const health = new Hono<AppEnv>().get('/', async (c) => {
  await c.env.DB.prepare('SELECT 1').first()
  c.header('Cache-Control', 'no-store')
  return c.json({ status: 'ok' })
})
