// Small node:http helpers shared by the sandbox's handlers: body reading with a limit, JSON and
// HTML answers, the caller's address.
import type { IncomingMessage, ServerResponse } from 'node:http'

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`the request body exceeds ${limit} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new BodyTooLargeError(limit)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new BodyTooLargeError(limit)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

export type Parsed = { ok: true; value: unknown } | { ok: false }

export function parseJson(body: Buffer | string): Parsed {
  const text = body.toString()
  if (text.trim() === '') return { ok: false }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

// Pages carry no scripts of their own; emails render in sandboxed srcdoc frames under this policy.
const pageCsp = (formAction: readonly string[]) =>
  `default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'${formAction.map((origin) => ` ${origin}`).join('')}; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'`

/** `formAction`: other origins a form post may end up at (browsers check the redirects too). */
export function sendHtml(res: ServerResponse, status: number, html: string, options: { formAction?: readonly string[] } = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': pageCsp(options.formAction ?? []),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  })
  res.end(html)
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0 })
  res.end()
}

/** The TCP peer address, IPv4-mapped IPv6 normalised (`::ffff:127.0.0.2` → `127.0.0.2`). */
export function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? ''
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

/** True when a control action came from a page form rather than a script. */
export function isFormPost(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
}

/**
 * A request another site's page made the browser send (a form post or fetch from a stranger's
 * origin): `Sec-Fetch-Site: cross-site|same-site`, or an `Origin` whose host is not this one.
 * Scripts and SDKs send neither header, so they are not affected.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  // Browsers that send Sec-Fetch-Site are believed (a same-origin form under `no-referrer` sends
  // `Origin: null`); the Origin check is for those that do not.
  const site = req.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = req.headers.origin
  if (origin === undefined) return false
  if (origin === 'null') return true
  try {
    return new URL(origin).host !== req.headers.host
  } catch {
    return true
  }
}

/** The value of cookie `name` in the request's Cookie header. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=')
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim()
  }
  return undefined
}
