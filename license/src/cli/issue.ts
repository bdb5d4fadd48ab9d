// `license issue`: manual issuance by an operator, from flags or a terms file, signed with the
// private key given by --key. The same library path the worker uses; nothing is hand-built.
import { claimsFromPayload, type LicenseTerms } from '../claims.ts'
import { LicenseTermsError } from '../errors.ts'
import { inspectLicense } from '../inspect.ts'
import { issueLicense } from '../issue.ts'
import { importLicenseSigningKey, type LicenseSigningKey } from '../keys.ts'
import { optional, parseCommand, parseInstant, parseWholeNumber, required } from './args.ts'
import type { Parsed } from './args.ts'
import { CliError, EXIT } from './errors.ts'
import { readText, writeNewFile, type Io } from './io.ts'
import { describeClaims } from './report.ts'

export const ISSUE_HELP = `Usage: license issue --key <private JWK file> [terms] [--out <file>]

Signs a license. Terms come from --terms <file.json> (LicenseTerms JSON, times in epoch seconds)
and/or these flags, which override the file:
  --iss <origin>            the portal origin, e.g. https://licenses.example.com
  --id <license id>         the license id (sub); default lic_<random uuid>
  --product <id>            the product id (aud)
  --feature-code <code>     the machine's feature code (normalised: docs/license-format.md)
  --quantity <n>            licensed quantity, a positive whole number
  --days <n>                valid for n days from --not-before
  --not-before <date>       start (ISO 8601 or epoch seconds); default now
  --expires <date>          end, exclusive (instead of --days)
  --customer-name <name>    --company <company> (may be "")    --email <address>
  --app <id>                application id; default "manual"
  --now <date>              the issue time (iat); default now
  --out <file>              write the license to a new file instead of stdout
`

const FLAGS: Record<string, string> = {
  iss: '--iss',
  sub: '--id',
  aud: '--product',
  fc: '--feature-code',
  qty: '--quantity',
  nbf: '--not-before',
  exp: '--expires/--days',
  app: '--app',
  cust: '--customer-name/--company/--email',
  'cust.name': '--customer-name',
  'cust.company': '--company',
  'cust.email': '--email',
}

const TEXT = { type: 'string' } as const
const OPTIONS = Object.fromEntries(
  ['key', 'terms', 'out', 'iss', 'id', 'product', 'feature-code', 'quantity', 'days', 'not-before']
    .concat(['expires', 'customer-name', 'company', 'email', 'app', 'now'])
    .map((name) => [name, TEXT]),
)

async function readTermsFile(path: string, io: Io): Promise<Partial<LicenseTerms>> {
  const text = await readText(path, 'terms file', io)
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new CliError('INPUT_ERROR', `terms file ${path} is not a JSON object of license terms`)
}

function period(parsed: Parsed, file: Partial<LicenseTerms>, now: number) {
  const [days, expires, notBefore] = ['days', 'expires', 'not-before'].map((name) => {
    return optional(parsed, name)
  })
  if (days !== undefined && expires !== undefined) {
    throw new CliError('USAGE_ERROR', 'issue: give --days or --expires, not both')
  }
  const nbf = notBefore !== undefined ? parseInstant(notBefore, 'not-before') : (file.nbf ?? now)
  if (days !== undefined) return { nbf, exp: nbf + parseWholeNumber(days, 'days') * 86_400 }
  const exp = expires !== undefined ? parseInstant(expires, 'expires') : file.exp
  if (exp === undefined) {
    throw new CliError('USAGE_ERROR', 'issue: say how long the license lasts: --days or --expires')
  }
  return { nbf, exp }
}

function termsFrom(parsed: Parsed, file: Partial<LicenseTerms>, now: number): LicenseTerms {
  const flag = (name: string) => optional(parsed, name)
  const quantity = flag('quantity')
  return {
    iss: flag('iss') ?? file.iss,
    sub: flag('id') ?? file.sub ?? `lic_${crypto.randomUUID()}`,
    aud: flag('product') ?? file.aud,
    ...period(parsed, file, now),
    fc: flag('feature-code') ?? file.fc,
    qty: quantity !== undefined ? parseWholeNumber(quantity, 'quantity') : file.qty,
    app: flag('app') ?? file.app ?? 'manual',
    cust: {
      name: flag('customer-name') ?? file.cust?.name,
      company: flag('company') ?? file.cust?.company,
      email: flag('email') ?? file.cust?.email,
    },
  } as LicenseTerms // incomplete terms are the library's to report, field by field
}

export async function signingKeyFrom(path: string, io: Io): Promise<LicenseSigningKey> {
  const text = await readText(path, 'private key file', io)
  try {
    return await importLicenseSigningKey(text)
  } catch (cause) {
    throw new CliError('INPUT_ERROR', `private key ${path}: ${(cause as Error).message}`, { cause })
  }
}

async function sign(terms: LicenseTerms, key: LicenseSigningKey, now: number): Promise<string> {
  try {
    return await issueLicense(terms, key, { now: now * 1000 })
  } catch (cause) {
    if (!(cause instanceof LicenseTermsError)) throw cause
    const list = Object.entries(cause.fields).map(([field, problem]) => {
      return `${field} (${FLAGS[field] ?? field}) ${problem}`
    })
    throw new CliError('INPUT_ERROR', `invalid license terms: ${list.join(', ')}`, { cause })
  }
}

export async function issue(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand('issue', argv, OPTIONS)
  if (parsed.values.help) return io.stdout(ISSUE_HELP), EXIT.OK
  if (parsed.positionals.length > 0) {
    throw new CliError('USAGE_ERROR', `issue: unexpected argument "${parsed.positionals[0]}"`)
  }
  const keyFile = required(parsed, 'key', 'issue')
  const nowFlag = optional(parsed, 'now')
  const now = nowFlag !== undefined ? parseInstant(nowFlag, 'now') : Math.floor(Date.now() / 1000)
  const termsFile = optional(parsed, 'terms')
  const terms = termsFrom(parsed, termsFile ? await readTermsFile(termsFile, io) : {}, now)
  const signingKey = await signingKeyFrom(keyFile, io)
  const license = await sign(terms, signingKey, now)
  const out = optional(parsed, 'out')
  if (out !== undefined) await writeNewFile(out, license, 'license')
  const claims = claimsFromPayload(inspectLicense(license).claims)
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ license, kid: signingKey.kid, claims }, null, 2)}\n`)
  } else if (out === undefined) io.stdout(license)
  else io.stderr(`license written to ${out}\n${describeClaims(claims, signingKey.kid)}`)
  return EXIT.OK
}
