// GET /api/qr: the apply link as an SVG or PNG QR code, read back by an independent decoder, with
// its validator, caching and security headers, and a coded refusal for each bad parameter.
import { env } from 'cloudflare:workers'
import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { applyLink } from '../contract/apply-link.ts'
import { BASE, call, readJson } from '../../test/helpers.ts'
import { decodeModules, decodePng, svgModules } from '../../test/qr-decode.ts'

const PORTAL = 'https://licenses.example.com'
const portal = { ...env, PUBLIC_ORIGIN: PORTAL }
const FC = 'HM-7F3A-9C2B+x/y'

function get(query: Record<string, string> | string, init: RequestInit = {}, bindings: Cloudflare.Env = portal) {
  const search = typeof query === 'string' ? query : new URLSearchParams(query).toString()
  return call(new Request(`${BASE}/api/qr?${search}`, init), bindings)
}

const linkFor = (extra: { pickup?: string; lang?: 'en' | 'zh-CN' } = {}) =>
  applyLink({ origin: PORTAL, product: 'hypermotion', featureCode: FC, ...extra })

describe('GET /api/qr: the image', () => {
  it('draws the apply link with its check value as a PNG that decodes to exactly that link', async () => {
    const response = await get({ product: 'hypermotion', fc: FC, p: 'WDJB-MJHT', lang: 'zh-CN', format: 'png', size: '300' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    const link = await linkFor({ pickup: 'WDJB-MJHT', lang: 'zh-CN' })
    expect(link).toContain('&c=')
    const png = await decodePng(new Uint8Array(await response.arrayBuffer()))
    expect(png).toEqual({ text: link, width: 300, height: 300 })
    expect(response.headers.get('x-apply-link')).toBe(link)
  })

  it('draws an SVG (the default) with the same modules as QRCode.create of the link, and it decodes', async () => {
    const response = await get({ product: 'hypermotion', fc: FC })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/svg+xml')
    const svg = await response.text()
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    const link = await linkFor()
    const grid = svgModules(svg)
    const { modules } = QRCode.create(link, { errorCorrectionLevel: 'M' })
    const margin = (grid.length - modules.size) / 2
    expect(margin).toBe(4)
    const expected = grid.map((row, y) => row.map((_, x) => Boolean(modules.get(y - margin, x - margin)) && x >= margin && y >= margin && x < margin + modules.size && y < margin + modules.size))
    expect(grid).toEqual(expected)
    expect(decodeModules(grid)).toBe(link)
  })

  it('gives the SVG width and height when a size is asked for', async () => {
    const svg = await (await get({ product: 'hypermotion', fc: FC, size: '200' })).text()
    expect(svg).toContain('width="200" height="200"')
  })

  it('links to the configured public origin, never the Host the request came to', async () => {
    const response = await call(new Request('https://evil.example/api/qr?product=hypermotion&fc=HM1', { headers: { host: 'evil.example' } }), portal)
    expect(response.status).toBe(200)
    const link = response.headers.get('x-apply-link')!
    expect(new URL(link).origin).toBe(PORTAL)
    expect(decodeModules(svgModules(await response.text()))).toBe(link)
  })

  it('answers HEAD with the headers and no body', async () => {
    const response = await get({ product: 'hypermotion', fc: FC, format: 'png' }, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(await response.text()).toBe('')
  })
})

describe('GET /api/qr: validators and caching', () => {
  it('gives a strong ETag that is stable for the same URL and differs with format, size and link', async () => {
    const tag = async (query: Record<string, string>) => (await get(query)).headers.get('etag')
    const first = await tag({ product: 'hypermotion', fc: FC, format: 'png' })
    expect(first).toMatch(/^"[0-9a-f]{32}"$/)
    expect(await tag({ product: 'hypermotion', fc: FC, format: 'png' })).toBe(first)
    const others = [
      await tag({ product: 'hypermotion', fc: FC }),
      await tag({ product: 'hypermotion', fc: FC, format: 'png', size: '256' }),
      await tag({ product: 'hypermotion', fc: `${FC}1`, format: 'png' }),
      await tag({ product: 'hypermotion', fc: FC, format: 'png', lang: 'en' }),
    ]
    expect(new Set([first, ...others]).size).toBe(5)
  })

  it('answers a matching If-None-Match with 304 and no body, a stale one with the image', async () => {
    const query = { product: 'hypermotion', fc: FC, format: 'png' }
    const etag = (await get(query)).headers.get('etag')!
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await get(query, { headers: { 'if-none-match': header } })
      expect(response.status, header).toBe(304)
      expect(await response.text()).toBe('')
      expect(response.headers.get('etag')).toBe(etag)
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    }
    const stale = await get(query, { headers: { 'if-none-match': '"0123456789abcdef0123456789abcdef"' } })
    expect(stale.status).toBe(200)
    expect((await decodePng(new Uint8Array(await stale.arrayBuffer()))).text).toBe(await linkFor())
  })

  it('is cacheable for a year, embeddable cross-origin, and carries the security headers', async () => {
    const response = await get({ product: 'hypermotion', fc: FC })
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'")
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('x-request-id')).toBeTruthy()
  })
})

describe('GET /api/qr: refusals', () => {
  const cases: [string, string | Record<string, string>, Record<string, string>][] = [
    ['no product', { fc: FC }, { product: 'REQUIRED' }],
    ['no feature code', { product: 'hypermotion' }, { fc: 'REQUIRED' }],
    ['a feature code over 256 characters', { product: 'hypermotion', fc: 'A'.repeat(257) }, { fc: 'TOO_LONG' }],
    ['a feature code with non-ASCII characters', { product: 'hypermotion', fc: 'HM特征' }, { fc: 'INVALID_FORMAT' }],
    ['a feature code of dashes only', { product: 'hypermotion', fc: '---' }, { fc: 'INVALID_FORMAT' }],
    ['a pickup code that is not 4–64 letters, digits and dashes', { product: 'hypermotion', fc: FC, p: 'ab_c' }, { p: 'INVALID_FORMAT' }],
    ['a language the page does not have', { product: 'hypermotion', fc: FC, lang: 'de' }, { lang: 'NOT_ALLOWED' }],
    ['a format other than svg or png', { product: 'hypermotion', fc: FC, format: 'gif' }, { format: 'NOT_ALLOWED' }],
    ['a size that is not a whole number', { product: 'hypermotion', fc: FC, format: 'png', size: '12.5' }, { size: 'INVALID_FORMAT' }],
    ['a size below 128 px', { product: 'hypermotion', fc: FC, format: 'png', size: '127' }, { size: 'OUT_OF_RANGE' }],
    ['a size above 1024 px', { product: 'hypermotion', fc: FC, format: 'png', size: '1025' }, { size: 'OUT_OF_RANGE' }],
    ['a repeated parameter', `product=hypermotion&fc=A1&fc=B2`, { fc: 'INVALID_FORMAT' }],
  ]
  for (const [what, query, fields] of cases) {
    it(`refuses ${what} with 400 VALIDATION_FAILED`, async () => {
      const response = await get(query)
      expect(response.status).toBe(400)
      const { error } = await readJson(response)
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', fields })
      expect(Object.keys(error.fields)).toEqual(Object.keys(fields))
      expect(response.headers.get('cache-control') ?? '').not.toContain('immutable')
      expect(response.headers.get('x-apply-link')).toBeNull()
    })
  }

  it("refuses a feature code that FEATURE_CODE_PATTERN does not allow (the deployment's rule)", async () => {
    const strict = { ...portal, FEATURE_CODE_PATTERN: '^HM[0-9A-F]{8}$' }
    expect((await get({ product: 'hypermotion', fc: 'HM7F3A9C2B' }, {}, strict)).status).toBe(200)
    const response = await get({ product: 'hypermotion', fc: 'XX7F3A9C2B' }, {}, strict)
    expect(response.status).toBe(400)
    expect((await readJson(response)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { fc: 'INVALID_FORMAT' } })
  })

  it('refuses a product the portal does not sell with 404 UNKNOWN_PRODUCT', async () => {
    const response = await get({ product: 'nosuch', fc: FC })
    expect(response.status).toBe(404)
    expect((await readJson(response)).error).toMatchObject({ code: 'UNKNOWN_PRODUCT' })
  })
})
