// `license verify <file>`: checks a license as a product would (same library, same order) and
// prints its terms, or the verdict code and a one-line reason; the exit code tells the class.
import { importLicensePublicKeys } from '../keys.ts'
import { LicenseError } from '../errors.ts'
import { inspectLicense } from '../inspect.ts'
import { createLicenseVerifier } from '../verify.ts'
import { optional, parseCommand, parseInstant, parseWholeNumber, required } from './args.ts'
import { CliError, EXIT, EXIT_BY_LICENSE_CODE } from './errors.ts'
import { readJwksSource, readText, type Io } from './io.ts'
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
  --json                  print {"valid": true, "claims"} or {"valid": false, "code", "message"}
Exit codes: 0 valid, 1 usage or input error, 2 not a (supported) license, 3 bad signature or
unknown key, 4 wrong product or feature code, 5 not yet valid, expired or clock rollback.
`

export async function verify(argv: string[], io: Io): Promise<number> {
  const text = { type: 'string' } as const
  const parsed = parseCommand('verify', argv, {
    product: text,
    'feature-code': text,
    jwks: text,
    now: text,
    'last-seen': text,
    'clock-skew': text,
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
  try {
    const claims = await (await createLicenseVerifier({ keys }))(license, checks)
    const kid = String(inspectLicense(license).header.kid)
    if (parsed.values.json) io.stdout(`${JSON.stringify({ valid: true, kid, claims }, null, 2)}\n`)
    else io.stdout(`VALID\n${describeClaims(claims, kid)}`)
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
