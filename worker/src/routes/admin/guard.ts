// The console's door, in front of every /admin and /api/admin route: a verified Cloudflare Access
// token naming a person on the staff lists or in a staff group (c.var.staff), and for anything that
// changes state an operator, a request from the console's own origin, and a JSON body.
import type { MiddlewareHandler } from 'hono'
import { resolveRole } from '../../access-identity.ts'
import { ACCESS_HEADER, accessKeysFor, verifyAccessToken } from '../../access.ts'
import { requireJson } from '../../body.ts'
import type { StaffEnv } from '../../env.ts'
import { AccessError, CrossSiteError, OperatorRequiredError } from '../../errors.ts'

/** 401 ACCESS_REQUIRED / ACCESS_INVALID, 403 ACCESS_FORBIDDEN, 503 ACCESS_UNAVAILABLE; else sets `staff`. */
export const requireStaff = (): MiddlewareHandler<StaffEnv> => async (c, next) => {
  const { access } = c.var.config
  const refuse = (err: AccessError, detail: Record<string, unknown> = {}) => {
    c.var.log.info('console access refused', { code: err.code, reason: err.reason, ...detail })
    return err
  }
  const token = c.req.header(ACCESS_HEADER)
  const now = Date.now()
  let identity, role
  try {
    identity = await verifyAccessToken(token, accessKeysFor(access.certsUrl), { teamDomain: access.teamDomain, aud: access.aud, now })
    const { email } = identity
    // A service token has no email: it is not a person on the staff.
    role = email && token ? await resolveRole({ identity: { ...identity, email }, token, lists: access, now, log: c.var.log }) : null
  } catch (err) {
    throw err instanceof AccessError ? refuse(err) : err
  }
  if (!identity.email || !role) throw refuse(new AccessError('ACCESS_FORBIDDEN', { reason: identity.email ? 'not on the staff lists or groups' : 'no email' }), { email: identity.email })
  c.set('staff', Object.freeze({ email: identity.email, role }))
  await next()
  // What the console shows is for this person only.
  c.header('Cache-Control', 'no-store')
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Every state-changing console request: `Origin` must be the console's (a page elsewhere cannot
 * make the browser act; JSON-only rules out plain form posts), and the person an operator.
 */
export const guardActions = (): MiddlewareHandler<StaffEnv> => async (c, next) => {
  if (!SAFE_METHODS.has(c.req.method)) {
    if (c.req.header('origin') !== c.var.config.access.consoleOrigin) throw new CrossSiteError()
    if (c.var.staff.role !== 'operator') throw new OperatorRequiredError()
    requireJson(c)
  }
  await next()
}
