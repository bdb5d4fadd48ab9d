// Verifies Cloudflare Access application tokens (`Cf-Access-Jwt-Assertion`) with jose: RS256 only,
// signed by a key of the team's JWKS, `aud` holding the application's AUD tag, `iss` the team
// domain, within `exp`/`nbf`. The header's presence proves nothing; only its signature does.
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { AccessError } from './errors.ts'

/** Where Cloudflare's edge puts the application token on every request it lets through. */
export const ACCESS_HEADER = 'cf-access-jwt-assertion'

/** Access signs with RS256 and nothing else; `none`, HMAC and the rest are refused before any key is used. */
export const ACCESS_ALGORITHMS = ['RS256']

/** Clocks of the edge and the worker may differ a little. */
export const CLOCK_TOLERANCE_SECONDS = 10

/**
 * A token with an unknown `kid` refetches the keys at most this often: Access starts signing with a
 * new key at rotation, and made-up kids must not turn into a flood of requests for the certs.
 */
export const KEY_REFETCH_COOLDOWN_MS = 30_000
/** Known keys are refreshed after this long (Access keeps a rotated key valid 7 more days). */
export const KEY_CACHE_MAX_AGE_MS = 10 * 60_000

export type AccessVerifyOptions = Readonly<{
  teamDomain: string
  aud: string
  /** Epoch ms (the caller's clock). */
  now: number
}>

/** What the worker takes from a verified token. `email` is null for a service token; `expiresAt` is `exp` in epoch ms. */
export type AccessIdentity = Readonly<{ email: string | null; sub: string | null; expiresAt: number }>

/** The certs endpoint could not be read (network, timeout, non-200): not the caller's fault. */
class CertsUnreachableError extends Error {}

function certsFetch(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    let response: Response
    try {
      response = await fetchImpl(input, init)
    } catch (cause) {
      throw new CertsUnreachableError('the Access certs endpoint cannot be reached', { cause })
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new CertsUnreachableError(`the Access certs endpoint answered ${response.status}`)
    }
    return response
  }
}

/** A key set that fetches `certsUrl` when it must (first use, unknown `kid`, stale). */
export function remoteAccessKeys(certsUrl: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(certsUrl), {
    cooldownDuration: KEY_REFETCH_COOLDOWN_MS,
    cacheMaxAge: KEY_CACHE_MAX_AGE_MS,
    timeoutDuration: 5000,
    [customFetch]: certsFetch(fetchImpl),
  })
}

// One key set per certs URL and isolate: the keys change every 6 weeks, so fetching them per
// request would only add a subrequest to each. Keyed by URL, so a test's own URL gets its own.
const keySets = new Map<string, JWTVerifyGetKey>()

export function accessKeysFor(certsUrl: string): JWTVerifyGetKey {
  let keys = keySets.get(certsUrl)
  if (!keys) {
    keys = remoteAccessKeys(certsUrl)
    keySets.set(certsUrl, keys)
  }
  return keys
}

function unavailable(err: unknown): boolean {
  if (err instanceof CertsUnreachableError || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true
  // jose's plain JOSEError is only thrown for a certs answer that is not JSON.
  return err instanceof errors.JOSEError && err.code === errors.JOSEError.code
}

/** Why a token was refused, for the log: jose's code, and the claim when one failed. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `${err.code}:${err.claim}`
  if (err instanceof errors.JOSEError) return err.code
  return err instanceof Error ? err.name : 'unknown'
}

/**
 * Verifies `token` against `keys`; throws AccessError: ACCESS_REQUIRED (no token), ACCESS_INVALID
 * (anything about the token), ACCESS_UNAVAILABLE (the keys cannot be fetched).
 */
export async function verifyAccessToken(token: string | undefined, keys: JWTVerifyGetKey, options: AccessVerifyOptions): Promise<AccessIdentity> {
  if (!token) throw new AccessError('ACCESS_REQUIRED')
  let payload
  try {
    ;({ payload } = await jwtVerify(token, keys, {
      algorithms: ACCESS_ALGORITHMS,
      audience: options.aud,
      issuer: options.teamDomain,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(options.now),
    }))
  } catch (err) {
    if (unavailable(err)) throw new AccessError('ACCESS_UNAVAILABLE', { reason: reasonOf(err), cause: err })
    throw new AccessError('ACCESS_INVALID', { reason: reasonOf(err), cause: err })
  }
  const email = typeof payload.email === 'string' && payload.email.includes('@') ? payload.email : null
  return Object.freeze({ email, sub: typeof payload.sub === 'string' ? payload.sub : null, expiresAt: (payload.exp as number) * 1000 })
}
