// Relay cost: the worker's create-instance call sent straight to a fake DingTalk and through the
// real proxy (buildServer: proof, allowlist, token, http-proxy-3); the proof's own cost; memory,
// upstream sockets and a bounded soak. Client, proxy and fake share one process. `npm run bench`.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Pool } from 'undici'
import {
  createProof,
  generateEd25519Jwk,
  importPublicKeys,
  importSigningKey,
  MemoryReplayStore,
  PROXY_AUDIENCE,
  verifyProof,
  type SigningKey,
} from '../proof/src/index.ts'
import { loadConfig } from '../egress-proxy/src/config.ts'
import { createLogger } from '../egress-proxy/src/logger.ts'
import { TOKEN_HEADER } from '../egress-proxy/src/relay.ts'
import { buildServer } from '../egress-proxy/src/server.ts'
import { buildFormValues, DEFAULT_FORM_LABELS } from '../worker/src/dingtalk/form.ts'

const TOKEN_PATH = '/v1.0/oauth2/accessToken'
const CREATE_PATH = '/v1.0/workflow/processInstances'
const RELAY_TARGET = `/relay/api${CREATE_PATH}`
const TOKEN = 'bench-access-token'
const EGRESS_ADDRESS = '127.0.0.2'
const ROUNDS = 3
const ROUND_MS = 4_000
const SOAK_MS = 10_000
const SOAK_SAMPLE_MS = 2_000
const SOAK_IN_FLIGHT = 16
const MB = 1024 * 1024

// What the worker sends for one application (worker/src/submission.ts): ~500 bytes of JSON, as the
// ten labelled form fields alone take ~400.
const BODY = JSON.stringify({
  processCode: 'PROC-SANDBOX-LICENSE-0001',
  originatorUserId: 'manager01',
  deptId: 1,
  formComponentValues: buildFormValues(
    {
      applicationId: 'LD-7K3M9Q2X',
      productId: 'cad-pro',
      productName: 'CAD Pro',
      featureCode: '9F86D081884C7D65',
      quantity: 10,
      validityDays: 365,
      name: '王伟',
      company: '示例科技',
      email: 'wang@example.com',
      phone: null,
      note: null,
    },
    DEFAULT_FORM_LABELS,
  ),
})

export type RelayRow = {
  path: 'direct' | 'proxy'
  inFlight: number
  requests: number
  wallRate: number
  p50: number
  p99: number
  /** Process CPU (all threads) per request, microseconds: client + fake DingTalk (+ proxy). */
  cpuMicros: number
}
export type CryptoRow = {
  operation: string
  inFlight: number
  ops: number
  wallRate: number
  coreRate: number
}
export type Sockets = { open: number; opened: number }
export type RelayResult = {
  placement: string
  bodyBytes: number
  proofBytes: number
  rows: RelayRow[]
  crypto: CryptoRow[]
  rss: { before: number; after: number }
  sockets: Sockets
  tokenCalls: number
  soak: { ms: number; requests: number; rss: number[]; liveHeap: number[]; sockets: Sockets }
}

type FakeDingTalk = {
  url: string
  tokenCalls(): number
  sockets(): Sockets
  close(): Promise<void>
}

