import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { BASE, call } from '../../test/helpers.ts'
import type { PagesManifest } from '../pages-manifest.ts'
import { jsonForScript, pageLocale } from './pages.ts'

const CSP = "default-src 'self'; style-src 'self' 'sha256-test='"
const BLOCK = '<script type="application/json" id="licensedesk-config"></script>'
const FORM = (lang: string) =>
  `<!doctype html><html lang="${lang}" data-prerendered><div id="app"><textarea name="featureCode" readonly id="f-featureCode" class="input mono"></textarea></div>${BLOCK}`

/** A build's static assets: a manifest rendered with `settings`, and pages named by their path. */
function fakeAssets(settings: unknown, requested: string[] = []): Fetcher {
  const pages = (kind: string) => ({ 'zh-CN': `/_pages/${kind}-zh-CN`, en: `/_pages/${kind}-en` })
  const manifest: PagesManifest = {
    csp: CSP,
    shell: '/_pages/shell',
    status: pages('status'),
    pickup: pages('pickup'),
    products: { hypermotion: { settings: settings as PagesManifest['products'][string]['settings'], apply: pages('apply'), applyFromQr: pages('qr') } },
  }
  const fetch = async (input: RequestInfo | URL) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname
    requested.push(path)
    if (path === '/_pages/manifest.json') return Response.json(manifest)
    if (path === '/_pages/shell') return new Response(`<!doctype html><html lang="zh-CN"><div id="app"></div>${BLOCK}`)
    const lang = /-(zh-CN|en)$/.exec(path)?.[1]
    return lang ? new Response(`${path}\n${FORM(lang)}`) : new Response('not found', { status: 404 })
  }
  return { fetch } as unknown as Fetcher
}

const currentSettings = async () => (await call(new Request(`${BASE}/api/config`))).json<Record<string, unknown>>()
const built = async () => ({ ...(await currentSettings()), turnstile: null })
const get = (path: string, assets: Fetcher, headers: Record<string, string> = {}) =>
  call(new Request(`${BASE}${path}`, { headers }), { ...env, ASSETS: assets })
const block = (html: string) => /id="licensedesk-config">([^<]*)<\/script>/.exec(html)?.[1]

describe('pageLocale', () => {
  it('takes the remembered choice first, then the first Chinese or English language by q, else English', () => {
    expect(pageLocale('a=1; licensedesk_locale=en', 'zh-CN')).toBe('en')
    expect(pageLocale('licensedesk_locale=fr', 'zh-TW,zh;q=0.9')).toBe('zh-CN')
    expect(pageLocale(undefined, 'fr-FR,en;q=0.5,zh;q=0.8')).toBe('zh-CN')
    expect(pageLocale(undefined, 'de, en-GB;q=0.7')).toBe('en')
    expect(pageLocale(undefined, 'zh;q=0, en;q=0.1')).toBe('en')
    expect(pageLocale(undefined, 'ja')).toBe('en')
    expect(pageLocale(undefined, undefined)).toBe('en')
  })
})

describe('jsonForScript', () => {
  it('cannot close its script element or open markup, and parses back to the same value', () => {
    const value = { name: '</script><script>alert(1)</script>', amp: 'a&b', line: '\u2028\u2029' }
    const text = jsonForScript(value)
    expect(text).not.toMatch(/[<>&\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(value)
  })
})

describe('GET /apply and /status/:id', () => {
  it('serves the pre-rendered page for the language and the QR, with the settings inlined and the page CSP', async () => {
    const requested: string[] = []
    const assets = fakeAssets(await built(), requested)
    const plain = await get('/apply', assets, { 'accept-language': 'zh-CN,zh;q=0.9' })
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-security-policy')).toBe(CSP)
    expect(plain.headers.get('x-frame-options')).toBe('DENY')
    expect(plain.headers.get('vary')).toBe('Accept-Language, Cookie')
    const html = await plain.text()
    expect(html.startsWith('/_pages/apply-zh-CN\n')).toBe(true)
    expect(JSON.parse(block(html)!)).toEqual(await currentSettings())

    const qr = await (await get('/?fc=ABCD-1234-EF', assets, { 'accept-language': 'en' })).text()
    expect(qr.startsWith('/_pages/qr-en\n')).toBe(true)
    expect(qr).toContain('id="f-featureCode" class="input mono">ABCD-1234-EF</textarea>')
    expect(requested).toContain('/_pages/manifest.json')
  })

  it('writes a hostile feature code as text', async () => {
    const html = await (await get(`/apply?fc=${encodeURIComponent('</textarea><script>alert(1)</script>')}`, fakeAssets(await built()))).text()
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>')
  })

  it('serves the client-rendered shell (settings still inlined) when the build rendered other settings', async () => {
    const stale = { ...(await built()), validityDays: [7] }
    const html = await (await get('/apply?fc=ABCD-1234-EF', fakeAssets(stale))).text()
    expect(html).not.toContain('data-prerendered')
    expect(html).not.toContain('ABCD-1234-EF')
    expect(JSON.parse(block(html)!)).toEqual(await currentSettings())
  })

  it('serves an unknown product the shell without settings: the page asks GET /api/config and shows UNKNOWN_PRODUCT', async () => {
    const html = await (await get('/apply?product=nope', fakeAssets(await built()))).text()
    expect(block(html)).toBe('')
  })

  it('serves the status page shell in the chosen language', async () => {
    const response = await get('/status/LD-X?t=abc', fakeAssets(await built()), { cookie: 'licensedesk_locale=en', 'accept-language': 'zh' })
    expect(response.status).toBe(200)
    expect((await response.text()).startsWith('/_pages/status-en\n')).toBe(true)
  })

  it('serves the pickup page shell in the visitor\'s language, with the default product\'s settings and the page CSP', async () => {
    const response = await get('/pickup?code=WDJB-MJHT', fakeAssets(await built()), { 'accept-language': 'zh-CN' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toBe(CSP)
    const html = await response.text()
    expect(html.startsWith('/_pages/pickup-zh-CN\n')).toBe(true)
    expect(JSON.parse(block(html)!)).toEqual(await currentSettings())
  })

  it('answers a build without the pages with a generic 500', async () => {
    const response = await get('/apply', { fetch: async () => new Response('nope', { status: 404 }) } as unknown as Fetcher)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('npm run build')
  })
})
