// The second estimate of worker CPU per submit, closer to what Cloudflare bills: the worker's Hono
// app (worker/src/index.ts) called in this process with D1 over node:sqlite, whose CPU is
// subtracted, and its subrequests (siteverify, proxy, DingTalk) going to the running stack.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Stack } from '../sandbox/src/stack.ts'
import { applicationInput, ROOT, turnstileToken } from '../test/helpers.ts'
import { openD1 } from './d1-sqlite.ts'

export type InProcessRow = {
  request: string
  /** Per request, one entry per round, milliseconds: process CPU, SQLite's share, the rest. */
  processMs: number[]
  sqliteMs: number[]
  workerMs: number[]
}

/** The top-level [vars] of wrangler.toml: `KEY = "…"` or `KEY = '…'` lines, nothing fancier. */
function wranglerVars(): Record<string, string> {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
  const section = toml.split(/^\[vars\]$/m)[1].split(/^\[/m)[0]
  const vars: Record<string, string> = {}
  for (const line of section.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const match = /^([A-Z0-9_]+) = (?:"([^"\\]*)"|'([^']*)')$/.exec(line)
    if (!match) throw new Error(`wrangler.toml [vars]: cannot read ${line}`)
    vars[match[1]] = match[2] ?? match[3]
  }
  return vars
}

/** The stack's worker.env (toEnvFile: KEY='value' lines), the same secrets wrangler dev loads. */
function workerEnvFile(stack: Stack): Record<string, string> {
  const text = readFileSync(join(dirname(stack.secretsFile), 'worker.env'), 'utf8')
  return Object.fromEntries(text.trim().split('\n').map((line) => /^([A-Z0-9_]+)='(.*)'$/.exec(line)!.slice(1, 3)))
}

// Loaded by path: the worker is typed under worker/tsconfig.json (workers types), not this project's.
const WORKER_ENTRY = join(ROOT, 'worker', 'src', 'index.ts')
type FetchHandler = { fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> }

export async function measureInProcess(
  stack: Stack,
  options: { rounds: number; requests: number; warmUp: number; overrides: Record<string, string> },
): Promise<InProcessRow[]> {
  const worker = (await import(WORKER_ENTRY)).default as FetchHandler
  const d1 = openD1(join(ROOT, 'worker', 'migrations'))
  const env = {
    ...wranglerVars(),
    ...workerEnvFile(stack),
    ...options.overrides,
    DB: d1.db,
    // The binding's check is local to Cloudflare's edge; here it always lets the request through.
    SUBMIT_RATE_LIMITER: { limit: async () => ({ success: true }) },
  }
  const waits: Promise<unknown>[] = []
  const ctx = { waitUntil: (promise: Promise<unknown>) => void waits.push(promise), passThroughOnException() {}, props: {} }
  const origin = stack.urls.worker
  const statusUrls: string[] = []

  const call = async (request: Request, expect: number) => {
    const response = await worker.fetch(request, env, ctx)
    const body = await response.text()
    if (response.status !== expect) throw new Error(`${request.method} ${request.url}: ${response.status} ${body}`)
    return body
  }
  const submit = async (token: string) => {
    const request = new Request(`${origin}/api/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-turnstile-response': token, 'cf-connecting-ip': '203.0.113.7' },
      body: JSON.stringify(applicationInput()),
    })
    const body = JSON.parse(await call(request, 201))
    if (body.status !== 'pending_approval') throw new Error(`submit: ${JSON.stringify(body)}`)
    statusUrls.push(body.statusUrl)
  }
  const status = (i: number) => {
    const url = new URL(statusUrls[i % statusUrls.length])
    return call(new Request(`${origin}/api/applications/${url.pathname.split('/').pop()}?t=${url.searchParams.get('t')}`), 200)
  }

  // The worker logs JSON lines: they are still built (and redacted), but not written out here.
  const console_ = { log: console.log, warn: console.warn, error: console.error }
  const quiet = () => Object.assign(console, { log() {}, warn() {}, error() {} })
  const loud = () => Object.assign(console, console_)

  const phases: { request: string; make: (round: number) => Promise<(i: number) => Promise<unknown>> }[] = [
    {
      request: 'POST /api/applications',
      make: async () => {
        const tokens = await Promise.all(Array.from({ length: options.requests }, () => turnstileToken(stack)))
        return (i) => submit(tokens[i])
      },
    },
    { request: 'GET /api/health', make: async () => () => call(new Request(`${origin}/api/health`), 200) },
    { request: 'GET /api/applications/:id', make: async () => status },
    // What one subrequest costs Node's own fetch (undici), client side: workerd's is native code.
    {
      request: 'fetch() to the proxy, GET /healthz',
      make: async () => async () => {
        const response = await fetch(`${stack.urls.proxy}/healthz`)
        await response.arrayBuffer()
      },
    },
  ]
  const rows: InProcessRow[] = []
  try {
    for (const phase of phases) {
      const row: InProcessRow = { request: phase.request, processMs: [], sqliteMs: [], workerMs: [] }
      const warm = await phase.make(-1)
      quiet()
      for (let i = 0; i < options.warmUp; i++) await warm(i)
      loud()
      for (let round = 0; round < options.rounds; round++) {
        const once = await phase.make(round)
        quiet()
        const cpu = process.cpuUsage()
        const sqlite = d1.sqliteMicros()
        for (let i = 0; i < options.requests; i++) await once(i)
        await Promise.all(waits.splice(0))
        const used = process.cpuUsage(cpu)
        loud()
        const processMs = (used.user + used.system) / 1000 / options.requests
        const sqliteMs = (d1.sqliteMicros() - sqlite) / 1000 / options.requests
        row.processMs.push(processMs)
        row.sqliteMs.push(sqliteMs)
        row.workerMs.push(processMs - sqliteMs)
      }
      rows.push(row)
    }
  } finally {
    loud()
    d1.close()
  }
  return rows
}
