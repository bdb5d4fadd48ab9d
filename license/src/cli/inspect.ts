// `license inspect <file>`: shows header and claims WITHOUT verifying them, marked UNVERIFIED, for
// support questions ("what does this license say?"); never a licensing decision.
import { LicenseError } from '../errors.ts'
import { inspectLicense } from '../inspect.ts'
import { isoSeconds } from '../time.ts'
import { parseCommand } from './args.ts'
import { CliError, EXIT, EXIT_BY_LICENSE_CODE } from './errors.ts'
import { readText, type Io } from './io.ts'

export const INSPECT_HELP = `Usage: license inspect <file|-> [--json]

Prints a license's header and claims WITHOUT verifying its signature, key, product, feature code or
dates (use "license verify" for that). Exit code 2 when the file is not a readable license.
`

const TIMES = ['iat', 'nbf', 'exp']

export async function inspect(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand('inspect', argv, {})
  if (parsed.values.help) return io.stdout(INSPECT_HELP), EXIT.OK
  if (parsed.positionals.length !== 1) {
    throw new CliError('USAGE_ERROR', 'inspect: give exactly one license file (or - for stdin)')
  }
  const text = await readText(parsed.positionals[0], 'license file', io)
  try {
    const { header, claims } = inspectLicense(text)
    if (parsed.values.json) {
      io.stdout(`${JSON.stringify({ verified: false, header, claims }, null, 2)}\n`)
      return EXIT.OK
    }
    const times = TIMES.filter((name) => Number.isSafeInteger(claims[name]))
      .map((name) => `  ${name.padEnd(4)} ${isoSeconds(claims[name] as number)}\n`)
      .join('')
    io.stdout(
      'UNVERIFIED: nothing below was checked (signature, key, product, feature code, dates)\n' +
        `header ${JSON.stringify(header, null, 2)}\nclaims ${JSON.stringify(claims, null, 2)}\n` +
        (times ? `times (UTC)\n${times}` : ''),
    )
    return EXIT.OK
  } catch (cause) {
    if (!(cause instanceof LicenseError)) throw cause
    if (parsed.values.json) {
      const { code, message } = cause
      io.stdout(`${JSON.stringify({ verified: false, code, message }, null, 2)}\n`)
    } else io.stderr(`${cause.code}: ${cause.message}\n`)
    return EXIT_BY_LICENSE_CODE[cause.code]
  }
}
