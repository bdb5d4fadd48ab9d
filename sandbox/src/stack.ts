// The local stack: sandbox (DingTalk, mailbox, Turnstile, Access and its front door), egress proxy and worker (wrangler dev, local D1)
// as real processes on loopback, wired together with generated dev keys. Used by `npm start` and
// the full-stack tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join, resolve } from 'node:path'
import { loadDevSecrets, toEnvFile } from './dev-keys.ts'
import { SANDBOX_DEFAULTS } from './config.ts'
import { SANDBOX_SECRET, SANDBOX_SITEKEY } from './turnstile/keys.ts'
import { SANDBOX_ROBOT_SECRET, SANDBOX_ROBOT_TOKEN } from './robot/robot.ts'

export type StackOptions = {
  /** Repository root. */
  root: string
  /** `access`: the sandbox's Access front door in front of the worker (the console's way in). */
  ports?: { worker?: number; proxy?: number; sandbox?: number; access?: number }
  /** Where keys, env files and local D1 live; defaults to `<root>/.dev`. */
  stateDir?: string
  /** The proxy's outbound source address, the only one the sandbox DingTalk accepts. */
  egressAddress?: string
  /**
   * Several proxies side by side (rotation tests): each with its own port and egress address, all
   * whitelisted by the sandbox and all known to the worker. Replaces `ports.proxy`/`egressAddress`.
   */
  proxies?: ProxySpec[]
  /** How DingTalk delivers events: HTTP push to the first proxy (or `pushUrl`), or Stream mode. */
  events?: 'http' | 'stream'
  /** Where HTTP pushes go instead of the first proxy, e.g. a load balancer in front of all of them. */
  pushUrl?: string
  /** DingTalk's push retry delays in ms (10 s, 30 s in real life). */
  pushRetryDelays?: number[]
  /** How often to fire the worker's cron locally (ms); 0 disables. */
  cronIntervalMs?: number
  /** Where child output goes: 'inherit' prefixes lines to our stdout, `{ file }` appends them to a file. */
  output?: 'inherit' | 'ignore' | { file: string }
  /** Extra variables for each part. */
  env?: { worker?: Record<string, string>; proxy?: Record<string, string>; sandbox?: Record<string, string> }
}

/** `whitelisted: false` leaves its egress address off the sandbox DingTalk's IP whitelist. */
export type ProxySpec = { port: number; egressAddress: string; whitelisted?: boolean; env?: Record<string, string> }

/** `proxy` is the first proxy; `proxy:1`, `proxy:2` … the others. */
export type StackPart = 'worker' | 'sandbox' | 'proxy' | `proxy:${number}`

export type Stack = {
  /** `admin`: the operator console through the sandbox's Access front door. */
  urls: { worker: string; proxy: string; proxies: string[]; sandbox: string; apply: string; console: string; inbox: string; robot: string; access: string; admin: string }
  secretsFile: string
  createdSecrets: boolean
  triggerCron(): Promise<void>
  /**
   * Stops one part (its whole process group) and resolves once its port is free; a no-op when it
   * is not running. For fault-injection tests.
   */
  stopPart(name: StackPart): Promise<void>
  /** Sends SIGTERM to a part and resolves with its exit code, without waiting on its port. */
  terminatePart(name: StackPart): Promise<number | null>
  /**
   * Starts a stopped part again with the same port, environment and state directory (the worker
   * keeps its local D1; the sandbox keeps its state only with SANDBOX_STATE_FILE), and resolves
   * once it answers as at start. A no-op when it is running.
   */
  startPart(name: StackPart): Promise<void>
  stop(): Promise<void>
}

const PROCESS_CODE = 'PROC-LICENSEDESK-DEV'
/** The worker's DINGTALK_ORIGINATOR_USER_ID (wrangler.toml). */
const ORIGINATOR = 'licensedesk-bot'

type Sink = NodeJS.WritableStream | WriteStream | null

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; label: string; sink: Sink }): ChildProcess {
  // Own process group, so stopping it also stops what it spawned (wrangler → workerd).
  const piped = options.sink ? 'pipe' : 'ignore'
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', piped, piped],
  })
  const sink = options.sink
  if (sink) {
    for (const stream of [child.stdout, child.stderr]) {
      let rest = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n')
        rest = lines.pop() ?? ''
        for (const line of lines) if (line.trim()) sink.write(`[${options.label}] ${line}\n`)
      })
    }
  }
  return child
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((done) => child.once('exit', (code) => done(code)))
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name)
    } catch {
      // already gone
    }
  }
  signal('SIGTERM')
  const timer = setTimeout(() => signal('SIGKILL'), 5000)
  await exited(child)
  clearTimeout(timer)
  signal('SIGKILL') // leftovers of the group (workerd)
}

