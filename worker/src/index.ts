// The licensedesk worker: wires the routes, the error boundary and the cron handler. Nothing else.
import { Hono } from 'hono'
import { runScheduled } from './cron.ts'
import type { AppEnv, Bindings } from './env.ts'
import { NotFoundError } from './errors.ts'
import { errorResponse, requestContext, withConfig } from './http.ts'
import { adminApi } from './routes/admin/api.ts'
import { adminPage } from './routes/admin/page.ts'
import { applicationLicense } from './routes/application-license.ts'
import { applications } from './routes/applications.ts'
import { config } from './routes/config.ts'
import { health } from './routes/health.ts'
import { internalEvents } from './routes/internal-events.ts'
import { internalProxyCheck } from './routes/internal-proxy-check.ts'
import { wellKnown } from './routes/jwks.ts'
import { pages } from './routes/pages.ts'
import { qr } from './routes/qr.ts'
import { renewals } from './routes/renewals.ts'
import { pickups } from './routes/pickups.ts'
import { apiSecurityHeaders } from './security-headers.ts'

const app = new Hono<AppEnv>()
  .use(apiSecurityHeaders())
  .use(requestContext())
  .use(withConfig())
  .route('/api/applications', applications)
  .route('/api/applications', applicationLicense)
  .route('/api/config', config)
  .route('/api/renewals', renewals)
  .route('/api/pickups', pickups)
  .route('/api/health', health)
  .route('/api/qr', qr)
  .route('/.well-known', wellKnown)
  .route('/internal/events', internalEvents)
  .route('/internal/proxy-check', internalProxyCheck)
  // The operator console, behind Cloudflare Access (docs/console.md).
  .route('/admin', adminPage)
  .route('/api/admin', adminApi)
  // The apply and status pages, pre-rendered, with their settings inlined.
  .route('/', pages)

app.onError(errorResponse)
app.notFound((c) => errorResponse(new NotFoundError(), c))

export type AppType = typeof app

export default {
  fetch: app.fetch,
  scheduled: (controller, env) => runScheduled(controller, env),
} satisfies ExportedHandler<Bindings>
