// The sandbox's settings: read once from the environment, checked, frozen. A bad value stops the
// boot with an error naming its variable. Defaults are local-only stand-ins, never real secrets.
import { isIP } from 'node:net'
import { SandboxConfigError } from './errors.ts'

export type SandboxConfig = Readonly<{
  host: string
  port: number
  /** Base of links in pages and push `url` fields. */
  publicUrl: string
  dingtalk: Readonly<{
    appKey: string
    appSecret: string
    callbackToken: string
    callbackAesKey: string
    corpId: string
    processCode: string
    /** Template name used in instance titles ("<originator>提交的<name>"). */
    processName: string
    /** Caller addresses DingTalk accepts API calls from; empty = no whitelist. */
    allowedIps: readonly string[]
    /** Calls per second per API before QpsLimitForAppkeyAndApi; 0 = unlimited. */
    qpsLimit: number
    /** A terminate this soon after the create is refused (revoke-an-approval-instance: 15 s). */
    terminateMinAgeMs: number
    /** The template's 允许提交人撤销审批中的审批单; false = a terminate answers internalError (820008). */
    allowWithdraw: boolean
  }>
  push: Readonly<{
    /** The proxy's `/dingtalk/events`; undefined = pushes are recorded as skipped. */
    url: string | undefined
    /** Delay before each retry (dingtalk.md §5.3: 10 s, then 30 s). */
    retryDelays: readonly number[]
    timeoutMs: number
    checkUrlTimeoutMs: number
  }>
  mail: Readonly<{
    /** Accepted Resend keys; undefined = any `re_…` key. */
    apiKeys: readonly string[] | undefined
    /** Requests per second per key before 429; 0 = unlimited. */
    rateLimit: number
  }>
  /** JSON file that keeps emails and instances across restarts; undefined = memory only. */
  stateFile: string | undefined
  /** Which channel instance events use: HTTP push or the Stream gateway (dingtalk.md §6). */
  events: SandboxEvents
  stream: Readonly<{
    /** spread: round-robin over live connections; takeover: the newest connection gets every event. */
    mode: StreamMode
    /** Interval of SYSTEM pings on each connection. */
    pingMs: number
    /** An event not acknowledged SUCCESS within this is sent again. */
    redeliverMs: number
    /** Sends of one event (first included) before it goes to the failed-push list. */
    attempts: number
    /** Lifetime of a ticket from connections/open (single use). */
    ticketTtlMs: number
  }>
  /** Cloudflare Access for the operator console (docs/sandbox.md, "Access"): this origin is the team domain. */
  access: Readonly<{
    /** The application's AUD tag the tokens carry. */
    aud: string
    /** How long a sign-in lasts (the token's `exp`; Access's default session is 24 h). */
    sessionSeconds: number
    /** The front door in front of the worker; undefined = not started. */
    frontDoor: Readonly<{ port: number; upstream: string; publicUrl: string }> | undefined
  }>
}>

export type SandboxEvents = 'http' | 'stream'
export type StreamMode = 'spread' | 'takeover'

export type SandboxConfigInput = {
  host?: string
  port?: number
  publicUrl?: string
  dingtalk?: Partial<SandboxConfig['dingtalk']>
  push?: Partial<SandboxConfig['push']>
  mail?: Partial<SandboxConfig['mail']>
  stateFile?: string
  events?: SandboxEvents
  stream?: Partial<SandboxConfig['stream']>
  access?: { aud?: string; sessionSeconds?: number; frontDoor?: { port?: number; upstream?: string; publicUrl?: string } }
}

