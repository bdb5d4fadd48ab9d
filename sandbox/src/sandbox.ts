// Builds the sandbox: one node:http server that routes to the DingTalk emulator, the Resend
// mailbox, the pages and the control API. `main.ts` only reads config and listens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import pino, { type Logger } from 'pino'
import { createAccess, type Access } from './access/access.ts'
import { createFrontDoor } from './access/front-door.ts'
import { createApprovals } from './approvals.ts'
import type { SandboxConfig } from './config.ts'
import { defineSandboxConfig } from './config.ts'
import { createControlApi } from './control-api.ts'
import { createGateway } from './dingtalk-gateway.ts'
import { dingtalkRoutes } from './dingtalk-routes.ts'
import { SandboxError } from './errors.ts'
import { BodyTooLargeError, isCrossSite, isFormPost, redirect, sendHtml, sendJson } from './http.ts'
import { pushSummary } from './instance-views.ts'
import { createMailbox } from './mailbox.ts'
import { consolePage } from './pages/console-page.ts'
import { homePage } from './pages/home-page.ts'
import { inboxPage } from './pages/inbox-page.ts'
import { createPersistence } from './persistence.ts'
import { createPusher } from './pusher.ts'
import { createStreamControl } from './stream/control.ts'
import { createStreamGateway, STREAM_OPEN_PATH } from './stream/gateway.ts'
import type { SandboxState } from './state.ts'
import { createState } from './state.ts'
import { createTurnstile, createTurnstileState, type TurnstileState } from './turnstile/routes.ts'
import { createRobot, createRobotState, ROBOT_PATH, type RobotState } from './robot/robot.ts'
import { robotPage } from './pages/robot-page.ts'

export type SandboxOptions = {
  config: SandboxConfig
  logger?: Logger
  /** Clock in epoch ms (tests pin it). */
  now?: () => number
}

export type Sandbox = {
  server: Server
  /** The Access front door in front of the worker (its own port); null without `config.access.frontDoor`. */
  frontDoor: Server | null
  state: SandboxState
  turnstile: TurnstileState
  robot: RobotState
  access: Access
  close(): Promise<void>
}

const MAX_REFRESH_SECONDS = 600

export function buildSandbox({ config, logger = pino({ enabled: false }), now = Date.now }: SandboxOptions): Sandbox {
  // re-check: a hand-built config object must meet the same rules as the environment's
  defineSandboxConfig(config)
  const state = createState()
  const persistence = createPersistence(config.stateFile, state, logger)
  persistence.load()
  const onChange = () => persistence.changed()
  const pusher = createPusher({ config, state, now, logger })
  const stream = createStreamGateway({ config, state, now, logger })
  const streamControl = createStreamControl(stream)
  const channel = config.events === 'stream' ? stream.delivery : pusher
  const approvals = createApprovals({ config, state, now, channel, onChange })
  const dingtalk = createGateway({ config, state, now, routes: dingtalkRoutes({ config, state, now, approvals }) })
  const mailbox = createMailbox({ config, state, now, onChange })
  const turnstileState = createTurnstileState()
  const turnstile = createTurnstile(turnstileState, now)
  const robotState = createRobotState()
  const robot = createRobot(robotState, now)
  const onReset = () => {
    stream.reset()
    turnstileState.tokens.clear()
    robotState.messages = []
    robotState.sent = []
  }
  const access = createAccess(config, now)
  const frontDoor = config.access.frontDoor ? createFrontDoor({ config, access, now, logger }) : null
  const control = createControlApi({ state, now, approvals, pusher, onChange, onReset })

  function page(res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/') {
      sendHtml(res, 200, homePage(config, { instances: state.instances.size, emails: state.emails.length }))
    } else if (url.pathname === '/console') {
      const refresh = Number(url.searchParams.get('refresh') ?? 0)
      const entries = [...state.instances.values()].reverse().map((instance) => ({ instance, push: pushSummary(instance, state.deliveries) }))
      const refreshSeconds = Number.isInteger(refresh) && refresh > 0 ? Math.min(refresh, MAX_REFRESH_SECONDS) : undefined
      sendHtml(res, 200, consolePage({ entries, refreshSeconds, notice: url.searchParams.get('notice') ?? undefined }))
    } else if (url.pathname === '/inbox') {
      sendHtml(res, 200, inboxPage(state.emails))
    } else if (url.pathname === '/robot') {
      sendHtml(res, 200, robotPage(robotState.messages))

    } else {
      return false
    }
    return true
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid')
    const path = url.pathname
    // Turnstile's widget endpoints are called from the applicant's page on another origin, by design.
    if (path.startsWith('/turnstile/') && (await turnstile(req, res, url))) return
    // Only loopback callers reach the sandbox (it binds 127.0.0.1), but a page on any site could
    // still make this machine's browser post to it: nothing that changes state may come that way.
    if (req.method !== 'GET' && req.method !== 'HEAD' && isCrossSite(req)) {
      return sendJson(res, 403, { error: { code: 'SANDBOX_CROSS_SITE', message: 'cross-site requests are refused' } })
    }
    // Cloudflare Access: this origin is the team domain (certs, sign-in, /_sandbox/access/*).
    if ((path.startsWith('/cdn-cgi/access/') || path.startsWith('/_sandbox/access/')) && (await access.handle(req, res, url))) return
    if (path === '/emails' || path.startsWith('/emails/')) return mailbox(req, res, url)
    if (path === ROBOT_PATH) return robot(req, res, url)
    if (path === '/_sandbox/robot/messages' && req.method === 'GET') return sendJson(res, 200, { data: [...robotState.messages].reverse() })
    if (path.startsWith('/_sandbox/stream/') && (await streamControl(req, res, path.slice('/_sandbox'.length)))) return
    if (path === '/_sandbox' || path.startsWith('/_sandbox/')) return control(req, res, url)
    if (path === STREAM_OPEN_PATH) return stream.handleOpen(req, res)
    if (req.method === 'GET' && page(res, url)) return
    if (path === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    return dingtalk(req, res, url)
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (error instanceof SandboxError) {
        if (isFormPost(req)) return redirect(res, `/console?notice=${encodeURIComponent(error.message)}`)
        return sendJson(res, error.status, { error: { code: error.code, message: error.message } })
      }
      if (error instanceof BodyTooLargeError) {
        return sendJson(res, 413, { error: { code: 'SANDBOX_BAD_REQUEST', message: error.message } }, { connection: 'close' })
      }
      logger.error({ err: error, method: req.method, url: req.url }, 'unexpected error')
      sendJson(res, 500, { error: { code: 'SANDBOX_INTERNAL', message: 'unexpected error; see the sandbox log' } })
    })
  })

  // the Stream gateway's WebSocket endpoint lives on this port too (dingtalk.md §6)
  server.on('upgrade', (req, socket, head) => {
    if (stream.handleUpgrade(req, socket, head)) return
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
  })

  return {
    server,
    frontDoor,
    state,
    access,
    turnstile: turnstileState,
    get robot() {
      return robotState
    },
    async close() {
      await stream.close()
      await pusher.close()
      persistence.flush()
      for (const open of frontDoor?.listening ? [server, frontDoor] : [server]) {
        open.closeAllConnections()
        await new Promise<void>((done) => open.close(() => done()))
      }
    },
  }
}
