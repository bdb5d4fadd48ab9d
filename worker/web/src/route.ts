// The page's addresses, read from location: /apply?product=&fc=&c= (also /), /status/:id?t= and
// /pickup?code= (where a person types a pickup's user code instead of scanning its QR code).
// `c` is the QR's check value of the feature code (docs/integration.md); `renew` and `t` are a
// renewal link's license and token (docs/renewal.md); `p` is a pickup's user code (docs/pickup.md):
// the product polls for the license too.
// No router library: three routes do not need one.

import { PICKUP_PATTERN } from '../../src/contract/apply-link.ts'

export type Route =
  | { name: 'apply'; featureCode: string | null; check: string | null; product: string | null; renew?: RenewLink | null; pickup?: string | null }
  | { name: 'status'; id: string; token: string | null }
  | { name: 'pickup'; code: string | null }
  | { name: 'notFound' }

/** A renewal link's license and token: the page asks the worker for the prefill with them. */
export type RenewLink = { licenseId: string; token: string }

export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search)
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/' || path === '/apply' || path === '/index.html') {
    const renew = renewLinkOf(query)
    return {
      name: 'apply',
      featureCode: query.get('fc')?.trim() || null,
      check: query.get('c')?.trim() || null,
      product: query.get('product')?.trim() || null,
      ...(renew ? { renew } : {}),
      ...pickupOf(query.get('p')),
    }
  }
  if (path === '/pickup') return { name: 'pickup', code: query.get('code')?.trim().slice(0, 64) || null }
  const status = /^\/status\/([^/]+)$/.exec(path)
  if (status) {
    try {
      return { name: 'status', id: decodeURIComponent(status[1]), token: query.get('t') || null }
    } catch {
      return { name: 'notFound' }
    }
  }
  return { name: 'notFound' }
}

function renewLinkOf(query: URLSearchParams): RenewLink | null {
  const licenseId = query.get('renew')?.trim()
  const token = query.get('t')?.trim()
  return licenseId && token ? { licenseId, token } : null
}

/** The link's pickup, only when well-formed (a damaged one is left out, the email path stays). */
function pickupOf(raw: string | null): { pickup?: string } {
  const value = raw?.trim() ?? ''
  return PICKUP_PATTERN.test(value) ? { pickup: value } : {}
}

/** The status link from the server as an href, only when it is an http(s) URL. */
export function safeHref(url: string, base: string): string | null {
  try {
    const parsed = new URL(url, base)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null
  } catch {
    return null
  }
}
