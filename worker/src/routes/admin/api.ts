// /api/admin: the console's JSON API behind the Access guard (docs/api.md, "Admin API"): the guard's
// two proof points, the read API of the console's views and its actions (actions.ts).
import { Hono } from 'hono'
import { limitBody, readJsonObject } from '../../body.ts'
import type { StaffEnv } from '../../env.ts'
import { adminActions, adminLicenseActions } from './actions.ts'
import { adminApplications } from './applications.ts'
import { adminAttention } from './attention.ts'
import { guardActions, requireStaff } from './guard.ts'
import { adminHealth } from './health.ts'
import { adminLicenses } from './licenses.ts'
import { adminProducts } from './products.ts'

export const adminApi = new Hono<StaffEnv>()
  .use(requireStaff())
  .use(guardActions())
  // Who the worker believes is signed in, as the console page will show it.
  .get('/me', (c) => c.json({ email: c.var.staff.email, role: c.var.staff.role }))
  // An operator-only action that changes nothing: proves the action guard end to end.
  .post('/ping', limitBody(), async (c) => {
    await readJsonObject(c)
    return c.json({ pong: true, by: c.var.staff.email })
  })
  .route('/applications', adminApplications)
  .route('/applications', adminActions)
  .route('/attention', adminAttention)
  .route('/health', adminHealth)
  .route('/', adminLicenses)
  .route('/licenses', adminLicenseActions)
  .route('/products', adminProducts)
