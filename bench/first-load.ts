// First load under Slow 4G (issue 9, item 8): the apply page as the worker serves it (pre-rendered,
// settings inlined) beside a plain HTML form of the same fields, the same plain form hydrated by Vue
// and nothing else (the framework's floor, bench/vue-floor), and the client-rendered shell (the page
// before pre-rendering), in Chromium with CDP network emulation, cold cache, same run.
// `npm run bench`, or alone: `node --experimental-strip-types bench/first-load.ts`.
import { spawnSync } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser } from 'playwright-core'
import { ROOT, startTestStack } from '../test/helpers.ts'
import { buildVueFloor, type VueFloor } from './vue-floor/build.ts'

const RUNS = 5
/** CDP Network.emulateNetworkConditions, as set: `latency` is added to every request (ms). */
const LATENCY_MS = 400
/** 1.6 Mbit/s = 200,000 bytes/s, down and up. */
const THROUGHPUT = 1_600_000 / 8
const GOALS = { firstField: 1.5, interactive: 2.5, transferKb: 32 }
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const FEATURE_CODE = 'HM-9C41-7A2E-55D0-B3F8-1E6A-0D77-C2B9-4F18-8A3D-6E05-91BC-27F4-D6A1-3B8E'
const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/

/** The same fields as the apply form, nothing else: no CSS, no script. */
const PLAIN_FORM = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>License request</title></head>
<body><h1>Apply for a license</h1><form method="post" action="/plain">
<p><label for="f-name">Name</label><br><input id="f-name" name="name" autocomplete="name" required></p>
<p><label for="f-company">Company</label><br><input id="f-company" name="company" autocomplete="organization" required></p>
<p><label for="f-email">Email</label><br><input id="f-email" name="email" type="email" autocomplete="email" required></p>
<p><label for="f-phone">Phone (optional)</label><br><input id="f-phone" name="phone" type="tel" autocomplete="tel"></p>
<p><label for="f-featureCode">Feature code</label><br><textarea id="f-featureCode" name="featureCode" rows="3" readonly required>${FEATURE_CODE}</textarea></p>
<p><label for="f-quantity">Quantity</label><br><input id="f-quantity" name="quantity" inputmode="numeric" value="1" required></p>
<fieldset><legend>Validity</legend><label><input type="radio" name="validityDays" value="30" checked>30 days</label> <label><input type="radio" name="validityDays" value="90">90 days</label> <label><input type="radio" name="validityDays" value="180">180 days</label> <label><input type="radio" name="validityDays" value="365">1 year</label></fieldset>
<p><label for="f-note">Note (optional)</label><br><textarea id="f-note" name="note" rows="3"></textarea></p>
<p><button type="submit">Submit application</button></p></form></body></html>
`

const FLOOR_BASE = '/floor/'

/**
 * The edge's part: gzip what the client accepts, as Cloudflare does in front of a Worker (wrangler
 * dev serves bodies uncompressed), and on the same origin and server the plain form at /plain and
 * the Vue floor page at /floor/ (its script under /floor/assets/).
 */
function startEdge(upstream: string, floor: VueFloor): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (request, response) => {
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))
    let status = 200
    let headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }
    let body: Buffer
    const path = new URL(request.url!, 'http://edge').pathname
    if (path === '/plain') {
      body = Buffer.from(PLAIN_FORM)
    } else if (path === FLOOR_BASE) {
      body = Buffer.from(await floor.html(FEATURE_CODE))
    } else if (floor.files.has(path)) {
      body = floor.files.get(path)!
      headers = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' }
    } else {
      const answer = await fetch(new URL(request.url!, upstream), {
        headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'accept-encoding', 'connection'].includes(name)).map(([name, value]) => [name, String(value)])),
        redirect: 'manual',
      })
      status = answer.status
      headers = Object.fromEntries([...answer.headers].filter(([name]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)))
      body = Buffer.from(await answer.arrayBuffer())
    }
    if (gzip && COMPRESSIBLE.test(headers['content-type'] ?? '')) {
      body = gzipSync(body, { level: 6 })
      headers['content-encoding'] = 'gzip'
    }
    response.writeHead(status, { ...headers, 'content-length': String(body.length) })
    response.end(body)
  })
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({ url: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => new Promise((closed) => server.close(() => closed())) }),
    ),
  )
}

/**
 * In the page before any of its own scripts: the first animation frame in which #f-name has a box
 * in the viewport, and when `html[data-ready]` (set by the app once hydrated) appears.
 */
const PROBE = `(() => {
  const marks = (window.__firstLoad = { field: null, ready: null, load: null })
  const check = () => {
    const field = document.getElementById('f-name')
    const box = field && field.getBoundingClientRect()
    if (marks.field === null && box && box.width > 0 && box.height > 0 && box.top < innerHeight) marks.field = performance.now()
    if (marks.ready === null && document.documentElement.dataset.ready === 'true') marks.ready = performance.now()
    if (marks.field === null || marks.load === null) requestAnimationFrame(check)
  }
  requestAnimationFrame(check)
  new MutationObserver(() => {
    if (marks.ready === null && document.documentElement.dataset.ready === 'true') marks.ready = performance.now()
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] })
  addEventListener('load', () => (marks.load = performance.now()))
})()`

type Sample = { firstField: number; interactive: number; requests: number; wireBytes: number; bodyGzipBytes: number; other: { requests: number; wireBytes: number } }

async function loadOnce(browser: Browser, url: string, origin: string, interactiveOn: 'ready' | 'load'): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await context.addInitScript(PROBE)
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY_MS, downloadThroughput: THROUGHPUT, uploadThroughput: THROUGHPUT })
  const urls = new Map<string, string>()
  const finished: { url: string; wire: number }[] = []
  const bodies: Promise<number>[] = []
  cdp.on('Network.requestWillBeSent', (event) => urls.set(event.requestId, event.request.url))
  cdp.on('Network.loadingFinished', (event) => {
    const requestUrl = urls.get(event.requestId) ?? ''
    finished.push({ url: requestUrl, wire: event.encodedDataLength })
    if (requestUrl.startsWith(origin)) {
      // The body as gzip at level 6, whatever the server sent: the size Cloudflare would serve.
      bodies.push(
        cdp.send('Network.getResponseBody', { requestId: event.requestId }).then(
          ({ body, base64Encoded }) => gzipSync(Buffer.from(body, base64Encoded ? 'base64' : 'utf8'), { level: 6 }).length,
          () => 0,
        ),
      )
    }
  })
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 })
  await page.waitForFunction((key) => (window as any).__firstLoad.field !== null && (window as any).__firstLoad[key] !== null, interactiveOn, { timeout: 60_000 })
  // What loads after (Turnstile's script and frame): until the network is quiet for a second.
  let seen = -1
  while (seen !== finished.length) {
    seen = finished.length
    await new Promise((done) => setTimeout(done, 1000))
  }
  const marks = await page.evaluate(() => (window as any).__firstLoad as { field: number; ready: number | null; load: number })
  const own = finished.filter((entry) => entry.url.startsWith(origin))
  const other = finished.filter((entry) => !entry.url.startsWith(origin) && !entry.url.startsWith('data:'))
  const sample: Sample = {
    firstField: marks.field,
    // Hydrated (or mounted) and the field there: the client-rendered shell mounts before its form.
    interactive: interactiveOn === 'ready' ? Math.max(marks.ready!, marks.field) : marks.load,
    requests: own.length,
    wireBytes: own.reduce((sum, entry) => sum + entry.wire, 0),
    bodyGzipBytes: (await Promise.all(bodies)).reduce((sum, n) => sum + n, 0),
    other: { requests: other.length, wireBytes: other.reduce((sum, entry) => sum + entry.wire, 0) },
  }
  await context.close()
  return sample
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export type FirstLoadResult = { rows: { name: string; samples: Sample[] }[]; compressedByWorker: boolean }

export async function benchFirstLoad(): Promise<FirstLoadResult> {
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'worker/web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('npm run build failed')
  const floor = await buildVueFloor(FLOOR_BASE)
  const stack = await startTestStack('bench-first-load')
  const edge = await startEdge(stack.urls.worker, floor)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  try {
    const direct = await fetch(`${stack.urls.worker}/apply`, { headers: { 'accept-encoding': 'gzip' } })
    const compressedByWorker = direct.headers.get('content-encoding') === 'gzip'
    await direct.arrayBuffer()
    const fc = encodeURIComponent(FEATURE_CODE)
    const pages = [
      { name: 'plain HTML form', url: `${edge.url}/plain`, on: 'load' as const },
      { name: 'Vue floor (the plain form hydrated, nothing else)', url: `${edge.url}${FLOOR_BASE}`, on: 'ready' as const },
      { name: 'apply page (pre-rendered)', url: `${edge.url}/apply?fc=${fc}`, on: 'ready' as const },
      // /apply/ is not a worker route: the assets' SPA fallback serves the client-rendered index.html.
      { name: 'apply page (client-rendered shell, before)', url: `${edge.url}/apply/?fc=${fc}`, on: 'ready' as const },
    ]
    const rows = pages.map((entry) => ({ name: entry.name, samples: [] as Sample[] }))
    for (let run = 0; run < RUNS; run++) {
      for (const [index, entry] of pages.entries()) rows[index].samples.push(await loadOnce(browser, entry.url, edge.url, entry.on))
    }
    return { rows, compressedByWorker }
  } finally {
    await browser.close()
    await edge.close()
    await stack.stop()
  }
}

export function firstLoadTable({ rows, compressedByWorker }: FirstLoadResult): string {
  const plain = rows[0].samples
  const base = { firstField: median(plain.map((s) => s.firstField)), interactive: median(plain.map((s) => s.interactive)) }
  const header = ['page', 'first field ms', '× plain', 'interactive ms', '× plain', 'requests', 'KB on the wire', 'KB bodies gzip', 'after (other origins)']
  const kb = (bytes: number) => (bytes / 1024).toFixed(1)
  const body = rows.map(({ name, samples }) => {
    const firstField = median(samples.map((s) => s.firstField))
    const interactive = median(samples.map((s) => s.interactive))
    const other = median(samples.map((s) => s.other.wireBytes))
    return [
      name,
      firstField.toFixed(0),
      (firstField / base.firstField).toFixed(2),
      interactive.toFixed(0),
      (interactive / base.interactive).toFixed(2),
      String(median(samples.map((s) => s.requests))),
      kb(median(samples.map((s) => s.wireBytes))),
      kb(median(samples.map((s) => s.bodyGzipBytes))),
      `${median(samples.map((s) => s.other.requests))} req, ${kb(other)} KB`,
    ]
  })
  const all = [header, ...body]
  const widths = header.map((_, column) => Math.max(...all.map((cells) => cells[column].length)))
  const pad = (cell: string, column: number) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))
  const line = (cells: string[]) => cells.map(pad).join('  ')
  const apply = rows.find((row) => row.name.startsWith('apply page (pre-rendered)'))!.samples
  const floor = median(rows.find((row) => row.name.startsWith('Vue floor'))!.samples.map((s) => s.wireBytes)) / 1024
  const ratio = (key: 'firstField' | 'interactive') => median(apply.map((s) => s[key])) / base[key]
  const transfer = median(apply.map((s) => s.wireBytes)) / 1024
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET')
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map(line),
    '',
    `goals for the pre-rendered apply page: first field ≤ ${GOALS.firstField}× plain: ${ratio('firstField').toFixed(2)}× ${verdict(ratio('firstField') <= GOALS.firstField)}; ` +
      `interactive ≤ ${GOALS.interactive}× plain: ${ratio('interactive').toFixed(2)}× ${verdict(ratio('interactive') <= GOALS.interactive)}; ` +
      `transfer ≤ ${GOALS.transferKb} KB gzip: ${transfer.toFixed(1)} KB ${verdict(transfer <= GOALS.transferKb)}`,
    `the Vue floor (bench/vue-floor: the plain form's fields as a Vue app hydrating server-rendered HTML, built as the page is) transfers ${floor.toFixed(1)} KB: ` +
      `the transfer goal leaves ${(GOALS.transferKb - floor).toFixed(1)} KB for everything the apply page has beyond that (styles, both languages' texts, validation, the API client, Turnstile, the status page's route).`,
    `median of ${RUNS} cold loads each, interleaved; Chromium at 390×844, CDP Network.emulateNetworkConditions latency ${LATENCY_MS} ms (added to each request), ` +
      `down/up ${THROUGHPUT} bytes/s (1.6 Mbit/s), cache disabled.`,
    'first field = first animation frame with #f-name laid out in the viewport (same probe, injected before any page script, for every page); ' +
      'interactive = the app set html[data-ready] after mount/hydration and the field is there (plain form: the load event).',
    `bytes: own origin only, "on the wire" = CDP encodedDataLength (headers + body as served); ${compressedByWorker ? 'wrangler dev gzips too, but ' : 'wrangler dev serves bodies uncompressed, so '}a local edge in front of it (which also serves the plain form) gzips every text response at level 6, as Cloudflare would; ` +
      '"bodies gzip" = each body gzipped at level 6. "after (other origins)": the Turnstile script and frame (the sandbox\'s here), loaded once the form is hydrated, not counted in the goal.',
  ].join('\n')
}

if (import.meta.main) console.log(firstLoadTable(await benchFirstLoad()))