/** Local stand-in values (the launcher may reuse them); never used against the real DingTalk. */
export const SANDBOX_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8789,
  appKey: 'dingsandboxappkey0001',
  appSecret: 'sandbox-app-secret-not-for-production',
  callbackToken: 'sandboxtoken',
  callbackAesKey: 'sandboxAesKey000000000000000000000000000000',
  corpId: 'dingsandboxcorp0001',
  processCode: 'PROC-SANDBOX-LICENSE-0001',
  processName: '软件许可申请',
  allowedIps: ['127.0.0.2'],
  qpsLimit: 20,
  terminateMinAgeMs: 15_000,
  allowWithdraw: true,
  retryDelays: [10_000, 30_000],
  pushTimeoutMs: 2_500,
  checkUrlTimeoutMs: 1_500,
  rateLimit: 2,
  events: 'http' as SandboxEvents,
  streamMode: 'spread' as StreamMode,
  streamPingMs: 20_000,
  streamRedeliverMs: 60_000,
  streamAttempts: 3,
  streamTicketTtlMs: 60_000,
  /** The local console application's AUD tag (wrangler.toml's ACCESS_AUD). */
  accessAud: '5a4e2b0c9d7f1e3a8b6c4d2e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a',
  accessSessionSeconds: 86_400,
})

const AES_KEY = /^[A-Za-z0-9]{43}$/
const CALLBACK_TOKEN = /^[A-Za-z0-9]{3,32}$/

function fail(variable: string, message: string): never {
  throw new SandboxConfigError(variable, message)
}

