// GET /api/admin/applications (search, newest first, keyset pages) and /api/admin/applications/:id
// (everything about one). Behind the Access guard of api.ts; docs/api.md, "Admin API".
import { Hono } from 'hono'
import { getApplicationDetail, readSearchTerm, searchApplications } from '../../db/admin-applications.ts'
import { STATUSES } from '../../db/applications.ts'
import type { StaffEnv } from '../../env.ts'
import { NotFoundError, ValidationError } from '../../errors.ts'
import { encodeCursor, Params } from './params.ts'
import { redactSecrets } from './redact.ts'

export const LIST_LIMIT = { default: 50, max: 200 } as const

export const adminApplications = new Hono<StaffEnv>()
  .get('/', async (c) => {
    const p = new Params(new URL(c.req.url).searchParams, ['q', 'status', 'product', 'from', 'to', 'cursor', 'limit'])
    const q = p.text('q')
    const status = p.oneOf('status', STATUSES)
    const product = p.oneOf('product', [...c.var.config.products.keys()])
    const from = p.date('from')
    const to = p.date('to', true)
    const cursor = p.cursor()
    const limit = p.integer('limit', 1, LIST_LIMIT.max, LIST_LIMIT.default)
    if (from !== undefined && to !== undefined && from >= to) p.fields.to = 'OUT_OF_RANGE'
    p.done()
    const page = await searchApplications(c.env.DB, { q: q === undefined ? undefined : readSearchTerm(q), status, product, from, to, cursor, limit })
    return c.json({ items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null })
  })
  .get('/:id', async (c) => {
    const id = c.req.param('id')
    if (!/^LD-[0-9A-Z]{1,32}$/.test(id)) throw new ValidationError({ id: 'INVALID_FORMAT' })
    const detail = await getApplicationDetail(c.env.DB, id)
    if (!detail) throw new NotFoundError('no such application')
    return c.json({
      ...detail,
      events: detail.events.map((e) => ({
        id: e.id,
        type: e.type,
        fromStatus: e.fromStatus,
        toStatus: e.toStatus,
        source: e.source,
        createdAt: e.createdAt,
        data: redactSecrets(e.data),
      })),
    })
  })
