// `license verify <file>`: checks a license as a product would (same library, same order) and
// prints its terms, or the verdict code and a one-line reason; the exit code tells the class.
// With --revocations, the list is verified first (same keys) and the license checked against it.
import { importLicensePublicKeys } from '../keys.ts'
import { LicenseError } from '../errors.ts'
import { inspectLicense } from '../inspect.ts'
import { verifyRevocationList, type VerifiedRevocationList } from '../revocations.ts'
import type { LicensePublicKeys } from '../keys.ts'
import { isoSeconds } from '../time.ts'
import { createLicenseVerifier } from '../verify.ts'
import { optional, parseCommand, parseInstant, parseWholeNumber, required } from './args.ts'
import { CliError, EXIT, EXIT_BY_LICENSE_CODE, type CliErrorCode } from './errors.ts'
import { readJwksSource, readRevocationsSource, readText, type Io } from './io.ts'
import { describeClaims } from './report.ts'

export const VERIFY_HELP = `Usage: license verify <file|-> --product <id> --feature-code <code>
                      --jwks <file|URL> [options]

Verifies a license offline and prints its terms.
  --product <id>          the product id the license must name
  --feature-code <code>   this machine's feature code
  --jwks <file|URL>       the trusted public keys (JWK Set or one JWK); an http(s) URL is fetched
  --now <date>            check as of this time (ISO 8601 or epoch seconds); default now
  --last-seen <date>      the latest time the product has seen (clock rollback guard)
  --clock-skew <seconds>  tolerance for time checks; default 300
  --revocations <file|URL>
                          a signed revocation list (…/.well-known/license-revocations.jwt),
                          verified with the --jwks keys; a license it names is REVOKED
  --revocations-max-age <seconds>
                          refuse a list issued longer ago than this (default: any age)
  --json                  print {"valid": true, "claims"} or {"valid": false, "code", "message"}
Exit codes: 0 valid, 1 usage or input error (a bad or stale revocation list too), 2 not a
(supported) license, 3 bad signature or unknown key, 4 wrong product or feature code, 5 not yet
valid, expired or clock rollback, 6 revoked.
`

type Checks = { now: number; clockSkew?: number }

async function revocationsFrom(
  source: string,
  maxAge: number | undefined,
  keys: LicensePublicKeys,
  checks: Checks,
  io: Io,
): Promise<VerifiedRevocationList> {
  const text = await readRevocationsSource(source, io)
  try {
    return await verifyRevocationList(text, keys, { ...checks, maxAge })
  } catch (cause) {
    if (!(cause instanceof LicenseError)) throw cause
    // A list that cannot be used says nothing about the license: an input error, exit 1.
    const message = `revocation list ${source}: ${cause.message}`
    throw new CliError(cause.code as CliErrorCode, message, { cause })
  }
}

function describeList(list: VerifiedRevocationList): string {
  const entries = `${list.size} ${list.size === 1 ? 'entry' : 'entries'}`
  const summary = `not revoked (list of ${isoSeconds(list.iat)} by ${list.iss}, ${entries})`
  return `  ${'revocations'.padEnd(13)} ${summary}\n`
}

export async function verify(argv: string[], io: Io): Promise<number> {
  const text = { type: 'string' } as const
  const parsed = parseCommand('verify', argv, {
    product: text,
    'feature-code': text,
    jwks: text,
    now: text,
    'last-seen': text,
    'clock-skew': text,
    revocations: text,
    'revocations-max-age': text,
  })
  if (parsed.values.help) return io.stdout(VERIFY_HELP), EXIT.OK
  if (parsed.positionals.length !== 1) {
    throw new CliError('USAGE_ERROR', 'verify: give exactly one license file (or - for stdin)')
  }
  const product = required(parsed, 'product', 'verify')
  const featureCode = required(parsed, 'feature-code', 'verify')
  const jwksSource = required(parsed, 'jwks', 'verify')
  const now = optional(parsed, 'now')
  const lastSeen = optional(parsed, 'last-seen')
  const skew = optional(parsed, 'clock-skew')
  const revocationsSource = optional(parsed, 'revocations')
  const maxAgeFlag = optional(parsed, 'revocations-max-age')
  if (maxAgeFlag !== undefined && revocationsSource === undefined) {
    throw new CliError('USAGE_ERROR', 'verify: --revocations-max-age needs --revocations')
  }
  const maxAge =
    maxAgeFlag === undefined ? undefined : parseWholeNumber(maxAgeFlag, 'revocations-max-age')
  const checks = {
    product,
    featureCode,
    now: now === undefined ? Date.now() : parseInstant(now, 'now') * 1000,
    lastSeen: lastSeen === undefined ? undefined : parseInstant(lastSeen, 'last-seen') * 1000,
    clockSkew: skew === undefined ? undefined : parseWholeNumber(skew, 'clock-skew'),
  }
  const license = await readText(parsed.positionals[0], 'license file', io)
  const jwks = await readJwksSource(jwksSource, io)
  let keys
  try {
    keys = await importLicensePublicKeys(jwks)
  } catch (cause) {
    const reason = (cause as Error).message
    throw new CliError('INPUT_ERROR', `bad JWKS ${jwksSource}: ${reason}`, { cause })
  }
  const revocations =
    revocationsSource === undefined
      ? undefined
      : await revocationsFrom(revocationsSource, maxAge, keys, checks, io)
  try {
    const verifyOne = await createLicenseVerifier({ keys })
    const claims = await verifyOne(license, { ...checks, revocations })
    const kid = String(inspectLicense(license).header.kid)
    if (parsed.values.json) {
      const list = revocations && {
        iss: revocations.iss,
        iat: revocations.iat,
        kid: revocations.kid,
        size: revocations.size,
      }
      const result = { valid: true, kid, claims, ...(list ? { revocations: list } : {}) }
      io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    } else {
      const listRow = revocations ? describeList(revocations) : ''
      io.stdout(`VALID\n${describeClaims(claims, kid)}${listRow}`)
    }
    return EXIT.OK
  } catch (cause) {
    if (!(cause instanceof LicenseError)) throw cause
    if (parsed.values.json) {
      const { code, message } = cause
      io.stdout(`${JSON.stringify({ valid: false, code, message }, null, 2)}\n`)
    } else io.stderr(`INVALID ${cause.code}: ${cause.message}\n`)
    return EXIT_BY_LICENSE_CODE[cause.code]
  }
}