/** DingTalk's token and create endpoints; counts the connections opened from the egress address. */
async function startFakeDingTalk(): Promise<FakeDingTalk> {
  let tokenCalls = 0
  let created = 0
  let opened = 0
  const relaySockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (req.method === 'POST' && req.url === TOKEN_PATH) {
        tokenCalls += 1
        return answer(200, { accessToken: TOKEN, expireIn: 7200 })
      }
      if (req.method !== 'POST' || req.url !== CREATE_PATH) return answer(404, { code: 'notFound' })
      if (req.headers[TOKEN_HEADER] !== TOKEN) {
        return answer(401, { code: 'InvalidAuthentication', message: 'bad token' })
      }
      const socket = req.socket
      if (socket.remoteAddress === EGRESS_ADDRESS && !relaySockets.has(socket)) {
        opened += 1
        relaySockets.add(socket)
        socket.once('close', () => relaySockets.delete(socket))
      }
      created += 1
      answer(200, { instanceId: `bench-${created}` })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    tokenCalls: () => tokenCalls,
    sockets: () => ({ open: relaySockets.size, opened }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const signProof = (key: SigningKey) =>
  createProof({ key, aud: PROXY_AUDIENCE, method: 'POST', target: RELAY_TARGET, body: BODY })

type Sender = () => Promise<number>

/** One request as the worker sends it (fresh proof, request id); resolves with its latency, ms. */
function sender(pool: Pool, path: string, key: SigningKey, extra: Record<string, string>): Sender {
  return async () => {
    const proof = await signProof(key)
    const headers = {
      proof,
      'x-request-id': crypto.randomUUID(),
      accept: 'application/json',
      'content-type': 'application/json',
      ...extra,
    }
    const started = performance.now()
    const { statusCode, body } = await pool.request({ path, method: 'POST', headers, body: BODY })
    const text = await body.text()
    const ms = performance.now() - started
    if (statusCode !== 200 || !text.startsWith('{"instanceId"')) {
      throw new Error(`${path}: ${statusCode} ${text}`)
    }
    return ms
  }
}

/** Runs `once` until `ops` are done or `maxMs` has passed, `inFlight` at a time. */
async function drive(ops: number, inFlight: number, maxMs: number, once: () => Promise<unknown>) {
  const results: unknown[] = []
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const deadline = started + maxMs
  let next = 0
  const worker = async () => {
    while (next < ops && performance.now() < deadline) {
      next += 1
      results.push(await once())
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const wall = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return { results, wall, cpu: (cpu.user + cpu.system) / 1e6 }
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
const median = <T>(rounds: T[], by: (round: T) => number) =>
  rounds.sort((a, b) => by(a) - by(b))[Math.floor(rounds.length / 2)]

/** The median of ROUNDS rounds (by requests/s), after a warm-up. */
async function measureRelay(
  path: RelayRow['path'],
  inFlight: number,
  ops: number,
  send: Sender,
): Promise<RelayRow> {
  await drive(Math.ceil(ops / 5), inFlight, ROUND_MS, send)
  const rounds: RelayRow[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const { results, wall, cpu } = await drive(ops, inFlight, ROUND_MS, send)
    const latencies = (results as number[]).sort((a, b) => a - b)
    const requests = latencies.length
    const [p50, p99] = [percentile(latencies, 0.5), percentile(latencies, 0.99)]
    const cpuMicros = (cpu / requests) * 1e6
    rounds.push({ path, inFlight, requests, wallRate: requests / wall, p50, p99, cpuMicros })
  }
  return median(rounds, (round) => round.wallRate)
}

async function measureCrypto(
  operation: string,
  inFlight: number,
  ops: number,
  once: () => Promise<unknown>,
): Promise<CryptoRow> {
  await drive(200, 1, ROUND_MS, once)
  const rounds: CryptoRow[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const { results, wall, cpu } = await drive(ops, inFlight, ROUND_MS, once)
    const done = results.length
    rounds.push({ operation, inFlight, ops: done, wallRate: done / wall, coreRate: done / cpu })
  }
  return median(rounds, (round) => round.coreRate)
}

async function benchCrypto(key: SigningKey, publicJwk: string): Promise<CryptoRow[]> {
  const keys = await importPublicKeys(publicJwk)
  const sign = () => signProof(key)
  // Each proof is verified once against the real replay store, as in the proxy: signed beforehand.
  const ops = 3_000
  const { results } = await drive(2 * (200 + ROUNDS * ops), 16, 30_000, sign)
  const proofs = results as string[]
  const replay = new MemoryReplayStore()
  const request = { method: 'POST', target: RELAY_TARGET, body: BODY }
  const checks = { keys, aud: PROXY_AUDIENCE, ...request, replay }
  const verify = async () => {
    if (proofs.length === 0) throw new Error('ran out of pre-signed proofs')
    return verifyProof(proofs.pop(), checks)
  }
  const verifying = 'verifyProof (proxy side, replay store included)'
  return [
    await measureCrypto('createProof (worker side)', 1, ops, sign),
    await measureCrypto('createProof (worker side)', 16, ops, sign),
    await measureCrypto(verifying, 1, ops, verify),
    await measureCrypto(verifying, 16, ops, verify),
  ]
}

function placement(): string {
  const cpus = availableParallelism()
  const where = process.env.LICENSEDESK_BENCH_PINNED ?? `not pinned, ${cpus} CPUs available`
  const scope = cpus === 1 ? 'all threads on one core: per-core cost' : 'threads spread over cores'
  return `client, proxy and fake DingTalk in one process (one event loop); ${where}; ${scope}`
}

const rss = () => process.memoryUsage.rss() / MB

/** Heap in use after a full GC: what is retained, unlike RSS. No node flag needed (jest's leak
 * detector does the same). */
function liveHeap(): number {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed / MB
}

export async function benchRelay(): Promise<RelayResult> {
  const worker = await generateEd25519Jwk()
  const proxyKeys = await generateEd25519Jwk()
  const workerKey = await importSigningKey(worker.privateJwk)
  const dingtalk = await startFakeDingTalk()
  const config = await loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_URL: dingtalk.url,
    WORKER_PUBLIC_JWK: JSON.stringify(worker.publicJwk),
    PROXY_PRIVATE_JWK: JSON.stringify(proxyKeys.privateJwk),
    DINGTALK_APP_KEY: 'bench-app-key',
    DINGTALK_APP_SECRET: 'bench-app-secret',
    DINGTALK_CALLBACK_TOKEN: 'benchCallbackToken',
    DINGTALK_CALLBACK_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    DINGTALK_API_BASE: dingtalk.url,
    DINGTALK_OAPI_BASE: dingtalk.url,
    DINGTALK_PROCESS_CODE: 'PROC-SANDBOX-LICENSE-0001',
    DINGTALK_ORIGINATOR_USER_ID: 'manager01',
    DINGTALK_EVENTS: 'http',
    EGRESS_LOCAL_ADDRESS: EGRESS_ADDRESS,
    LOG_LEVEL: 'silent',
  })
  const app = buildServer({ config, logger: createLogger(config) })
  const proxyUrl = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`

  const pools: Pool[] = []
  const pool = (url: string, connections: number) => {
    const timeouts = { keepAliveTimeout: 10_000, headersTimeout: 10_000, bodyTimeout: 10_000 }
    const made = new Pool(url, { connections, ...timeouts })
    pools.push(made)
    return made
  }
  // Direct, the client carries the token itself, as it would without a proxy.
  const direct = (inFlight: number) =>
    sender(pool(dingtalk.url, inFlight), CREATE_PATH, workerKey, { [TOKEN_HEADER]: TOKEN })
  const relayed = (inFlight: number) =>
    sender(pool(proxyUrl, inFlight), RELAY_TARGET, workerKey, {})

  try {
    const before = rss()
    const rows = [
      await measureRelay('direct', 1, 1_500, direct(1)),
      await measureRelay('proxy', 1, 1_500, relayed(1)),
      await measureRelay('direct', 16, 4_000, direct(16)),
      await measureRelay('proxy', 16, 4_000, relayed(16)),
    ]
    const after = rss()
    const sockets = dingtalk.sockets()

    const soakSend = relayed(SOAK_IN_FLIGHT)
    const heapStart = liveHeap()
    const samples = [rss()]
    const sampler = setInterval(() => samples.push(rss()), SOAK_SAMPLE_MS)
    const { results } = await drive(1_000_000, SOAK_IN_FLIGHT, SOAK_MS, soakSend).finally(() =>
      clearInterval(sampler),
    )
    samples.push(rss())
    const soak = {
      ms: SOAK_MS,
      requests: results.length,
      rss: samples,
      liveHeap: [heapStart, liveHeap()],
      sockets: dingtalk.sockets(),
    }

    const crypto = await benchCrypto(workerKey, JSON.stringify(worker.publicJwk))
    return {
      placement: placement(),
      bodyBytes: Buffer.byteLength(BODY),
      proofBytes: (await signProof(workerKey)).length,
      rows,
      crypto,
      rss: { before, after },
      sockets,
      tokenCalls: dingtalk.tokenCalls(),
      soak,
    }
  } finally {
    await Promise.all(pools.map((made) => made.close()))
    await app.close()
    await dingtalk.close()
  }
}

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function table(header: string[], body: string[][]): string[] {
  const all = [header, ...body]
  const widths = header.map((_, column) => Math.max(...all.map((cells) => cells[column].length)))
  const pad = (cell: string, column: number) =>
    column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
  const line = (cells: string[]) => cells.map(pad).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)]
}

export function relayTable(result: RelayResult): string {
  const { rows, crypto, rss: memory, sockets, soak } = result
  const directOf = (row: RelayRow) =>
    rows.find((other) => other.path === 'direct' && other.inFlight === row.inFlight)
  const relayBody = rows.map((row) => {
    const direct = directOf(row)
    const ratio = row.path === 'proxy' && direct ? format(row.wallRate / direct.wallRate, 2) : ''
    const path = row.path === 'direct' ? '(a) direct to fake DingTalk' : '(b) through the proxy'
    const latency = [format(row.p50, 2), format(row.p99, 2)]
    const rate = [format(row.requests), format(row.wallRate)]
    return [path, String(row.inFlight), ...rate, ...latency, format(row.cpuMicros), ratio]
  })
  const proxyCost = rows
    .filter((row) => row.path === 'proxy')
    .map((row) => {
      const micros = row.cpuMicros - (directOf(row)?.cpuMicros ?? 0)
      const rate = format(1e6 / micros)
      return `  ${row.inFlight} in flight: ~${format(micros)} µs CPU per relay ≈ ${rate}/s per core`
    })
  const cryptoBody = crypto.map((row) => {
    const { operation, inFlight, ops, wallRate, coreRate } = row
    return [operation, String(inFlight), format(ops), format(wallRate), format(coreRate)]
  })
  const relays = rows.reduce((sum, row) => sum + (row.path === 'proxy' ? row.requests : 0), 0)
  const mb = (value: number) => format(value, 1)
  const seconds = soak.ms / 1000
  const relayHeader = ['path', 'in flight', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req']
  relayHeader.push('b/a')
  return [
    `placement: ${result.placement}`,
    `request: POST ${RELAY_TARGET}, ${result.bodyBytes}-byte JSON body, a fresh ` +
      `${result.proofBytes}-byte proof each`,
    '',
    ...table(relayHeader, relayBody),
    '',
    "the proxy's own cost, CPU µs/req of (b) minus (a):",
    ...proxyCost,
    'The client signs a proof for every request on both paths, so (b) - (a) is the proxy alone.',
    'latency: request sent → answer read (signing excluded); CPU µs/req: process CPU, all threads;',
    `median of ${ROUNDS} rounds (each ≤ ${ROUND_MS / 1000} s) by req/s; proxy logger silent.`,
    'For comparison only, platform.md (separate processes, 2 vCPU, plain 400-byte POST) has',
    'http-proxy-3 at 0.13 of direct; here the proxy shares one event loop with client and fake.',
    '',
    ...table(['operation', 'in flight', 'ops', 'wall /s', 'per core /s'], cryptoBody),
    `per core = operations / process CPU time (all threads); median of ${ROUNDS} rounds`,
    '',
    `RSS before → after the relay rows: ${mb(memory.before)} → ${mb(memory.after)} MB`,
    `proxy → fake DingTalk sockets after the rows: ${sockets.open} open, ${sockets.opened} ` +
      `opened for ${format(relays)} measured relays (+ warm-ups)`,
    `token fetches in the whole run: ${result.tokenCalls}`,
    `soak: ${seconds} s through the proxy, ${SOAK_IN_FLIGHT} in flight, ` +
      `${format(soak.requests)} requests (${format(soak.requests / seconds)}/s)`,
    `  RSS start → end: ${mb(soak.rss[0])} → ${mb(soak.rss.at(-1) ?? 0)} MB ` +
      `(every ${SOAK_SAMPLE_MS / 1000} s: ${soak.rss.map(mb).join(', ')})`,
    `  live heap (after a full GC) start → end: ${soak.liveHeap.map(mb).join(' → ')} MB`,
    `  upstream sockets: ${soak.sockets.open} open at the end, ` +
      `${soak.sockets.opened - sockets.opened} opened during the soak ` +
      '(the fake, like node:http, closes sockets idle 5 s)',
    '  The proxy keeps each proof id until it expires (30 s; swept every 10 s), so that store',
    '  fills for ~40 s: part of any rise within a 10 s soak.',
  ].join('\n')
}

if (import.meta.main) console.log(relayTable(await benchRelay()))
