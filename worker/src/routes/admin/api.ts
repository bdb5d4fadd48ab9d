// /api/admin: the console's JSON API behind the Access guard. For now only the two proof points of
// the guard (docs/api.md, "Operator console"); the console's real endpoints come later.
import { Hono } from 'hono'
import { limitBody, parseJsonObject } from '../../body.ts'
import type { StaffEnv } from '../../env.ts'
import { guardActions, requireStaff } from './guard.ts'

export const adminApi = new Hono<StaffEnv>()
  .use(requireStaff())
  .use(guardActions())
  // Who the worker believes is signed in, as the console page will show it.
  .get('/me', (c) => c.json({ email: c.var.staff.email, role: c.var.staff.role }))
  // An operator-only action that changes nothing: proves the action guard end to end.
  .post('/ping', limitBody(), async (c) => {
    parseJsonObject(await c.req.text())
    return c.json({ pong: true, by: c.var.staff.email })
  })