function checkUrl(variable: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(variable, `not a URL: ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(variable, 'must be an http(s) URL')
  return value
}

function checkCount(variable: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 0 || value > max) fail(variable, `must be a whole number 0..${max}`)
  return value
}

/** Merges `input` over the defaults, checks every value and freezes the result. */
export function defineSandboxConfig(input: SandboxConfigInput = {}): SandboxConfig {
  const d = SANDBOX_DEFAULTS
  const host = input.host ?? d.host
  const port = checkCount('SANDBOX_PORT', input.port ?? d.port, 65_535)
  const dt = input.dingtalk ?? {}
  const dingtalk = Object.freeze({
    appKey: dt.appKey ?? d.appKey,
    appSecret: dt.appSecret ?? d.appSecret,
    callbackToken: dt.callbackToken ?? d.callbackToken,
    callbackAesKey: dt.callbackAesKey ?? d.callbackAesKey,
    corpId: dt.corpId ?? d.corpId,
    processCode: dt.processCode ?? d.processCode,
    processName: dt.processName ?? d.processName,
    allowedIps: Object.freeze([...(dt.allowedIps ?? d.allowedIps)]),
    qpsLimit: checkCount('DINGTALK_QPS_LIMIT', dt.qpsLimit ?? d.qpsLimit),
    terminateMinAgeMs: checkCount('DINGTALK_TERMINATE_MIN_AGE_MS', dt.terminateMinAgeMs ?? d.terminateMinAgeMs, 3_600_000),
    allowWithdraw: dt.allowWithdraw ?? d.allowWithdraw,
  })
  if (!dingtalk.appKey) fail('DINGTALK_APP_KEY', 'must not be empty')
  if (!dingtalk.appSecret) fail('DINGTALK_APP_SECRET', 'must not be empty')
  if (!dingtalk.corpId) fail('DINGTALK_CORP_ID', 'must not be empty')
  if (!dingtalk.processCode) fail('DINGTALK_PROCESS_CODE', 'must not be empty')
  if (!CALLBACK_TOKEN.test(dingtalk.callbackToken)) fail('DINGTALK_CALLBACK_TOKEN', 'must be 3-32 letters or digits')
  if (!AES_KEY.test(dingtalk.callbackAesKey)) fail('DINGTALK_CALLBACK_AES_KEY', 'must be 43 letters or digits')
  for (const ip of dingtalk.allowedIps) if (!isIP(ip)) fail('DINGTALK_ALLOWED_IPS', `not an IP address: ${JSON.stringify(ip)}`)

  const p = input.push ?? {}
  const push = Object.freeze({
    url: p.url ? checkUrl('SANDBOX_PUSH_URL', p.url) : undefined,
    retryDelays: Object.freeze((p.retryDelays ?? d.retryDelays).map((ms) => checkCount('SANDBOX_RETRY_DELAYS', ms))),
    timeoutMs: checkCount('SANDBOX_PUSH_TIMEOUT_MS', p.timeoutMs ?? d.pushTimeoutMs),
    checkUrlTimeoutMs: checkCount('SANDBOX_PUSH_TIMEOUT_MS', p.checkUrlTimeoutMs ?? d.checkUrlTimeoutMs),
  })

  const m = input.mail ?? {}
  const apiKeys = m.apiKeys && m.apiKeys.length > 0 ? Object.freeze([...m.apiKeys]) : undefined
  for (const key of apiKeys ?? []) if (!key.startsWith('re_')) fail('RESEND_API_KEYS', 'every key must start with re_')
  const mail = Object.freeze({ apiKeys, rateLimit: checkCount('RESEND_RATE_LIMIT', m.rateLimit ?? d.rateLimit) })

  const events = input.events ?? d.events
  if (events !== 'http' && events !== 'stream') fail('SANDBOX_EVENTS', 'must be http or stream')
  const st = input.stream ?? {}
  const stream = Object.freeze({
    mode: st.mode ?? d.streamMode,
    pingMs: checkCount('SANDBOX_STREAM_PING_MS', st.pingMs ?? d.streamPingMs),
    redeliverMs: checkCount('SANDBOX_STREAM_REDELIVER_MS', st.redeliverMs ?? d.streamRedeliverMs),
    attempts: checkCount('SANDBOX_STREAM_ATTEMPTS', st.attempts ?? d.streamAttempts, 100),
    ticketTtlMs: checkCount('SANDBOX_STREAM_TICKET_TTL_MS', st.ticketTtlMs ?? d.streamTicketTtlMs),
  })
  if (stream.mode !== 'spread' && stream.mode !== 'takeover') fail('SANDBOX_STREAM_MODE', 'must be spread or takeover')
  if (stream.pingMs < 10) fail('SANDBOX_STREAM_PING_MS', 'must be at least 10')
  if (stream.redeliverMs < 10) fail('SANDBOX_STREAM_REDELIVER_MS', 'must be at least 10')
  if (stream.attempts < 1) fail('SANDBOX_STREAM_ATTEMPTS', 'must be at least 1')
  if (stream.ticketTtlMs < 1) fail('SANDBOX_STREAM_TICKET_TTL_MS', 'must be at least 1')

  const publicUrl = checkUrl('SANDBOX_PUBLIC_URL', input.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '')

  const a = input.access ?? {}
  const aud = a.aud ?? d.accessAud
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(aud)) fail('SANDBOX_ACCESS_AUD', 'must be 1-128 letters, digits, _ or -')
  const sessionSeconds = checkCount('SANDBOX_ACCESS_SESSION_SECONDS', a.sessionSeconds ?? d.accessSessionSeconds)
  if (sessionSeconds < 1) fail('SANDBOX_ACCESS_SESSION_SECONDS', 'must be at least 1')
  let frontDoor: SandboxConfig['access']['frontDoor']
  if (a.frontDoor?.port !== undefined) {
    const doorPort = checkCount('SANDBOX_ACCESS_PORT', a.frontDoor.port, 65_535)
    if (!a.frontDoor.upstream) fail('SANDBOX_ACCESS_UPSTREAM', 'is required with SANDBOX_ACCESS_PORT (the worker behind the front door)')
    frontDoor = Object.freeze({
      port: doorPort,
      upstream: checkUrl('SANDBOX_ACCESS_UPSTREAM', a.frontDoor.upstream).replace(/\/+$/, ''),
      publicUrl: new URL(checkUrl('SANDBOX_ACCESS_PUBLIC_URL', a.frontDoor.publicUrl ?? `http://${host}:${doorPort}`)).origin,
    })
  }
  const access = Object.freeze({ aud, sessionSeconds, frontDoor })
  return Object.freeze({ host, port, publicUrl, dingtalk, push, mail, stateFile: input.stateFile || undefined, events, stream, access })
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}

