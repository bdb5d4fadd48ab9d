// GET /admin and /admin/*: the operator console's page behind the Access guard. The Vue build's
// admin/index.html, fetched from the static assets only after the guard passed; the console routes
// itself on the client. Assets fetched through the binding do not get `_headers`, so the page's
// CSP is set here (the other security headers come from apiSecurityHeaders).
import { Hono, type Context } from 'hono'
import type { StaffEnv } from '../../env.ts'
import { CONSOLE_CSP, cspValue } from '../../security-headers.ts'
import { requireStaff } from './guard.ts'

/**
 * Where the build puts the console's page. `/admin/` rather than `/admin/index.html`: the assets'
 * default html_handling (auto-trailing-slash) answers the latter with a redirect to the former.
 */
export const CONSOLE_PAGE_PATH = '/admin/'

async function consolePage(c: Context<StaffEnv>): Promise<Response> {
  const built = await c.env.ASSETS?.fetch(new URL(CONSOLE_PAGE_PATH, c.req.url))
  if (!built?.ok) throw new Error(`the console page ${CONSOLE_PAGE_PATH} is not in the static assets (npm run build): ${built?.status}`)
  c.header('Content-Security-Policy', cspValue(CONSOLE_CSP))
  return c.html(await built.text())
}

export const adminPage = new Hono<StaffEnv>().use(requireStaff()).get('/', consolePage).get('/*', consolePage)