/** Resolves once nothing accepts connections on the port (a stopped part's sockets are gone). */
async function portClosed(port: number, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => {
        socket.destroy()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (!open) return
    await new Promise((done) => setTimeout(done, 100))
  }
  throw new Error(`${label} still accepts connections on port ${port} ${timeoutMs / 1000} s after it was stopped`)
}

async function runToEnd(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; label: string }): Promise<void> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const code = await exited(child)
  if (code !== 0) throw new Error(`${options.label} failed (exit ${code}):\n${output}`)
}

async function waitFor(url: string, child: ChildProcess, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${label} exited with code ${child.exitCode} before it was ready`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      // A 200 from the part's own route: anything else on the port (a stranger, an error page) is not it.
      if (response.status === 200) return
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`${label} did not answer ${url} within ${timeoutMs / 1000} s`)
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const root = resolve(options.root)
  const stateDir = resolve(options.stateDir ?? join(root, '.dev'))
  const output = options.output ?? 'inherit'
  const sink: Sink =
    output === 'inherit' ? process.stdout : output === 'ignore' ? null : createWriteStream(output.file, { flags: 'a' })
  const ports = { worker: 8787, proxy: 8788, sandbox: 8789, access: 8790, ...options.ports }
  const proxies: ProxySpec[] = options.proxies ?? [{ port: ports.proxy, egressAddress: options.egressAddress ?? '127.0.0.2' }]
  if (proxies.length === 0) throw new Error('the stack needs at least one proxy')
  const events = options.events ?? 'http'
  const node = process.execPath
  const nodeFlags = ['--experimental-strip-types', '--no-warnings=ExperimentalWarning']

  await mkdir(stateDir, { recursive: true })
  const secretsFile = join(stateDir, 'secrets.json')
  const { secrets, created } = await loadDevSecrets(secretsFile)
  const { dingtalk } = secrets

  const workerUrl = `http://127.0.0.1:${ports.worker}`
  const proxyUrls = proxies.map((proxy) => `http://127.0.0.1:${proxy.port}`)
  const sandboxUrl = `http://127.0.0.1:${ports.sandbox}`
  const publicOrigin = `http://localhost:${ports.worker}`
  // The sandbox plays Cloudflare Access: its origin is the team domain, its front door the console's origin.
  const teamDomain = `http://localhost:${ports.sandbox}`
  const accessOrigin = `http://localhost:${ports.access}`

  const workerEnvFile = join(stateDir, 'worker.env')
  await writeFile(
    workerEnvFile,
    toEnvFile({
      WORKER_PRIVATE_JWK: JSON.stringify(secrets.workerPrivateJwk),
      PROXY_PUBLIC_JWK: JSON.stringify(secrets.proxyPublicJwk),
      LICENSE_PRIVATE_JWK: JSON.stringify(secrets.licensePrivateJwk),
      LICENSE_PUBLIC_JWKS: JSON.stringify({ keys: [secrets.licensePublicJwk] }),
      RESEND_API_KEY: secrets.resendApiKey,
      STATUS_TOKEN_SECRET: secrets.statusTokenSecret,
      PUBLIC_ORIGIN: publicOrigin,
      EGRESS_URL: proxies.map((proxy) => `http://localhost:${proxy.port}`).join(','),
      RESEND_BASE_URL: `http://localhost:${ports.sandbox}`,
      DINGTALK_PROCESS_CODE: PROCESS_CODE,
      // The sandbox plays Turnstile: the form renders its widget, the worker calls its siteverify.
      TURNSTILE_SITE_KEY: SANDBOX_SITEKEY,
      TURNSTILE_SECRET_KEY: SANDBOX_SECRET,
      TURNSTILE_VERIFY_URL: `http://localhost:${ports.sandbox}/turnstile/v0/siteverify`,
      TURNSTILE_SCRIPT_URL: `http://localhost:${ports.sandbox}/turnstile/v0/api.js`,
      // Alerts go to the sandbox mailbox (ALERT_EMAIL in wrangler.toml) and its group robot.
      ALERT_DINGTALK_ROBOT_URL: `http://localhost:${ports.sandbox}/robot/send?access_token=${SANDBOX_ROBOT_TOKEN}`,
      ALERT_DINGTALK_ROBOT_SECRET: SANDBOX_ROBOT_SECRET,
      ACCESS_TEAM_DOMAIN: teamDomain,
      ACCESS_CERTS_URL: `${teamDomain}/cdn-cgi/access/certs`,
      ACCESS_IDENTITY_URL: `${teamDomain}/cdn-cgi/access/get-identity`,
      ACCESS_AUD: SANDBOX_DEFAULTS.accessAud,
      ADMIN_ORIGIN: accessOrigin,
      ...options.env?.worker,
    }),
    { mode: 0o600 },
  )

  const persistTo = join(stateDir, 'wrangler-state')
  const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  const wranglerEnv = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' }
  await runToEnd(node, [wrangler, 'd1', 'migrations', 'apply', 'licensedesk', '--local', '--persist-to', persistTo], {
    cwd: root,
    env: { ...wranglerEnv, CI: 'true' },
    label: 'applying D1 migrations',
  })

  // Each part: how to spawn it, and the URL that answers once it is ready (waited for at start
  // and at every restart).
  type PartSpec = { spawn: () => ChildProcess; ready: string; readyTimeoutMs: number; port: number }
  const proxyPart = (proxy: ProxySpec, index: number): PartSpec => ({
    spawn: () =>
      run(node, [...nodeFlags, 'egress-proxy/src/main.ts'], {
        cwd: root,
        label: index === 0 ? 'proxy' : `proxy:${index}`,
        sink,
        env: {
          PORT: String(proxy.port),
          PROXY_ID: `local-proxy-${index + 1}`,
          DINGTALK_EVENTS: events,
          HOST: '127.0.0.1',
          WORKER_URL: workerUrl,
          WORKER_PUBLIC_JWK: JSON.stringify(secrets.workerPublicJwk),
          PROXY_PRIVATE_JWK: JSON.stringify(secrets.proxyPrivateJwk),
          DINGTALK_APP_KEY: dingtalk.appKey,
          DINGTALK_APP_SECRET: dingtalk.appSecret,
          DINGTALK_CALLBACK_TOKEN: dingtalk.callbackToken,
          DINGTALK_CALLBACK_AES_KEY: dingtalk.aesKey,
          DINGTALK_PROCESS_CODE: PROCESS_CODE,
          DINGTALK_ORIGINATOR_USER_ID: ORIGINATOR,
          DINGTALK_API_BASE: sandboxUrl,
          DINGTALK_OAPI_BASE: sandboxUrl,
          EGRESS_LOCAL_ADDRESS: proxy.egressAddress,
          // The stack stops a part with SIGTERM and SIGKILLs it after 5 s: drain well within that.
          DRAIN_DELAY_MS: '1000',
          DRAIN_TIMEOUT_MS: '3000',
          LOG_LEVEL: 'info',
          LOG_PRETTY: output === 'inherit' ? '1' : '',
          ...options.env?.proxy,
          ...proxy.env,
        },
      }),
    ready: `${proxyUrls[index]}/healthz`,
    readyTimeoutMs: 20_000,
    port: proxy.port,
  })

  const parts: Record<string, PartSpec> = {
    sandbox: {
      spawn: () =>
        run(node, [...nodeFlags, 'sandbox/src/main.ts'], {
          cwd: root,
          label: 'sandbox',
          sink,
          env: {
            SANDBOX_PORT: String(ports.sandbox),
            SANDBOX_HOST: '127.0.0.1',
            SANDBOX_PUBLIC_URL: `http://localhost:${ports.sandbox}`,
            DINGTALK_APP_KEY: dingtalk.appKey,
            DINGTALK_APP_SECRET: dingtalk.appSecret,
            DINGTALK_CALLBACK_TOKEN: dingtalk.callbackToken,
            DINGTALK_CALLBACK_AES_KEY: dingtalk.aesKey,
            DINGTALK_CORP_ID: dingtalk.corpId,
            DINGTALK_PROCESS_CODE: PROCESS_CODE,
            DINGTALK_ALLOWED_IPS: [...new Set(proxies.filter((proxy) => proxy.whitelisted !== false).map((proxy) => proxy.egressAddress))].join(','),
            SANDBOX_EVENTS: events,
            ...(events === 'http' ? { SANDBOX_PUSH_URL: options.pushUrl ?? `${proxyUrls[0]}/dingtalk/events` } : {}),
            SANDBOX_RETRY_DELAYS: (options.pushRetryDelays ?? [10_000, 30_000]).join(','),
            RESEND_API_KEYS: secrets.resendApiKey,
            SANDBOX_ACCESS_PORT: String(ports.access),
            SANDBOX_ACCESS_UPSTREAM: workerUrl,
            SANDBOX_ACCESS_PUBLIC_URL: accessOrigin,
            SANDBOX_ACCESS_AUD: SANDBOX_DEFAULTS.accessAud,
            ...options.env?.sandbox,
          },
        }),
      ready: `${sandboxUrl}/_sandbox/instances`,
      readyTimeoutMs: 20_000,
      port: ports.sandbox,
    },
    worker: {
      spawn: () =>
        run(
          node,
          [
            wrangler,
            'dev',
            '--port',
            String(ports.worker),
            '--ip',
            '127.0.0.1',
            '--inspector-port',
            '0',
            '--persist-to',
            persistTo,
            '--env-file',
            workerEnvFile,
            '--test-scheduled',
            '--show-interactive-dev-session=false',
            '--log-level',
            'log',
          ],
          { cwd: root, label: 'worker', sink, env: { ...wranglerEnv, CI: 'true' } },
        ),
      ready: `${workerUrl}/api/health`,
      readyTimeoutMs: 90_000,
      port: ports.worker,
    },
  }
  proxies.forEach((proxy, index) => (parts[index === 0 ? 'proxy' : `proxy:${index}`] = proxyPart(proxy, index)))

  const children = new Map<string, ChildProcess>()
  let stopped = false
  const stop = async () => {
    stopped = true
    clearInterval(cronTimer)
    await Promise.all([...children.values()].map(stopGroup))
    children.clear()
    if (sink && sink !== process.stdout) (sink as WriteStream).end()
  }
  let cronTimer: NodeJS.Timeout | undefined

  const launch = (name: StackPart): ChildProcess => {
    const child = parts[name].spawn()
    children.set(name, child)
    return child
  }

  try {
    const launched = (['sandbox', ...Object.keys(parts).filter((name) => name.startsWith('proxy')), 'worker'] as StackPart[]).map(
      (name) => [name, launch(name)] as const,
    )
    await Promise.all(launched.map(([name, child]) => waitFor(parts[name].ready, child, name, parts[name].readyTimeoutMs)))
  } catch (error) {
    await stop()
    throw error
  }

  const stopPart = async (name: StackPart) => {
    const child = children.get(name)
    if (!child) return
    children.delete(name)
    sink?.write(`[stack] stopping ${name}\n`)
    await stopGroup(child)
    await portClosed(parts[name].port, name, 10_000)
  }

  const terminatePart = async (name: StackPart) => {
    const child = children.get(name)
    if (!child) return null
    children.delete(name)
    sink?.write(`[stack] terminating ${name}\n`)
    child.pid !== undefined && process.kill(-child.pid, 'SIGTERM')
    return exited(child)
  }

  const startPart = async (name: StackPart) => {
    if (stopped) throw new Error(`the stack is stopped; cannot start ${name}`)
    const running = children.get(name)
    if (running && running.exitCode === null && running.signalCode === null) return
    sink?.write(`[stack] starting ${name}\n`)
    const child = launch(name)
    try {
      await waitFor(parts[name].ready, child, name, parts[name].readyTimeoutMs)
    } catch (error) {
      children.delete(name)
      await stopGroup(child)
      throw error
    }
  }

  const triggerCron = async () => {
    const response = await fetch(`${workerUrl}/__scheduled?cron=${encodeURIComponent('* * * * *')}`)
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`cron trigger answered ${response.status}`)
  }
  const interval = options.cronIntervalMs ?? 60_000
  if (interval > 0) {
    cronTimer = setInterval(() => triggerCron().catch(() => undefined), interval)
    cronTimer.unref()
  }

  return {
    urls: {
      worker: publicOrigin,
      proxy: `http://localhost:${proxies[0].port}`,
      proxies: proxies.map((proxy) => `http://localhost:${proxy.port}`),
      sandbox: `http://localhost:${ports.sandbox}`,
      apply: `${publicOrigin}/apply?fc=${encodeURIComponent('HM-7F3A-19C2-88D1-4E5B-A0C7-2D9E-6B14')}&product=hypermotion`,
      console: `http://localhost:${ports.sandbox}/console`,
      inbox: `http://localhost:${ports.sandbox}/inbox`,
      robot: `http://localhost:${ports.sandbox}/robot`,
      access: accessOrigin,
      admin: `${accessOrigin}/admin`,
    },
    secretsFile,
    createdSecrets: created,
    triggerCron,
    stopPart,
    terminatePart,
    startPart,
    stop,
  }
}