function flag(variable: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined
  if (value.trim() === 'true') return true
  if (value.trim() === 'false') return false
  fail(variable, `must be true or false, got ${JSON.stringify(value)}`)
}

function integer(variable: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  if (!/^\d+$/.test(value.trim())) fail(variable, `must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}

/** Reads the documented environment variables (docs/sandbox.md). */
export function readSandboxConfig(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const allowed = env.DINGTALK_ALLOWED_IPS
  const delays = env.SANDBOX_RETRY_DELAYS
  return defineSandboxConfig({
    host: env.SANDBOX_HOST || undefined,
    port: integer('SANDBOX_PORT', env.SANDBOX_PORT),
    publicUrl: env.SANDBOX_PUBLIC_URL || undefined,
    dingtalk: {
      appKey: env.DINGTALK_APP_KEY || undefined,
      appSecret: env.DINGTALK_APP_SECRET || undefined,
      callbackToken: env.DINGTALK_CALLBACK_TOKEN || undefined,
      callbackAesKey: env.DINGTALK_CALLBACK_AES_KEY || undefined,
      corpId: env.DINGTALK_CORP_ID || undefined,
      processCode: env.DINGTALK_PROCESS_CODE || undefined,
      processName: env.DINGTALK_PROCESS_NAME || undefined,
      // Unset → the proxy's egress address; set but empty → no whitelist (dingtalk.md §7).
      allowedIps: allowed === undefined ? undefined : list(allowed),
      qpsLimit: integer('DINGTALK_QPS_LIMIT', env.DINGTALK_QPS_LIMIT),
      terminateMinAgeMs: integer('DINGTALK_TERMINATE_MIN_AGE_MS', env.DINGTALK_TERMINATE_MIN_AGE_MS),
      allowWithdraw: flag('DINGTALK_ALLOW_WITHDRAW', env.DINGTALK_ALLOW_WITHDRAW),
    },
    push: {
      url: env.SANDBOX_PUSH_URL || undefined,
      retryDelays: delays === undefined || delays.trim() === '' ? undefined : list(delays).map((ms) => integer('SANDBOX_RETRY_DELAYS', ms) as number),
      timeoutMs: integer('SANDBOX_PUSH_TIMEOUT_MS', env.SANDBOX_PUSH_TIMEOUT_MS),
    },
    mail: {
      apiKeys: env.RESEND_API_KEYS ? list(env.RESEND_API_KEYS) : undefined,
      rateLimit: integer('RESEND_RATE_LIMIT', env.RESEND_RATE_LIMIT),
    },
    stateFile: env.SANDBOX_STATE_FILE || undefined,
    events: (env.SANDBOX_EVENTS?.trim() || undefined) as SandboxEvents | undefined,
    stream: {
      mode: (env.SANDBOX_STREAM_MODE?.trim() || undefined) as StreamMode | undefined,
      pingMs: integer('SANDBOX_STREAM_PING_MS', env.SANDBOX_STREAM_PING_MS),
      redeliverMs: integer('SANDBOX_STREAM_REDELIVER_MS', env.SANDBOX_STREAM_REDELIVER_MS),
      attempts: integer('SANDBOX_STREAM_ATTEMPTS', env.SANDBOX_STREAM_ATTEMPTS),
      ticketTtlMs: integer('SANDBOX_STREAM_TICKET_TTL_MS', env.SANDBOX_STREAM_TICKET_TTL_MS),
    },
    access: {
      aud: env.SANDBOX_ACCESS_AUD || undefined,
      sessionSeconds: integer('SANDBOX_ACCESS_SESSION_SECONDS', env.SANDBOX_ACCESS_SESSION_SECONDS),
      frontDoor: {
        port: integer('SANDBOX_ACCESS_PORT', env.SANDBOX_ACCESS_PORT),
        upstream: env.SANDBOX_ACCESS_UPSTREAM || undefined,
        publicUrl: env.SANDBOX_ACCESS_PUBLIC_URL || undefined,
      },
    },
  })
}
