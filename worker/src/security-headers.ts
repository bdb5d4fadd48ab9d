// The security headers of every response, written once: hono's secureHeaders for what the worker
// answers itself (JSON), and the `_headers` file the page build emits for the static assets, which
// Cloudflare serves without running the worker. A stack test checks both on the wire.
import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

type Csp = Record<string, string[]>

const HSTS = 'max-age=31536000; includeSubDomains'

/** Where Cloudflare serves Turnstile's script and challenge frame. */
export const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com'
/** A local build also allows the sandbox's stand-in for Turnstile, on whatever loopback port it runs. */
const LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*']

export type BuildMode = 'local' | 'deploy'

/**
 * The apply and status pages: own scripts and Turnstile's only (no inline script, no eval),
 * nothing may frame them.
 */
export function pageCsp(mode: BuildMode): Csp {
  const turnstile = mode === 'local' ? [TURNSTILE_ORIGIN, ...LOCAL_ORIGINS] : [TURNSTILE_ORIGIN]
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", ...turnstile],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", ...(mode === 'local' ? LOCAL_ORIGINS : [])],
    frameSrc: turnstile,
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  }
}

/** JSON answers: nothing to load, nothing may frame them. */
export const API_CSP: Csp = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }

/**
 * The operator console's page (the build's admin/index.html, served by the worker behind the
 * Access guard): own scripts and styles only, no inline script, no eval, it talks only to its own
 * origin, nothing may frame it. The same in a local and a deploy build: no Turnstile here.
 */
export const CONSOLE_CSP: Csp = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/** Headers both kinds of response carry, by their wire names. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': HSTS,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

export function cspValue(policy: Csp): string {
  return Object.entries(policy)
    .map(([directive, sources]) => `${kebab(directive)} ${sources.join(' ')}`)
    .join('; ')
}

/**
 * For the worker's own responses. A handler that sets its own Content-Security-Policy (the
 * console's page) keeps it; every other response gets API_CSP.
 */
export function apiSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    overwrite: false,
    contentSecurityPolicy: API_CSP,
    strictTransportSecurity: HSTS,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  })
}

/**
 * The `_headers` file for the static assets (Cloudflare's format: a path pattern, then indented
 * `Name: value` lines; `! Name` drops a header an earlier rule set). Pages are revalidated on
 * every visit; hashed assets are immutable for a year.
 */
export function assetHeadersFile(mode: BuildMode): string {
  const lines = ['/*', `  Content-Security-Policy: ${cspValue(pageCsp(mode))}`]
  for (const [name, value] of Object.entries(COMMON_HEADERS)) lines.push(`  ${name}: ${value}`)
  lines.push('  Cache-Control: no-cache', '/assets/*', '  ! Cache-Control', '  Cache-Control: public, max-age=31536000, immutable')
  return `${lines.join('\n')}\n`
}
