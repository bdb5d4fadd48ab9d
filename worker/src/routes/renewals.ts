// /api/renewals: the renewal link's prefill (docs/renewal.md). `GET /:licenseId?t=<token>` answers
// the license's terms and customer for the apply page; a wrong token is a plain 404, like a status link.
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { NotFoundError, RenewalError } from '../errors.ts'
import { renewalPrefill, resolveRenewal } from '../renewal/check.ts'

export const renewals = new Hono<AppEnv>().get('/:licenseId', async (c) => {
  const claim = { licenseId: c.req.param('licenseId'), token: c.req.query('t') ?? '' }
  const renewable = await resolveRenewal(c.env.DB, c.var.config, claim).catch((err) => {
    throw err instanceof RenewalError && err.code === 'RENEWAL_INVALID' ? new NotFoundError('no such license, or the link is incomplete') : err
  })
  c.header('Cache-Control', 'no-store')
  return c.json(renewalPrefill(c.var.config, renewable, Date.now()))
})
